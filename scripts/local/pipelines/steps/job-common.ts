// What Training and Processing steps share: checking the evaluated request like the Create*Job API would, the
// folders of a job's instances, turning S3 and process failures into SageMaker's failure kinds, running the
// instances, and reading the container's failure file.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { errorMessage, LocalEnvironmentError, StepFailure } from '../errors';
import { containerEnvironment } from '../jobs/container-env';
import type { ContainerCommand } from '../jobs/engines';
import { runInstances, type InstanceRun, type JobRunResult } from '../jobs/run-instances';
import { ObjectStoreError } from '../s3/object-store';
import { InputSpecError } from '../s3/transfer';
import type { StepContext, StepHandler } from './types';

/** The evaluated Arguments as the Create*Job request, or the ValidationException that API would answer. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, operation: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(request)'}: ${issue.message}`);
  throw new StepFailure(`ValidationException: ${operation}: ${problems.join('; ')}`);
}

/** S3 trouble while a job moves its data: the platform's (retryable as SageMaker.JOB_INTERNAL_ERROR) or the caller's (ClientError). */
export function dataFailure(error: unknown, phase: 'downloading input data' | 'uploading output data'): StepFailure {
  if (error instanceof StepFailure) return error;
  if (error instanceof ObjectStoreError && error.retryable) {
    return new StepFailure(`InternalServerError: ${phase} failed: ${error.message}`, { exceptionType: 'SageMaker.JOB_INTERNAL_ERROR', cause: error });
  }
  if (error instanceof ObjectStoreError || error instanceof InputSpecError) {
    return new StepFailure(`ClientError: ${phase} failed: ${error.message}`, { cause: error });
  }
  if (error instanceof LocalEnvironmentError) return new StepFailure(error.message, { cause: error });
  return new StepFailure(`InternalServerError: ${phase} failed: ${errorMessage(error)}`, { exceptionType: 'SageMaker.JOB_INTERNAL_ERROR', cause: error });
}

export interface InstanceFolders {
  readonly host: string;
  readonly optMl: string;
  readonly tmp: string;
  readonly rootDir: string;
  readonly logFile: string;
}

export const hostName = (index: number) => `algo-${index + 1}`;

export async function instanceFolders(jobFolder: string, count: number): Promise<InstanceFolders[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const host = hostName(index);
      const base = path.join(jobFolder, host);
      const folders = { host, optMl: path.join(base, 'opt-ml'), tmp: path.join(base, 'tmp'), rootDir: path.join(base, 'root'), logFile: path.join(jobFolder, `${host}.log`) };
      await Promise.all([folders.optMl, folders.tmp, folders.rootDir].map((dir) => mkdir(dir, { recursive: true })));
      return folders;
    }),
  );
}

/** A path inside the job (/opt/ml/...) as the host path of one instance's folder. */
export function hostPath(folders: InstanceFolders, containerPath: string): string {
  const relative = path.posix.relative('/opt/ml', path.posix.normalize(containerPath));
  if (relative.startsWith('..') || path.posix.isAbsolute(relative)) throw new StepFailure(`ValidationException: ${containerPath} is not under /opt/ml`);
  return path.join(folders.optMl, ...relative.split('/').filter(Boolean));
}

export async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** /opt/ml/output/failure of the first instance that wrote one (SageMaker shows it as FailureReason), ≤ 1024 chars. */
export async function failureFileText(folders: readonly InstanceFolders[]): Promise<string | undefined> {
  for (const instance of folders) {
    const text = await readFile(path.join(instance.optMl, 'output', 'failure'), 'utf8').catch(() => undefined);
    if (text && text.trim() !== '') return text.trim().slice(0, 1024);
  }
  return undefined;
}

/**
 * /opt/ml/output/message of every instance, concatenated and cut to 1 KB: DescribeProcessingJob's ExitMessage, which
 * a processing container writes to say why it failed (SageMaker developer guide, "Save and Access Metadata
 * Information About Your Processing Job"). Not UTF-8 → undefined here (SageMaker fails the job with a ClientError).
 */
export async function exitMessageText(folders: readonly InstanceFolders[]): Promise<string | undefined> {
  const parts: string[] = [];
  for (const instance of folders) {
    const bytes = await readFile(path.join(instance.optMl, 'output', 'message')).catch(() => undefined);
    if (!bytes || bytes.length === 0) continue;
    try {
      parts.push(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      return undefined;
    }
  }
  if (parts.length === 0) return undefined;
  return Buffer.from(parts.join('')).subarray(0, 1024).toString('utf8');
}

export interface JobLaunch {
  readonly context: StepContext;
  readonly jobName: string;
  readonly imageUri: string;
  readonly command: ContainerCommand;
  readonly requestEnvironment: Readonly<Record<string, string>>;
  readonly injected: Readonly<Record<string, string>>;
  readonly folders: readonly InstanceFolders[];
  readonly maxRuntimeSeconds: number;
  readonly onLine?: (host: string, line: string) => void;
}

/** Runs the job's instances and measures when their processes ran. */
export async function launchJob(launch: JobLaunch): Promise<JobRunResult> {
  const { context } = launch;
  const engine = await context.jobs.engineFor(launch.imageUri).catch((error: unknown) => {
    throw error instanceof LocalEnvironmentError ? new StepFailure(`ClientError: ${error.message}`, { cause: error }) : error;
  });
  const env = containerEnvironment({
    runtime: context.jobs.runtimeFor(launch.imageUri),
    role: context.jobs.role,
    request: launch.requestEnvironment,
    injected: launch.injected,
  });
  const instances: InstanceRun[] = launch.folders.map((folders) => ({
    ...folders,
    name: `${launch.jobName}-${folders.host}`,
    imageUri: launch.imageUri,
    command: launch.command,
    env,
  }));
  context.timings.processStart = Date.now();
  const result = await runInstances({
    engine,
    instances,
    maxRuntimeSeconds: launch.maxRuntimeSeconds,
    stopGraceSeconds: context.jobs.stopGraceSeconds,
    signal: context.signal,
    prefix: `[${context.step.Name}]`,
    log: context.log,
    onLine: launch.onLine,
  });
  context.timings.processStart = Math.min(...result.instances.map((i) => i.spawnedAt.getTime()), context.timings.processStart);
  context.timings.processEnd = Math.max(0, ...result.instances.map((i) => i.exitedAt.getTime()));
  return result;
}

/** Turns a job that did not complete into the step's failure, worded the way SageMaker words job failures. */
export async function jobFailure(result: JobRunResult, folders: readonly InstanceFolders[], kind: 'Training' | 'Processing', maxRuntimeSeconds: number): Promise<StepFailure> {
  if (result.outcome === 'Stopped') return new StepFailure(`${kind} job stopped`, { stopped: true });
  if (result.outcome === 'MaxRuntimeExceeded') {
    return new StepFailure(`MaxRuntimeExceeded: ${kind} job exceeded MaxRuntimeInSeconds (${maxRuntimeSeconds} s) and was stopped`);
  }
  const broken = result.instances.find((instance) => instance.sandboxError);
  if (broken) {
    return new StepFailure(`InternalServerError: the job's container could not start on ${broken.host}: ${broken.sandboxError}`, {
      exceptionType: 'SageMaker.JOB_INTERNAL_ERROR',
    });
  }
  // The instance that failed first, not one that was stopped because of it.
  const failed = [...result.instances].filter((instance) => instance.exitCode !== 0).sort((a, b) => a.exitedAt.getTime() - b.exitedAt.getTime())[0] ?? result.instances[0];
  // Only training containers report a FailureReason through /opt/ml/output/failure; a processing container's words
  // go to its ExitMessage (/opt/ml/output/message), read by the processing handler.
  const written = kind === 'Training' ? await failureFileText(failed ? [folders.find((f) => f.host === failed.host)!, ...folders] : folders) : undefined;
  const reason = written ?? 'See job logs for more information';
  const exit = failed?.signal ? `killed by ${failed.signal}` : `exit code: ${failed?.exitCode}`;
  return new StepFailure(`AlgorithmError: ${reason}, ${exit}${result.instances.length > 1 ? ` (${failed?.host})` : ''}`);
}

/** After a successful job the downloaded inputs and scratch space go; logs and anything a failed job left stay. */
export async function removeScratch(folders: readonly InstanceFolders[]): Promise<void> {
  await Promise.all(folders.flatMap((f) => [rm(f.optMl, { recursive: true, force: true }), rm(f.tmp, { recursive: true, force: true })]));
}

/** A literal image URI of a step that has no local runtime is refused before the execution starts. */
export function checkImage(step: { Name: string }, image: unknown, jobs: Parameters<NonNullable<StepHandler['checkBeforeStart']>>[1]): string[] {
  if (!jobs.usesRuntimes || typeof image !== 'string') return [];
  return jobs.runtimeFor(image) ? [] : [`step "${step.Name}": image ${image} has no local runtime (no repository pattern in the runtimes file matches "${image}")`];
}
