import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startServices, type RunningServices } from '../../scripts/local/services';
import { mlflowTrackingUri, uniqueName } from '../support/services';
import { consumeCommitted, readCommittedWithJava } from './support/consume';
import { predictionValidator } from './support/contract-validator';
import { generateData, registerFixtureModel } from './support/mlflow-fixture';
import { localScorerEnv, readManifest, runScorer } from './support/scorer-process';

jest.setTimeout(420_000);

// This suite stops and restarts the broker, so it starts a Kafka of its own instead of the shared one.
describe('the scorer when the Kafka broker goes away mid-run', () => {
  let kafka: RunningServices;
  let brokers: string;

  beforeAll(async () => {
    kafka = await startServices({ only: ['kafka'], log: () => undefined });
    brokers = kafka.endpoints.kafka!.brokers.join(',');
  });

  afterAll(async () => {
    await kafka?.stop();
  });

  it('retries, fails cleanly with nothing visible to read_committed consumers, and a rerun with fewer pipelines publishes every row once', async () => {
    const model = uniqueName('churn');
    await registerFixtureModel(mlflowTrackingUri(), model, 'champion', 'churn');
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-broker-down-'));
    // Enough rows that the broker stops while the run is under way (~100k rows/s here).
    const rows = 400_000;
    await generateData(path.join(work, 'in'), rows, { format: 'csv', files: 3, seed: 21 });
    const topic = uniqueName('predictions');
    const env = {
      ...localScorerEnv({ model, topic, brokers, input: path.join(work, 'in'), modelCacheDir: path.join(work, 'models') }),
      KAFKA_RETRIES: '2',
      KAFKA_CHUNK_SIZE: '2000',
      PROGRESS_EVERY_ROWS: '10000',
      // Each attempt runs several pipelines, each in its own transaction; the rerun fewer than the attempt it replaces,
      // so it must also end the transaction of the sub-producer it no longer runs (`<shard>.2`), or consumers would
      // wait for its 5-minute timeout.
      KAFKA_PRODUCERS: '3',
    };

    // First attempt: stop the broker once the scorer has published part of the batch.
    let stopping: Promise<void> | undefined;
    const failed = await runScorer(
      { ...env, OUTPUT_PATH: path.join(work, 'out-1'), RUN_ID: 'attempt-1' },
      { onEvent: (e) => void (e.event === 'progress' && (e.read as number) >= 30_000 && (stopping ??= kafka.stopService('kafka'))) },
    );
    await stopping;
    expect(stopping).toBeDefined();
    expect(failed.code).toBe(1);
    const first = readManifest(path.join(work, 'out-1'));
    expect(first.status).toBe('failed');
    expect(first.error).toMatchObject({ code: 'PUBLISH_FAILED', retryable: true });
    expect(first.counts.read).toBeGreaterThanOrEqual(30_000);
    expect(first.counts.read).toBeLessThan(rows);
    expect(first.counts.read).toBe(first.counts.scored + first.counts.rejected);

    // The broker comes back holding part of the failed attempt (read_uncommitted sees it)…
    await kafka.startService('kafka');
    const runOf = (value: string) => JSON.parse(value).run.id as string;
    const held = await consumeCommitted([brokers], topic, { isolation: 'read_uncommitted', settleMs: 3_000 });
    expect(held.filter((m) => runOf(m.value) === 'attempt-1').length).toBeGreaterThan(0);

    // …and the rerun (same transactional id) fences that attempt and publishes every row exactly once.
    const rerun = await runScorer({ ...env, OUTPUT_PATH: path.join(work, 'out-2'), RUN_ID: 'attempt-2', KAFKA_PRODUCERS: '2' });
    expect(rerun.code).toBe(0);
    const second = readManifest(path.join(work, 'out-2'));
    expect(second.counts).toMatchObject({ read: rows, published: rows, rejected: 0 });

    // read_committed consumers see exactly the rerun, and of the failed attempt what its manifest reported as
    // published (0), although the broker holds some of its messages.
    // Kafka's own consumer judges: with three transactions aborted on each partition, kafkajs' consumer lets a few
    // aborted messages through (see readCommittedWithJava).
    const seen = await readCommittedWithJava([brokers], topic);
    const byRun: Record<string, number> = {};
    for (const m of seen) byRun[m.runId] = (byRun[m.runId] ?? 0) + 1;
    expect(byRun).toEqual({ 'attempt-2': rows });
    expect(new Set(seen.map((m) => m.key)).size).toBe(rows);
    expect(first.kafka.producers.map((p) => p.committed)).toEqual([false, false, false]);
    const visible = await consumeCommitted([brokers], topic, { expected: rows, settleMs: 3_000, timeoutMs: 90_000 });
    expect(visible.filter((m) => runOf(m.value) === 'attempt-2')).toHaveLength(rows);
    expect(second.counts.published).toBe(rows);
    expect(first.counts.published).toBe(0);
    const values = visible.map((m) => JSON.parse(m.value));
    const validate = predictionValidator();
    expect(values.slice(0, 2_000).flatMap((v) => validate(v))).toEqual([]);
  });
});
