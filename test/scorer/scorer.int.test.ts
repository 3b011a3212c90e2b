import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RunManifest } from '../../apps/scorer/src/manifest';
import { kafkaBrokers, mlflowTrackingUri, uniqueName } from '../support/services';
import { consumeCommitted } from './support/consume';
import { predictionValidator } from './support/contract-validator';
import { generateData, registerFixtureModel } from './support/mlflow-fixture';
import { localScorerEnv, runScorer } from './support/scorer-process';

jest.setTimeout(240_000);

const validate = predictionValidator();
const readManifest = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as RunManifest;

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
    const topic = uniqueName('predictions');
    const output = path.join(work, 'out');
    const result = await runScorer(scorerEnv(path.join(work, 'in'), output, topic, extra));
    expect(result.code).toBe(0);

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
      expect(m.headers).toMatchObject({ 'model-version': version, 'run-id': manifest.runId, 'schema-version': '1.0' });
    }

    const deadLetters = (await consumeCommitted(kafkaBrokers(), `${topic}.dlq`, { expected: badRows })).map((m) => JSON.parse(m.value));
    expect(deadLetters.map((d) => d.entity_id).sort()).toEqual(generated.bad_rows.map((b) => b.customer_id).sort());
    for (const d of deadLetters) expect(d.reason).toMatch(/not a number|unknown category/);
    expect(readFileSync(path.join(output, 'rejected-rows.jsonl'), 'utf8').trim().split('\n')).toHaveLength(badRows);
  }

  it('scores a trainer-generated CSV batch: read_committed consumers get every good row once, valid per the schema, bad rows dead-lettered', async () => {
    await scoreGenerated('csv', 3_000, 6, 2);
  });

  it('scores a trainer-generated Parquet batch the same way, with the producer on the main thread', async () => {
    await scoreGenerated('parquet', 2_000, 4, 1, { KAFKA_PRODUCER_THREAD: 'false' });
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
    expect(await consumeCommitted(kafkaBrokers(), topic, { settleMs: 3_000 })).toEqual([]);
  });
});
