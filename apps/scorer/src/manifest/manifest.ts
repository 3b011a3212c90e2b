import { mkdir, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface FileAccount {
  source: string;
  rowsRead: number;
  rowsRejected: number;
  /** Set when the file could not be read (to the end) or is not a file the scorer reads; rows read so far still count. */
  error?: string;
}

export interface RunManifest {
  /** `stopped`: ended by SIGTERM/SIGINT before committing; like a failed run, nothing of it is visible to consumers. */
  status: 'succeeded' | 'failed' | 'stopped';
  runId: string;
  runDate: string;
  shardId: string;
  model: { name: string; version: string | null; alias: string | null; mlflowRunId: string | null };
  /** ignoredFiles: marker and hidden files skipped by convention (names starting with "_" or "."). */
  input: { path: string; files: FileAccount[]; ignoredFiles: string[] };
  /**
   * transactionalId: the shard's base id; each pipeline's producer uses `<base>.<index>`. `committed`: whether its
   * transaction committed (a run fails if any did not; the messages of those that did are visible).
   */
  kafka: {
    topic: string;
    deadLetterTopic: string;
    runsTopic: string;
    transactionalId: string | null;
    producers: Array<{ index: number; transactionalId: string | null; committed: boolean; published: number; deadLettered: number }>;
  };
  /**
   * read = scored + rejected always, in total and per file (a stopped or failed run counts the rows it decided before
   * it ended); published is what consumers can see (0 when a transactional run fails or stops).
   */
  counts: { read: number; scored: number; rejected: number; published: number; deadLettered: number };
  rejectedRatio: number;
  maxRejectedRatio: number;
  timings: { startedAt: string; finishedAt: string; resolveModelMs: number; processMs: number; totalMs: number };
  throughputRowsPerSecond: number;
  error?: { code: string; message: string; retryable: boolean };
}

export const MANIFEST_FILE = 'manifest.json';
export const REJECTED_ROWS_FILE = 'rejected-rows.jsonl';

/** Written to a temp name and renamed, so a reader never sees half a manifest. */
export async function writeManifest(outputDir: string, manifest: RunManifest): Promise<string> {
  await mkdir(outputDir, { recursive: true });
  const target = path.join(outputDir, MANIFEST_FILE);
  await writeFile(`${target}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${target}.tmp`, target);
  return target;
}
