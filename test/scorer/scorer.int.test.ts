import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEAD_LETTER_FIELD_LIMIT_BYTES, SCHEMA_VERSION } from '../../apps/scorer/src/contract';
import { kafkaBrokers, mlflowTrackingUri, uniqueName } from '../support/services';
import { ConsumedMessage, consumeCommitted, visibleBesidesMarkers } from './support/consume';
import { deadLetterValidator, predictionValidator, runRecordValidator } from './support/contract-validator';
import { generateData, registerFixtureModel, rewriteParquet } from './support/mlflow-fixture';
import { ScorerProcessResult, localScorerEnv, readManifest, runScorer } from './support/scorer-process';

jest.setTimeout(240_000);

const validate = predictionValidator();
const validateDeadLetter = deadLetterValidator();
const validateRunRecord = runRecordValidator();

/** A clean run logs no warnings or errors (kafkajs' retried coordinator errors on a fresh broker included). */
const warningsAndErrors = (result: ScorerProcessResult) => result.events.filter((e) => e.level !== 'info');

describe('the scorer against real Kafka and MLflow', () => {
  const model = uniqueName('churn');
  let version: string;

  beforeAll(async () => {
    version = await registerFixtureModel(mlflowTrackingUri(), model, 'champion', 'churn');
  });

  function scorerEnv(input: string, output: string, topic: string, extra: Record<string, string> = {}) {
    return {
      ...localScorerEnv({ model, topic, input, modelCacheDir: mkdtempSync(path.join(tmpdir(), 'scorer-models-')) }),
      OUTPUT_PATH: output,
      RUN_ID: uniqueName('run'),
      MLFLOW_RETRIES: '0',
      ...extra,
    };
  }

  /** Scores a trainer-generated batch and checks what a read_committed consumer gets. */
  async function scoreGenerated(format: 'csv' | 'parquet', rows: number, badRows: number, files: number, extra: Record<string, string> = {}) {
    const work = mkdtempSync(path.join(tmpdir(), `scorer-e2e-${format}-`));
    const generated = await generateData(path.join(work, 'in'), rows, { format, badRows, files, seed: 11 });
    if (format === 'csv') {
      // One file as the upstream export may deliver it: gzip'd, read transparently.
      const first = generated.files[0];
      writeFileSync(`${first}.gz`, gzipSync(readFileSync(first)));
      rmSync(first);
    }
    const topic = uniqueName('predictions');
    const output = path.join(work, 'out');
    const result = await runScorer(scorerEnv(path.join(work, 'in'), output, topic, extra));
    expect(result.code).toBe(0);
    expect(warningsAndErrors(result)).toEqual([]);

    const good = rows - badRows;
    const manifest = readManifest(output);
    expect(manifest.status).toBe('succeeded');
    expect(manifest.model).toMatchObject({ name: model, version, alias: 'champion' });
    expect(manifest.counts).toEqual({ read: rows, scored: good, rejected: badRows, published: good, deadLettered: badRows });
    expect(manifest.input.files).toHaveLength(files);

    const predictions = await consumeCommitted(kafkaBrokers(), topic, { expected: good });
    expect(predictions).toHaveLength(good);
    expect(new Set(predictions.map((m) => m.key)).size).toBe(good);
    const invalid = predictions.flatMap((m) => validate(JSON.parse(m.value)).map((e) => `${m.key}: ${e}`));
    expect(invalid).toEqual([]);
    for (const m of predictions) {
      expect(JSON.parse(m.value).entity_id).toBe(m.key);
      expect(m.headers).toMatchObject({ 'model-version': version, 'run-id': manifest.runId, 'schema-version': SCHEMA_VERSION });
    }

    const deadLetters = (await consumeCommitted(kafkaBrokers(), `${topic}.dlq`, { expected: badRows })).map((m) => JSON.parse(m.value));
    expect(deadLetters.map((d) => d.entity_id).sort()).toEqual(generated.bad_rows.map((b) => b.customer_id).sort());
    for (const d of deadLetters) expect(d.reason).toMatch(/not a number|unknown category/);
    expect(deadLetters.flatMap((d) => validateDeadLetter(d))).toEqual([]);
    expect(readFileSync(path.join(output, 'rejected-rows.jsonl'), 'utf8').trim().split('\n')).toHaveLength(badRows);

    // The end-of-run records: one per producer and one for the shard, whose counts are what consumers read.
    const producers = manifest.kafka.producers.length;
    const records = (await consumeCommitted(kafkaBrokers(), `${topic}.runs`, { expected: producers + 1 })).map((m) => JSON.parse(m.value));
    expect(records.flatMap((r) => validateRunRecord(r))).toEqual([]);
    expect(records.map((r) => r.kind).sort()).toEqual([...Array(producers).fill('producer-committed'), 'shard-committed']);
    const shard = records.find((r) => r.kind === 'shard-committed');
    const perPartition = (messages: ConsumedMessage[]) => {
      const counts: Record<string, number> = {};
      for (const m of messages) counts[m.partition] = (counts[m.partition] ?? 0) + 1;
      return counts;
    };
    expect(shard).toMatchObject({ run: { id: manifest.runId }, rows: { read: rows, scored: good, rejected: badRows } });
    expect(shard.predictions).toEqual({ topic, messages: predictions.length, partitions: perPartition(predictions) });
    expect(shard.dead_letters.messages).toBe(badRows);
    const byProducer = records.filter((r) => r.kind === 'producer-committed');
    expect(byProducer.reduce((sum, r) => sum + r.predictions.messages, 0)).toBe(predictions.length);
  }

  it('scores a trainer-generated CSV batch (one file gzip\'d) with two pipelines: read_committed consumers get every good row once, valid per the schema, bad rows dead-lettered, no warnings logged', async () => {
    await scoreGenerated('csv', 3_000, 6, 3, { KAFKA_PRODUCERS: '2' });
  });

  it('scores a trainer-generated Parquet batch the same way, with one pipeline', async () => {
    await scoreGenerated('parquet', 2_000, 4, 1, { KAFKA_PRODUCERS: '1' });
  });

  it('fails clearly and publishes nothing when the alias does not exist', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-alias-'));
    await generateData(path.join(work, 'in'), 100, { seed: 3 });
    const topic = uniqueName('predictions');
    const result = await runScorer(scorerEnv(path.join(work, 'in'), path.join(work, 'out'), topic, { MODEL_ALIAS: 'no-such-alias', KAFKA_CREATE_TOPICS: 'false' }));
    expect(result.code).toBe(1);
    const manifest = readManifest(path.join(work, 'out'));
    expect(manifest.error).toMatchObject({ code: 'MLFLOW_NOT_FOUND', retryable: false });
    expect(manifest.error?.message).toMatch(/no-such-alias/);
    expect(result.events.some((e) => e.event === 'publisher_started')).toBe(false);
  });

  it('fails as retryable and publishes nothing when MLflow is unreachable', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-nomlflow-'));
    await generateData(path.join(work, 'in'), 100, { seed: 4 });
    const result = await runScorer(scorerEnv(path.join(work, 'in'), path.join(work, 'out'), uniqueName('predictions'), { MLFLOW_TRACKING_URI: 'http://127.0.0.1:9' }));
    expect(result.code).toBe(1);
    const manifest = readManifest(path.join(work, 'out'));
    expect(manifest.error).toMatchObject({ code: 'MLFLOW_FAILED', retryable: true });
    expect(manifest.error?.message).toMatch(/MLflow at http:\/\/127\.0\.0\.1:9 is unreachable/);
    expect(result.events.some((e) => e.event === 'publisher_started')).toBe(false);
  });

  it('names a truncated Parquet file and a ragged CSV, accounts for the good file and leaves nothing visible', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-malformed-'));
    const input = path.join(work, 'in');
    await generateData(input, 500, { seed: 5 });
    const pq = await generateData(path.join(work, 'pq'), 500, { format: 'parquet', seed: 6 });
    const bytes = readFileSync(pq.files[0]);
    writeFileSync(path.join(input, 'truncated.parquet'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    writeFileSync(path.join(input, 'ragged.csv'), 'customer_id,tenure_months\nR1,1,2,3\nR2,"open quote\n');
    const topic = uniqueName('predictions');
    const result = await runScorer(scorerEnv(input, path.join(work, 'out'), topic));
    expect(result.code).toBe(1);
    const manifest = readManifest(path.join(work, 'out'));
    expect(manifest.error?.code).toBe('INPUT_FILES_UNREADABLE');
    expect(manifest.error?.message).toMatch(/ragged\.csv/);
    expect(manifest.error?.message).toMatch(/truncated\.parquet/);
    const good = manifest.input.files.find((f) => f.source.endsWith('part-00000.csv'));
    expect(good).toMatchObject({ rowsRead: 500, rowsRejected: 0 });
    expect(good?.error).toBeUndefined();
    expect(manifest.counts.read).toBe(manifest.counts.scored + manifest.counts.rejected);
    expect(await visibleBesidesMarkers(kafkaBrokers(), topic)).toEqual([]);
  });

  it('fails a Parquet row group too big for the pipeline heap as PIPELINE_OUT_OF_MEMORY (not retryable, nothing visible), and scores it with the default heap', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-heap-'));
    const generated = await generateData(path.join(work, 'gen'), 300_000, { format: 'parquet', seed: 8 });
    const input = path.join(work, 'in');
    mkdirSync(input);
    // One 300,000-row group: its decoded columns (~130 MB) cannot fit a 64 MB heap, and fit the default 256 MB.
    await rewriteParquet(generated.files, path.join(input, 'one-group.parquet'), 300_000);
    const topic = uniqueName('predictions');
    const failed = await runScorer(scorerEnv(input, path.join(work, 'out-1'), topic, { KAFKA_PRODUCERS: '1', PIPELINE_HEAP_MB: '64' }));
    expect(failed.code).toBe(1);
    const manifest = readManifest(path.join(work, 'out-1'));
    expect(manifest.error).toMatchObject({ code: 'PIPELINE_OUT_OF_MEMORY', retryable: false });
    expect(manifest.error?.message).toMatch(/64 MB heap \(PIPELINE_HEAP_MB\): raise PIPELINE_HEAP_MB/);
    expect(await visibleBesidesMarkers(kafkaBrokers(), topic)).toEqual([]);
    const scored = await runScorer(scorerEnv(input, path.join(work, 'out-2'), topic, { KAFKA_PRODUCERS: '1' }));
    expect(scored.code).toBe(0);
    expect(readManifest(path.join(work, 'out-2')).counts).toMatchObject({ read: 300_000, published: 300_000 });
  });

  it('fails an empty batch by default without publishing, and succeeds on it with MIN_ROWS=0', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-empty-'));
    const input = path.join(work, 'in');
    mkdirSync(input);
    writeFileSync(path.join(input, 'part-00000.csv'), 'customer_id,tenure_months,monthly_charges,plan\n');
    const topic = uniqueName('predictions');
    const failed = await runScorer(scorerEnv(input, path.join(work, 'out-1'), topic));
    expect(failed.code).toBe(1);
    expect(readManifest(path.join(work, 'out-1')).error).toMatchObject({ code: 'INPUT_EMPTY', retryable: false });
    const allowed = await runScorer(scorerEnv(input, path.join(work, 'out-2'), topic, { MIN_ROWS: '0' }));
    expect(allowed.code).toBe(0);
    expect(readManifest(path.join(work, 'out-2'))).toMatchObject({ status: 'succeeded', counts: { read: 0, published: 0 } });
    expect(await visibleBesidesMarkers(kafkaBrokers(), topic)).toEqual([]);
  });

  it('publishes 999 good rows around a 10 MiB bad row, a row too big to publish and a row whose id is not UTF-8, each rejected alone', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-oversized-'));
    const input = path.join(work, 'in');
    const generated = await generateData(input, 999, { seed: 12 });
    // Bad rows made from a good one (the trainer's columns, in its order), placed in the middle of the file.
    const [header, ...good] = readFileSync(generated.files[0], 'utf8').trim().split('\n');
    const fields = good[0].split(',');
    const tenure = header.split(',').indexOf('"tenure_months"');
    const like = (changes: Record<number, string>) => fields.map((f, i) => changes[i] ?? f).join(',');
    writeFileSync(
      generated.files[0],
      Buffer.concat([
        Buffer.from(`${header}\n${good.slice(0, 500).join('\n')}\n`),
        Buffer.from(`${like({ 0: 'HUGE', [tenure]: `${'9'.repeat(10 * 1024 * 1024)}x` })}\n`),
        Buffer.from(`${like({ 0: 'L'.repeat(600_000) })}\n`),
        Buffer.concat([Buffer.from('C'), Buffer.from([0xff]), Buffer.from(`1${like({ 0: '' })}\n`)]),
        Buffer.from(`${good.slice(500).join('\n')}\n`),
      ]),
    );
    const topic = uniqueName('predictions');
    const result = await runScorer(scorerEnv(input, path.join(work, 'out'), topic));
    const manifest = readManifest(path.join(work, 'out'));
    expect(manifest.error).toBeUndefined();
    expect(result.code).toBe(0);
    expect(manifest.counts).toEqual({ read: 1002, scored: 999, rejected: 3, published: 999, deadLettered: 3 });

    const predictions = await consumeCommitted(kafkaBrokers(), topic, { expected: 999 });
    expect(predictions.map((m) => m.key).sort()).toEqual(good.map((row) => row.split(',')[0]).sort());
    expect(warningsAndErrors(result)).toEqual([]);
    const deadLetters = await consumeCommitted(kafkaBrokers(), `${topic}.dlq`, { expected: 3 });
    expect(deadLetters).toHaveLength(3);
    const values = deadLetters.map((m) => JSON.parse(m.value));
    expect(values.flatMap((d) => validateDeadLetter(d))).toEqual([]);
    for (const m of deadLetters) expect(Buffer.byteLength(m.value)).toBeLessThan(4 * DEAD_LETTER_FIELD_LIMIT_BYTES);
    expect(values.map((d) => [d.source.row, d.entity_id, d.truncated, d.reason]).sort()).toEqual([
      [501, 'HUGE', true, expect.stringMatching(/^feature "tenure_months" is not a number: "9999/)],
      [502, null, true, expect.stringMatching(/^entity id is 600000 bytes long: its prediction message would be about/)],
      [503, null, false, expect.stringMatching(/^invalid UTF-8 in column "customer_id"/)],
    ]);
    // The file keeps each rejected row whole.
    const file = readFileSync(path.join(work, 'out', 'rejected-rows.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(file.map((d) => [d.source.row, d.truncated, JSON.stringify(d.record ?? '').length > 600_000 || d.record === null])).toEqual([
      [501, false, true],
      [502, false, true],
      [503, false, true],
    ]);
  });

  it('publishes a thousand 8 KiB dead letters, more than the broker takes in one request, in several', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-many-dead-letters-'));
    const input = path.join(work, 'in');
    mkdirSync(input);
    // Random text does not compress: each dead letter carries ~8 KiB of it, ~8 MiB in all, several times the
    // broker's 1 MiB max.message.bytes for what one produce request may put in a partition's record batch.
    const lines = Array.from({ length: 1_000 }, (_, i) => JSON.stringify({ customer_id: `D${i}`, tenure_months: randomBytes(9_000).toString('base64') }));
    writeFileSync(path.join(input, 'part-00000.jsonl'), `${lines.join('\n')}\n`);
    const topic = uniqueName('predictions');
    const result = await runScorer(scorerEnv(input, path.join(work, 'out'), topic, { MAX_REJECTED_RATIO: '1' }));
    const manifest = readManifest(path.join(work, 'out'));
    expect(manifest.error).toBeUndefined();
    expect(result.code).toBe(0);
    expect(manifest.counts).toEqual({ read: 1_000, scored: 0, rejected: 1_000, published: 0, deadLettered: 1_000 });
    const deadLetters = await consumeCommitted(kafkaBrokers(), `${topic}.dlq`, { expected: 1_000 });
    expect(new Set(deadLetters.map((m) => m.key)).size).toBe(1_000);
    expect(deadLetters.every((m) => JSON.parse(m.value).truncated === true)).toBe(true);
  });
});