// The night's data: generated with the trainer's own generator, then put where the deployed pipelines read it —
// the S3 prefixes their parameters name (the schedule's value, else the definition's default).
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NightlyOptions } from './options';
import { runStep } from './run-step';

export interface NightData {
  readonly train: string;
  readonly evaluation: string;
  readonly score: string;
}

/** Generates the three data sets under `root`: training, evaluation (a quarter of training) and the scoring batch. */
export async function generateNightData(o: NightlyOptions, root: string, python: string, logsDir: string, print: (line: string) => void): Promise<NightData> {
  const data: NightData = { train: path.join(root, 'train'), evaluation: path.join(root, 'evaluation'), score: path.join(root, 'score') };
  const generate = (name: string, out: string, rows: number, seed: number, more: string[]) =>
    runStep(
      {
        step: `generate-${name}`,
        command: python,
        args: ['-m', 'trainer', 'generate-data', '--rows', String(rows), '--out', out, '--seed', String(seed), '--overwrite', ...more],
        env: {},
        logFile: path.join(logsDir, `generate-${name}.log`),
        show: () => false,
      },
      print,
    );
  // --fail-gate: the same features with coin-flip labels — a model of them cannot beat chance, so the gate refuses it.
  const noise = o.failGate ? ['--label-noise', '1'] : [];
  await Promise.all([
    generate('training', data.train, o.trainRows, o.seed, ['--format', 'parquet', ...noise]),
    generate('evaluation', data.evaluation, Math.max(200, Math.floor(o.trainRows / 4)), o.seed + 1, ['--format', 'parquet', ...noise]),
    generate('scoring', data.score, o.scoreRows, o.seed + 2, ['--format', o.scoreFormat, '--files', String(o.scoreFiles), '--no-target', '--bad-rows', String(o.badRows)]),
  ]);
  return data;
}

/** Uploads every file of a folder under an s3:// prefix; returns the object count. */
export async function uploadFolder(s3: S3Client, folder: string, s3Uri: string): Promise<number> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(s3Uri);
  if (!match) throw new Error(`not an S3 URI: ${s3Uri}`);
  const [, bucket, prefix] = match as unknown as [string, string, string];
  const keyPrefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  const files = readdirSync(folder).sort();
  for (const file of files) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${keyPrefix}${file}`, Body: readFileSync(path.join(folder, file)) }));
  }
  return files.length;
}
