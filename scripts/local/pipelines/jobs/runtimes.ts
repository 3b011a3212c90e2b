// Image URI → local runtime, from a mapping FILE (containers/local-runtimes.json), not code: which ECR repository
// (by name pattern, e.g. "*/trainer") runs how on this machine so that the job sees what its Dockerfile gives —
// working directory, PATH, ENV, ENTRYPOINT/CMD, extra paths — and how the runtime is prepared (built) first.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { LocalEnvironmentError } from '../errors';

const absolute = z.string().startsWith('/', 'must be an absolute path inside the job, e.g. "/app"');

const runtimeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
  repository: z.string().min(1).describe('pattern over the ECR repository name; * matches any characters'),
  dockerfile: z.string().optional().describe('the Dockerfile this runtime mirrors (documentation; checked to exist)'),
  workingDir: absolute,
  path: z.array(z.string().min(1)).min(1),
  home: absolute.default('/root'),
  environment: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  entrypoint: z.array(z.string()).default([]),
  cmd: z.array(z.string()).default([]),
  binds: z.array(z.strictObject({ source: z.string().min(1), target: absolute, readOnly: z.boolean().default(true) })).default([]),
  prepare: z
    .strictObject({
      command: z.array(z.string().min(1)).min(1).optional(),
      inputs: z.array(z.string().min(1)).default([]),
      requires: z.array(z.string().min(1)).default([]),
      hint: z.string().optional(),
    })
    .optional(),
});

const fileSchema = z.strictObject({
  $comment: z.union([z.string(), z.array(z.string())]).optional(),
  root: z.string().default('..').describe('folder that ${root} stands for, relative to this file'),
  runtimes: z.array(runtimeSchema).min(1),
});

export interface LocalRuntime {
  readonly name: string;
  readonly repository: string;
  readonly workingDir: string;
  readonly path: readonly string[];
  readonly home: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly binds: ReadonlyArray<{ source: string; target: string; readOnly: boolean }>;
  readonly prepare?: { command?: readonly string[]; inputs: readonly string[]; requires: readonly string[]; hint?: string };
  /** Folder ${root} stands for; prepare commands run there. */
  readonly root: string;
}

export interface RuntimeMapping {
  readonly file: string;
  readonly runtimes: readonly LocalRuntime[];
  /** The runtime of an image URI, or undefined. */
  resolve(imageUri: string): LocalRuntime | undefined;
}

/** The repository part of an image URI: registry host, tag and digest removed (`…amazonaws.com/mlp-local/trainer:1.0` → `mlp-local/trainer`). */
export function repositoryOf(imageUri: string): string {
  let rest = imageUri.split('@')[0]!;
  const slash = rest.indexOf('/');
  if (slash > 0 && /[.:]|^localhost$/.test(rest.slice(0, slash))) rest = rest.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  return colon > rest.lastIndexOf('/') ? rest.slice(0, colon) : rest;
}

const patternRegex = (pattern: string) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

export function loadRuntimeMapping(file: string): RuntimeMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LocalEnvironmentError(`cannot read the local runtimes file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new LocalEnvironmentError(`the local runtimes file ${file} is invalid:\n${problems.join('\n')}`);
  }
  const root = path.resolve(path.dirname(file), parsed.data.root);
  const expand = (text: string) => text.split('${root}').join(root);
  const inRoot = (text: string) => path.resolve(root, expand(text));
  const problems: string[] = [];
  const names = new Set<string>();
  const runtimes: LocalRuntime[] = parsed.data.runtimes.map((runtime) => {
    if (names.has(runtime.name)) problems.push(`runtimes: name "${runtime.name}" is used twice`);
    names.add(runtime.name);
    if (runtime.dockerfile && !existsSync(inRoot(runtime.dockerfile))) problems.push(`runtime ${runtime.name}: dockerfile ${runtime.dockerfile} does not exist under ${root}`);
    return {
      ...runtime,
      root,
      path: runtime.path.map(expand),
      binds: runtime.binds.map((bind) => ({ ...bind, source: inRoot(bind.source) })),
      prepare: runtime.prepare && {
        ...runtime.prepare,
        inputs: runtime.prepare.inputs.map(inRoot),
        requires: runtime.prepare.requires.map(inRoot),
      },
    };
  });
  if (problems.length > 0) throw new LocalEnvironmentError(`the local runtimes file ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return {
    file,
    runtimes,
    resolve: (imageUri) => {
      const repository = repositoryOf(imageUri);
      return runtimes.find((runtime) => patternRegex(runtime.repository).test(repository));
    },
  };
}

async function inputsFingerprint(inputs: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  const visit = async (file: string): Promise<void> => {
    const info = await stat(file).catch(() => undefined);
    if (!info) return void hash.update(`${file}:missing\n`);
    if (info.isDirectory()) {
      for (const entry of (await readdir(file)).sort()) await visit(path.join(file, entry));
    } else {
      hash.update(`${file}:${info.size}:${info.mtimeMs}\n`);
    }
  };
  for (const input of inputs) await visit(input);
  return hash.digest('hex');
}

const prepared = new Map<string, Promise<void>>();

/** Forgets which runtimes this process prepared (tests use it to stand for a new process). */
export function forgetPreparedRuntimes(): void {
  prepared.clear();
}

/**
 * Prepares a runtime at most once per process: runs its prepare command when its inputs changed since the last
 * successful run (a fingerprint kept in `stampDir`), then checks that what it must produce exists.
 */
export function prepareRuntime(runtime: LocalRuntime, stampDir: string, log: (line: string) => void): Promise<void> {
  const key = `${runtime.root}\0${runtime.name}`;
  let promise = prepared.get(key);
  if (!promise) {
    promise = runPrepare(runtime, stampDir, log);
    prepared.set(key, promise);
    promise.catch(() => prepared.delete(key));
  }
  return promise;
}

async function runPrepare(runtime: LocalRuntime, stampDir: string, log: (line: string) => void): Promise<void> {
  const prepare = runtime.prepare;
  if (!prepare) return;
  const stampFile = path.join(stampDir, `${runtime.name}.json`);
  const missing = () => prepare.requires.filter((file) => !existsSync(file));
  if (prepare.command) {
    const fingerprint = await inputsFingerprint(prepare.inputs);
    const previous = await readFile(stampFile, 'utf8').then((text) => (JSON.parse(text) as { fingerprint?: string }).fingerprint, () => undefined);
    if (previous !== fingerprint || missing().length > 0) {
      log(`[prepare ${runtime.name}] ${prepare.command.join(' ')}`);
      const started = Date.now();
      await runCommand(prepare.command, runtime.root, (line) => log(`[prepare ${runtime.name}] ${line}`)).catch((error: unknown) => {
        throw new LocalEnvironmentError(`preparing the local runtime "${runtime.name}" failed: ${(error as Error).message}${prepare.hint ? `\n  ${prepare.hint}` : ''}`, { cause: error });
      });
      log(`[prepare ${runtime.name}] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await mkdir(stampDir, { recursive: true });
      await writeFile(stampFile, `${JSON.stringify({ fingerprint: await inputsFingerprint(prepare.inputs), at: new Date().toISOString() })}\n`);
    }
  }
  const absent = missing();
  if (absent.length > 0) {
    throw new LocalEnvironmentError(`the local runtime "${runtime.name}" is not ready: missing ${absent.join(', ')}${prepare.hint ? `\n  ${prepare.hint}` : ''}`);
  }
}

function runCommand(command: readonly string[], cwd: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        log(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command.join(' ')} exited ${code}${tail.length ? `:\n${tail.join('\n')}` : ''}`))));
  });
}

/**
 * Prepares every runtime of a mapping now (e.g. while something else runs), so the first job of each image does
 * not wait for its build. The same once-per-process memo as the executor's own preparation.
 */
export async function prepareAllRuntimes(options: { runtimesFile: string; storeDir: string; log: (line: string) => void }): Promise<void> {
  const mapping = loadRuntimeMapping(options.runtimesFile);
  await Promise.all(mapping.runtimes.map((runtime) => prepareRuntime(runtime, path.join(options.storeDir, 'runtime-stamps'), options.log)));
}
