/**
 * @jest-environment ./test/scorer/support/onnx-environment.js
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MlflowClient } from '../../apps/scorer/src/mlflow';
import { silentLogger } from '../../apps/scorer/src/log';
import { RunManifest } from '../../apps/scorer/src/manifest';
import { executeRun } from '../../apps/scorer/src/run/execute-run';
import { REPO_ROOT, predictionValidator } from './support/contract-validator';
import { fakeMlflowFetch } from './support/fake-mlflow';
import { folderWith } from './support/files';
import { MemoryPublisher } from './support/memory-publisher';
import { testConfig } from './support/run-config';

const PARQUET = readFileSync(path.join(REPO_ROOT, 'test/scorer/fixtures/rows.parquet'));
const GOOD_CSV = 'customer_id,tenure_months,monthly_charges,plan\n' + Array.from({ length: 250 }, (_, i) => `k${i},${i % 70},${20 + (i % 9)},${['basic', 'standard', 'premium', ''][i % 4]}`).join('\n') + '\n';
const validate = predictionValidator();

async function run(files: Record<string, string | Buffer>, env: Record<string, string> = {}, mlflow = fakeMlflowFetch()) {
  const config = testConfig({ INPUT_PATH: folderWith(files), SCORE_BATCH_SIZE: '64', ...env });
  const publisher = new MemoryPublisher();
  const manifest = await executeRun({
    config,
    log: silentLogger,
    mlflow: new MlflowClient({ trackingUri: config.mlflow.trackingUri, auth: { kind: 'none' }, fetchImpl: mlflow.fetch, retries: 0 }),
    publisher: async () => publisher,
    s3: () => {
      throw new Error('no S3');
    },
  });
  const onDisk = JSON.parse(readFileSync(path.join(config.outputPath, 'manifest.json'), 'utf8')) as RunManifest;
  const rejectedFile = readFileSync(path.join(config.outputPath, 'rejected-rows.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { manifest, onDisk, publisher, rejectedFile };
}

describe('a scoring run', () => {
  it('publishes one contract-valid message per good row, keyed by entity id, and commits', async () => {
    const { manifest, publisher } = await run({ 'a.csv': GOOD_CSV, 'b.parquet': PARQUET }, { MAX_REJECTED_RATIO: '0.5' });
    const predictions = publisher.on('predictions');
    expect(manifest.error).toBeUndefined();
    expect(manifest.status).toBe('succeeded');
    expect(predictions).toHaveLength(253);
    expect(new Set(predictions.map((m) => m.key)).size).toBe(253);
    for (const message of predictions) {
      const value = JSON.parse(message.value);
      expect(validate(value)).toEqual([]);
      expect(value.entity_id).toBe(message.key);
      expect(value.model).toEqual({ name: 'churn', version: '4' });
      expect(message.headers).toMatchObject({ 'model-version': '4', 'run-id': 'run-1', 'schema-version': value.schema_version });
    }
  });

  it('reconciles rows read with rows published and rejected, per file and in total', async () => {
    const { manifest, onDisk, publisher } = await run({ 'a.csv': GOOD_CSV, 'b.parquet': PARQUET }, { MAX_REJECTED_RATIO: '0.5' });
    expect(onDisk).toEqual(manifest);
    expect(manifest.counts).toEqual({ read: 255, scored: 253, rejected: 2, published: 253, deadLettered: 2 });
    expect(manifest.counts.read).toBe(manifest.counts.published + manifest.counts.rejected);
    expect(manifest.input.files.map((f) => [path.basename(f.source), f.rowsRead, f.rowsRejected])).toEqual([['a.csv', 250, 0], ['b.parquet', 5, 2]]);
    expect(publisher.on('predictions.dlq')).toHaveLength(2);
  });

  it('sends each bad row to the dead-letter topic and the rejected rows file with its source, row number and reason', async () => {
    const { publisher, rejectedFile } = await run({ 'b.parquet': PARQUET }, { MAX_REJECTED_RATIO: '0.5' });
    const deadLetters = publisher.on('predictions.dlq').map((m) => JSON.parse(m.value));
    expect(deadLetters).toEqual(rejectedFile);
    expect(deadLetters.map((d) => [path.basename(d.source.uri), d.source.row, d.entity_id, d.reason])).toEqual([
      ['b.parquet', 4, 'c4', 'missing value for non-nullable feature "monthly_charges"'],
      ['b.parquet', 5, 'c5', 'feature "plan" has unknown category "gold" (known: basic, standard, premium)'],
    ]);
    expect(deadLetters[0].record).toEqual({ customer_id: 'c4', tenure_months: '40', monthly_charges: null, plan: 'standard' });
  });

  it('fails and publishes nothing when the rejected share is above the limit', async () => {
    const { manifest, publisher } = await run({ 'b.parquet': PARQUET }, { MAX_REJECTED_RATIO: '0.1' });
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ code: 'TOO_MANY_REJECTED', retryable: false });
    expect(manifest.error?.message).toMatch(/2 of 5 rows rejected \(40\.00%\)/);
    expect(publisher.aborted).toBe(true);
    expect(publisher.committed).toEqual([]);
    expect(manifest.counts.published).toBe(0);
  });

  it('names a truncated Parquet file and a broken CSV, still accounts for the good file, and publishes nothing', async () => {
    const { manifest, publisher } = await run({
      'good.csv': GOOD_CSV,
      'cut.parquet': PARQUET.subarray(0, 200),
      'quote.csv': 'customer_id,tenure_months,monthly_charges,plan\nq1,1,2,basic\nq2,"1,2,basic\n',
    });
    expect(manifest.status).toBe('failed');
    expect(manifest.error?.code).toBe('INPUT_FILES_UNREADABLE');
    expect(manifest.error?.message).toMatch(/2 input file\(s\).*cut\.parquet.*quote\.csv/);
    const byFile = Object.fromEntries(manifest.input.files.map((f) => [path.basename(f.source), f]));
    expect(byFile['good.csv']).toEqual(expect.objectContaining({ rowsRead: 250, rowsRejected: 0 }));
    expect(byFile['good.csv'].error).toBeUndefined();
    expect(byFile['cut.parquet'].error).toMatch(/not a readable Parquet file/);
    expect(byFile['quote.csv'].error).toMatch(/after data row 1/);
    expect(manifest.counts.read).toBe(manifest.counts.scored + manifest.counts.rejected);
    expect(publisher.committed).toEqual([]);
  });

  it('fails clearly without starting the publisher when the alias does not exist', async () => {
    const { manifest, publisher } = await run({ 'a.csv': GOOD_CSV }, { MODEL_ALIAS: 'missing' });
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatchObject({ code: 'MLFLOW_NOT_FOUND', retryable: false });
    expect(manifest.error?.message).toMatch(/alias missing not found/);
    expect(publisher.started).toBe(false);
  });

  it('fails as retryable without starting the publisher when MLflow is down', async () => {
    const { manifest, publisher } = await run({ 'a.csv': GOOD_CSV }, {}, fakeMlflowFetch({ failWith: 503 }));
    expect(manifest.error).toMatchObject({ code: 'MLFLOW_FAILED', retryable: true });
    expect(publisher.started).toBe(false);
  });
});
