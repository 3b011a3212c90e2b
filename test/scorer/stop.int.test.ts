import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { kafkaBrokers, mlflowTrackingUri, uniqueName } from '../support/services';
import { ConsumedMessage, commitMarkers, consumeCommitted, createTopics, openTransaction, readCommittedWithJava } from './support/consume';
import { generateData, registerFixtureModel } from './support/mlflow-fixture';
import { ScorerProcessResult, localScorerEnv, readManifest, runScorer } from './support/scorer-process';

jest.setTimeout(300_000);

// The broker aborts a transaction that outlived its timeout when it next checks for them: every
// transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s by default (also on MSK).
const BROKER_ABORT_CHECK_MS = 10_000;

/**
 * A scorer that is stopped or killed in the middle of a run, and what read_committed consumers of its topic see.
 * Each test stops run "a" mid-way, then lets run "b" (another shard, so another transactional id) commit to the same
 * topic: b's messages sit behind a's on every partition, so they show only once a's transaction has ended.
 */
describe('the scorer when stopped or killed mid-run', () => {
  const model = uniqueName('churn');
  const work = mkdtempSync(path.join(tmpdir(), 'scorer-stop-'));
  const bigInput = path.join(work, 'big');
  const smallInput = path.join(work, 'small');
  const smallRows = 2_000;

  beforeAll(async () => {
    await registerFixtureModel(mlflowTrackingUri(), model, 'champion', 'churn');
    // Big enough that the run lasts a few seconds at ~100k rows/s; three files, so that both pipelines have work.
    await generateData(bigInput, 600_000, { seed: 31, files: 3 });
    await generateData(smallInput, smallRows, { seed: 32, files: 2 });
  });

  const env = (topic: string, shard: string, input: string, extra: Record<string, string> = {}) => ({
    ...localScorerEnv({ model, topic, input, modelCacheDir: path.join(work, `models-${shard}`) }),
    OUTPUT_PATH: path.join(work, topic),
    SHARD_ID: shard,
    RUN_ID: `${topic}-${shard}`,
    PROGRESS_EVERY_ROWS: '5000',
    KAFKA_PRODUCERS: '2',
    ...extra,
  });

  /** Runs the big batch and sends `signal` once 10,000 rows are done (some of them sent inside the transaction). */
  async function interrupted(topic: string, signal: NodeJS.Signals, extra: Record<string, string>) {
    let signalledAt = 0;
    const result = await runScorer(env(topic, 'a', bigInput, extra), {
      onEvent: (event, scorer) => {
        if (signalledAt === 0 && event.event === 'progress' && (event.read as number) >= 10_000) {
          signalledAt = Date.now();
          scorer.kill(signal);
        }
      },
    });
    expect(signalledAt).toBeGreaterThan(0);
    return { result, signalledAt };
  }

  /**
   * Run b, then the time until a read_committed consumer has all its messages; and, judged by Kafka's own consumer
   * (kafkajs' lets a few messages of aborted transactions through when several are aborted on a partition), that
   * nothing of run a is visible.
   */
  async function commitRunB(topic: string): Promise<{ run: ScorerProcessResult; visibleAt: number }> {
    const run = await runScorer(env(topic, 'b', smallInput));
    expect(run.code).toBe(0);
    const ofB = (messages: ConsumedMessage[]) => messages.filter((m) => JSON.parse(m.value).run.id === `${topic}-b`);
    const seen = ofB(await consumeCommitted(kafkaBrokers(), topic, { until: (m) => ofB(m).length >= smallRows, settleMs: 1_000, timeoutMs: 120_000 }));
    expect(seen).toHaveLength(smallRows);
    const visible = await readCommittedWithJava(kafkaBrokers(), topic, 5_000);
    expect(new Set(visible.map((m) => m.runId))).toEqual(new Set([`${topic}-b`]));
    expect(visible).toHaveLength(smallRows);
    return { run, visibleAt: Math.max(...seen.map((m) => m.receivedAt)) };
  }

  it('on SIGTERM aborts every pipeline\'s transaction, writes a stopped manifest and exits 143 within seconds, holding no consumer up', async () => {
    const topic = uniqueName('predictions');
    // Long enough that a transaction left open would hold consumers up far longer than the check below allows.
    const { result, signalledAt } = await interrupted(topic, 'SIGTERM', { KAFKA_TRANSACTION_TIMEOUT_MS: '180000' });
    const stopSeconds = (result.endedAt - signalledAt) / 1000;
    console.log(`SIGTERM: the scorer exited ${stopSeconds.toFixed(2)} s after the signal`);
    expect(result.code).toBe(143);
    expect(stopSeconds).toBeLessThan(10);

    const manifest = readManifest(path.join(work, topic, 'a')); // shard "a" writes to OUTPUT_PATH/a
    expect(manifest.status).toBe('stopped');
    expect(manifest.error).toEqual({ code: 'STOPPED', message: 'stopped by SIGTERM', retryable: true });
    expect(manifest.counts.read).toBeGreaterThanOrEqual(10_000);
    expect(manifest.counts.read).toBe(manifest.counts.scored + manifest.counts.rejected);
    expect(manifest.counts.published).toBe(0);
    expect(manifest.kafka.producers.map((p) => p.committed)).toEqual([false, false]);
    expect(result.events.map((e) => e.event)).toEqual(expect.arrayContaining(['run_stopping', 'run_finished']));
    expect(result.events.filter((e) => e.event === 'publisher_abort_failed')).toEqual([]);

    // The broker holds a's messages; read_committed consumers never see them (aborted), but see b's right away.
    // (Rows decided are published a send later: up to ~1 MB per pipeline is still being filled.)
    const held = await consumeCommitted(kafkaBrokers(), topic, { isolation: 'read_uncommitted', expected: 1_000, settleMs: 1_000 });
    expect(held.length).toBeGreaterThanOrEqual(1_000);
    const { run: b, visibleAt } = await commitRunB(topic);
    const waitedSeconds = (visibleAt - b.endedAt) / 1000;
    console.log(`SIGTERM: run b's ${smallRows} messages were visible to a new read_committed consumer ${waitedSeconds.toFixed(2)} s after b committed`);
    expect(waitedSeconds).toBeLessThan(60);
  });

  it('on SIGKILL holds read_committed consumers up for at most its transaction timeout', async () => {
    const topic = uniqueName('predictions');
    const timeoutMs = 20_000;
    const { result, signalledAt } = await interrupted(topic, 'SIGKILL', { KAFKA_TRANSACTION_TIMEOUT_MS: String(timeoutMs) });
    expect(result.signal).toBe('SIGKILL');

    const { run: b, visibleAt } = await commitRunB(topic);
    const blockedSeconds = (visibleAt - signalledAt) / 1000;
    const heldAfterCommitSeconds = (visibleAt - b.endedAt) / 1000;
    console.log(
      `SIGKILL: read_committed consumers were held up ${blockedSeconds.toFixed(1)} s after the kill ` +
        `(${heldAfterCommitSeconds.toFixed(1)} s after run b committed; KAFKA_TRANSACTION_TIMEOUT_MS ${timeoutMs / 1000} s, broker check every ${BROKER_ABORT_CHECK_MS / 1000} s)`,
    );
    // The hold is real (b's committed messages waited for the broker to abort a's transaction)…
    expect(heldAfterCommitSeconds).toBeGreaterThan(2);
    // …and bounded by the transaction timeout, plus the broker's check interval and a margin for this machine.
    expect(blockedSeconds).toBeLessThanOrEqual((timeoutMs + BROKER_ABORT_CHECK_MS) / 1000 + 10);
  });

  it('ends the transaction an earlier attempt\'s sub-producer <shard>.5 left open, although the rerun runs two pipelines', async () => {
    const topic = uniqueName('predictions');
    await createTopics(kafkaBrokers(), [topic, `${topic}.dlq`, `${topic}.runs`]);
    // A zombie of shard "a" from an attempt on a bigger instance: sub-producer 5, its transaction open on every partition.
    const zombie = await openTransaction(kafkaBrokers(), `ml-platform-scorer.${topic}.a.5`, topic, 300_000);
    const held = await consumeCommitted(kafkaBrokers(), topic, { isolation: 'read_uncommitted', expected: 3, settleMs: 500 });
    expect(held).toHaveLength(3); // the zombie's messages are on the broker, uncommitted

    const rerun = await runScorer(env(topic, 'a', smallInput));
    expect(rerun.code).toBe(0);
    expect(rerun.events.find((e) => e.event === 'transactional_ids_fenced')).toMatchObject({ ids: 15 });
    // Without the fence, read_committed consumers would wait for the zombie's 5-minute timeout; with it, they get the
    // rerun's rows at once, and none of the zombie's.
    const seen = await consumeCommitted(kafkaBrokers(), topic, { expected: smallRows, settleMs: 1_000, timeoutMs: 60_000 });
    expect(seen).toHaveLength(smallRows);
    expect(seen.filter((m) => m.key === 'zombie')).toEqual([]);
    expect((await readCommittedWithJava(kafkaBrokers(), topic, 5_000)).filter((m) => m.key === 'zombie')).toEqual([]);
    // And the zombie itself is fenced: its commit is refused.
    await expect(zombie.commit()).rejects.toThrow(/epoch|fenced/i);
  });

  it('fails a run that would outlive its transaction timeout before the broker aborts it, naming the fix', async () => {
    const topic = uniqueName('predictions');
    const run = await runScorer(env(topic, 'a', bigInput, { KAFKA_TRANSACTION_TIMEOUT_MS: '3000' }));
    expect(run.code).toBe(1);
    const manifest = readManifest(path.join(work, topic, 'a')); // shard "a" writes to OUTPUT_PATH/a
    expect(manifest.error).toMatchObject({ code: 'TRANSACTION_TIMEOUT', retryable: false });
    expect(manifest.error?.message).toMatch(/did not finish within its Kafka transaction's timeout \(KAFKA_TRANSACTION_TIMEOUT_MS 3000 ms\).*shard the input.*raise KAFKA_TRANSACTION_TIMEOUT_MS/);
    expect(manifest.counts.read).toBeLessThan(600_000);
    const held = await consumeCommitted(kafkaBrokers(), topic, { isolation: 'read_uncommitted', expected: 1_000, settleMs: 1_000 });
    expect(held.length).toBeGreaterThanOrEqual(1_000); // the positive control: there was something to hide
    await commitMarkers(kafkaBrokers(), topic); // after everything else on every partition, for the console consumer to read up to
    const visible = await readCommittedWithJava(kafkaBrokers(), topic, 5_000);
    expect(visible.filter((m) => m.key.startsWith('marker-'))).toHaveLength(3);
    expect(visible.filter((m) => !m.key.startsWith('marker-'))).toEqual([]);
  });
});
