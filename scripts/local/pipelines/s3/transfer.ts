// Moving job data between S3 and a job's folders the way SageMaker does: input objects by S3DataType (S3Prefix,
// ManifestFile), split across instances by S3DataDistributionType, downloaded before the job starts; outputs
// uploaded after it ends; the training model folder tarred to model.tar.gz.
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore, PutOptions } from './object-store';
import { joinKey, parseS3Uri } from './s3-uri';

export interface InputObject {
  readonly key: string;
  readonly size: number;
  /** Where the object lands, relative to the channel's / input's local folder. */
  readonly relativePath: string;
}

export class InputSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputSpecError';
  }
}

function safeRelative(relative: string, source: string): string {
  const normalized = path.posix.normalize(relative.replace(/^\/+/, ''));
  if (normalized === '' || normalized === '.' || normalized.startsWith('../')) {
    throw new InputSpecError(`object ${source} has no usable local name ("${relative}")`);
  }
  return normalized;
}

/**
 * Where an object listed under an S3Prefix lands, relative to the input's local folder, as SageMaker places it:
 * under the prefix as under a folder (`…/output/test` puts `…/output/test/test.csv` at `test.csv`, as the SDK
 * examples rely on), an object that is the prefix itself under its own name (`…/output/model.tar.gz` →
 * `model.tar.gz`), and an object that only extends the prefix's last name relative to the prefix's folder
 * (`data/train` puts `data/training.csv` at `training.csv`).
 */
export function relativeToPrefix(key: string, prefix: string): string {
  if (key === prefix) return key.slice(key.lastIndexOf('/') + 1);
  if (prefix === '' || prefix.endsWith('/') || key.startsWith(`${prefix}/`)) return key.slice(prefix.length).replace(/^\/+/, '');
  return key.slice(prefix.lastIndexOf('/') + 1);
}

/**
 * The objects an input names. S3Prefix: every object whose key starts with the prefix, placed by
 * relativeToPrefix. ManifestFile: a JSON list `[{"prefix": "s3://b/p/"}, "rel/a.csv", …]`, each object placed at
 * its relative name. Objects whose keys end in "/" (folder markers) are skipped.
 */
export async function listInputObjects(store: ObjectStore, uri: string, dataType: string): Promise<{ bucket: string; objects: InputObject[] }> {
  const location = parseS3Uri(uri);
  if (!location) throw new InputSpecError(`"${uri}" is not an s3://bucket/key URI`);
  if (dataType === 'S3Prefix') {
    const objects: InputObject[] = [];
    for await (const object of store.list(location.bucket, location.key)) {
      if (object.key.endsWith('/')) continue;
      objects.push({ key: object.key, size: object.size, relativePath: safeRelative(relativeToPrefix(object.key, location.key), `s3://${location.bucket}/${object.key}`) });
    }
    return { bucket: location.bucket, objects: objects.sort((a, b) => (a.key < b.key ? -1 : 1)) };
  }
  if (dataType === 'ManifestFile') {
    const text = (await store.read(location.bucket, location.key)).toString('utf8');
    let manifest: unknown;
    try {
      manifest = JSON.parse(text);
    } catch {
      throw new InputSpecError(`manifest ${uri} is not JSON`);
    }
    const [head, ...entries] = Array.isArray(manifest) ? manifest : [];
    const prefix = parseS3Uri(String((head as { prefix?: unknown } | undefined)?.prefix ?? ''));
    if (!prefix || entries.some((entry) => typeof entry !== 'string')) {
      throw new InputSpecError(`manifest ${uri} must be [{"prefix": "s3://bucket/prefix/"}, "relative/key", …]`);
    }
    const objects = (entries as string[]).map((relative) => ({
      key: `${prefix.key}${relative}`,
      size: 0,
      relativePath: safeRelative(relative, `${prefix.key}${relative}`),
    }));
    return { bucket: prefix.bucket, objects };
  }
  throw new InputSpecError(`S3DataType ${dataType} is not supported locally (S3Prefix, ManifestFile are)`);
}

/**
 * ShardedByS3Key: instance `index` (0-based) of `count` gets every count-th object of the key-sorted list, so the
 * shares are disjoint, together complete, and differ in size by at most one object.
 */
export function shardObjects<T extends { key: string }>(objects: readonly T[], count: number, index: number): T[] {
  return [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).filter((_, position) => position % count === index);
}

export async function downloadObjects(
  store: ObjectStore,
  bucket: string,
  objects: readonly InputObject[],
  directory: string,
  signal?: AbortSignal,
  concurrency = 8,
): Promise<{ files: number; bytes: number }> {
  await mkdir(directory, { recursive: true });
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < objects.length) {
      signal?.throwIfAborted();
      const object = objects[next++]!;
      const file = path.join(directory, object.relativePath);
      await mkdir(path.dirname(file), { recursive: true });
      await store.download(bucket, object.key, file, signal);
      bytes += (await stat(file)).size;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
  return { files: objects.length, bytes };
}

async function filesUnder(directory: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) found.push(full);
    }
  };
  await walk(directory);
  return found.sort();
}

/** Uploads every file under `directory` to `<uri>/<relative path>` (nothing when the folder is empty or absent). */
export async function uploadDirectory(store: ObjectStore, directory: string, uri: string, options: PutOptions = {}): Promise<{ files: number; bytes: number }> {
  const location = parseS3Uri(uri);
  if (!location) throw new InputSpecError(`"${uri}" is not an s3://bucket/key URI`);
  const exists = await stat(directory).then((s) => s.isDirectory(), () => false);
  if (!exists) return { files: 0, bytes: 0 };
  let bytes = 0;
  const files = await filesUnder(directory);
  for (const file of files) {
    const relative = path.relative(directory, file).split(path.sep).join('/');
    await store.upload(location.bucket, joinKey(location.key, relative), file, options);
    bytes += (await stat(file)).size;
  }
  return { files: files.length, bytes };
}

/** model.tar.gz of a folder's contents (entries relative to the folder, as SageMaker packs /opt/ml/model). */
export async function tarGzDirectory(directory: string, file: string): Promise<void> {
  const entries = (await readdir(directory)).sort();
  const args = ['-czf', file, '-C', directory, ...(entries.length ? ['--', ...entries] : ['-T', '/dev/null'])];
  await new Promise<void>((resolve, reject) => {
    const child = spawn('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}: ${stderr.trim()}`))));
  });
}
