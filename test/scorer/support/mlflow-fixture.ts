import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './contract-validator';

const run = promisify(execFile);
export const PYTHON = path.join(REPO_ROOT, '.venv/bin/python');

/** Logs the fixture model (docs/container-interface.md format) to MLflow, registers it (with tags) and sets the alias. */
export async function registerFixtureModel(
  trackingUri: string,
  name: string,
  alias: string | undefined,
  schema: 'tiny' | 'churn',
  tags: Record<string, string> = {},
  /** e.g. MLFLOW_TRACKING_USERNAME/PASSWORD for a server that requires them. */
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const args = ['register', '--name', name, '--schema', schema, ...(alias ? ['--alias', alias] : []), ...Object.entries(tags).flatMap(([k, v]) => ['--tag', `${k}=${v}`])];
  const { stdout } = await run(PYTHON, [path.join(REPO_ROOT, 'test/scorer/fixtures/model_fixture.py'), ...args], {
    env: { ...process.env, ...extraEnv, MLFLOW_TRACKING_URI: trackingUri, GIT_PYTHON_REFRESH: 'quiet' },
    cwd: REPO_ROOT,
    maxBuffer: 10 * 1024 * 1024,
  });
  return (JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { version: string }).version;
}

/** The trainer's own data generator, so the scorer is tested on the data the platform produces. */
export async function generateData(out: string, rows: number, options: { format?: 'csv' | 'parquet'; badRows?: number; files?: number; seed?: number } = {}) {
  const args = ['-m', 'trainer', 'generate-data', '--rows', String(rows), '--out', out, '--format', options.format ?? 'csv', '--seed', String(options.seed ?? 1), '--no-target', '--overwrite', '--manifest', path.join(out, '..', `${path.basename(out)}-manifest.json`)];
  if (options.badRows) args.push('--bad-rows', String(options.badRows));
  if (options.files) args.push('--files', String(options.files));
  await run(PYTHON, args, { cwd: REPO_ROOT, maxBuffer: 10 * 1024 * 1024 });
  return JSON.parse(require('node:fs').readFileSync(path.join(out, '..', `${path.basename(out)}-manifest.json`), 'utf8')) as {
    rows: number;
    files: string[];
    bad_rows: { customer_id: string; column: string; value: string }[];
  };
}

/** Rewrites Parquet files as one file whose row groups hold `rowGroupSize` rows (the generator writes 100,000-row groups). */
export async function rewriteParquet(files: string[], out: string, rowGroupSize: number): Promise<void> {
  await run(PYTHON, ['-c', 'import sys, pyarrow.parquet as pq; pq.write_table(pq.ParquetDataset(sys.argv[3:]).read(), sys.argv[1], row_group_size=int(sys.argv[2]))', out, String(rowGroupSize), ...files]);
}
