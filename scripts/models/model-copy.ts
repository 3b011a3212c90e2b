// Copying one model version from one MLflow registry into another, the way MLflow 3 itself logs and registers a
// model (mlflow.<flavor>.log_model + register_model): a run in the target's promotions experiment with the
// source run's params and metrics, a logged model holding the source's files byte for byte (MLmodel with its
// signature and feature schema, model.onnx, environment files), and a model version created from it with the
// source's tags and the lineage tags. The version is created last and with all its tags at once: until then
// nothing in the target registry points at the copy, so an interrupted copy never half-exists as a version.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ModelVersion } from '../../apps/scorer/src/mlflow';
import { CliError } from '../cli/errors';
import { copyTags, lineageTagKeys, lineageTags } from './lineage';
import type { KeyValue, LoggedModel, Metric } from './mlflow-tracking';
import { toKeyValues } from './mlflow-tracking';
import { PromotionPlan, isRetryable, sourceIdentity } from './promotion-plan';
import type { CopiedFile } from './promotion-record';
import type { RegistryConnection } from './registry-target';

export interface CopyResult {
  version: ModelVersion;
  runId: string;
  modelId: string;
  files: CopiedFile[];
}

export interface CopyOptions {
  by: string;
  at: Date;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** How long to wait for the new version to become READY. */
  readyTimeoutMs?: number;
}

export async function copyModelVersion(plan: PromotionPlan, source: RegistryConnection, target: RegistryConnection, options: CopyOptions): Promise<CopyResult> {
  const { from, to } = plan;
  const what = `${from.env} ${plan.source.name} version ${plan.source.version}`;
  const stop = () => {
    if (options.signal?.aborted) throw new CliError(`Interrupted while copying ${what}; nothing was registered in ${to.env}.`, { exitCode: 1 });
  };
  const workDir = await mkdtemp(path.join(tmpdir(), 'promote-copy-'));
  let runId: string | undefined;
  let modelId: string | undefined;
  try {
    // 1. Everything from the source first: a source failure leaves nothing behind in the target.
    const sourceRun = plan.source.run_id ? await optionalRead(() => source.tracking.getRun(plan.source.run_id!)) : undefined;
    const sourceModelId = loggedModelId(plan.source);
    const sourceLoggedModel = sourceModelId ? await optionalRead(() => source.tracking.getLoggedModel(sourceModelId)) : undefined;
    const files: (CopiedFile & { local: string })[] = [];
    for (const [index, file] of plan.sourceModel.files.entries()) {
      stop();
      const local = path.join(workDir, ...file.path.split('/'));
      await source.client.downloadArtifact(plan.sourceModel.downloadUri, file.path, local);
      const bytes = await readFile(local);
      files.push({ path: file.path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), local });
      options.log(`  downloaded ${file.path} (${formatBytes(bytes.length)}) ${index + 1}/${plan.sourceModel.files.length}`);
    }

    // 2. A run and a PENDING logged model in the target, then the files, then both finished.
    stop();
    const lineage = lineageTags(sourceIdentity(plan), options.by, options.at);
    const experimentId = await target.tracking.ensureExperiment(to.copyExperiment);
    const runName = `promote-${from.env}-${plan.source.name}-v${plan.source.version}`;
    const run = await target.tracking.createRun(experimentId, {
      runName,
      user: options.by,
      tags: {
        ...Object.fromEntries(userTags(sourceRun?.data.tags)),
        ...lineage,
        'mlflow.note.content': `Copy of ${what} (${from.trackingUri}), made by ${options.by} at ${options.at.toISOString()} with npm run model:promote.`,
      },
    });
    runId = run.run_id;
    options.log(`  created run ${runId} in experiment ${to.copyExperiment} (${to.env})`);
    await target.tracking.logBatch(runId, { params: sourceRun?.data.params ?? [], metrics: plainMetrics(sourceRun?.data.metrics) });
    const loggedModel = await target.tracking.createLoggedModel(experimentId, {
      name: sourceLoggedModel?.info.name ?? 'model',
      sourceRunId: runId,
      ...(sourceLoggedModel?.info.model_type ? { modelType: sourceLoggedModel.info.model_type } : {}),
      params: sourceLoggedModel?.data?.params ?? sourceRun?.data.params ?? [],
      tags: [...userTags(sourceLoggedModel?.info.tags).map(([key, value]) => ({ key, value })), ...toKeyValues(lineage)],
    });
    modelId = loggedModel.info.model_id;
    await target.tracking.logModelOutput(runId, modelId);
    const modelMetrics = (sourceLoggedModel?.data?.metrics ?? []).map((metric) => ({ ...plainMetric(metric), model_id: modelId }));
    if (modelMetrics.length > 0) await target.tracking.logBatch(runId, { metrics: modelMetrics });

    for (const [index, file] of files.entries()) {
      stop();
      await target.client.artifacts.upload(loggedModel.info.artifact_uri, file.path, await readFile(file.local));
      options.log(`  uploaded ${file.path} ${index + 1}/${files.length}`);
    }
    await verifyUpload(target, loggedModel, files);
    stop();
    await target.tracking.finalizeLoggedModel(modelId, 'LOGGED_MODEL_READY');
    await target.tracking.endRun(runId, 'FINISHED');

    // 3. The version, with every tag at once: from here on a rerun finds this copy by its lineage tags.
    await target.client.ensureRegisteredModel(to.modelName);
    const created = await target.client.createModelVersion(to.modelName, `models:/${modelId}`, {
      runId,
      modelId,
      tags: copyTags(plan.sourceTags, sourceIdentity(plan), options.by, options.at),
      description: `Copy of ${what}, promoted by ${options.by}.`,
    });
    const version = await waitUntilReady(target, created, options.readyTimeoutMs ?? 120_000);
    return { version, runId, modelId, files: files.map(({ local: _local, ...file }) => file) };
  } catch (error) {
    const leftovers = await markFailed(target, runId, modelId);
    const where = runId ? ` The unfinished run ${runId}${modelId ? ` and logged model ${modelId}` : ''} ${leftovers}.` : '';
    if (error instanceof CliError) throw new CliError(`${error.message}${where}`, { cause: error.cause, exitCode: error.exitCode, retryable: error.retryable });
    throw new CliError(`Copying ${what} into ${to.env}'s registry failed; no version was registered, the alias did not move.${where} Rerun to try again.`, {
      cause: error,
      retryable: isRetryable(error),
    });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** MLflow 3 versions come from a logged model (`models:/m-…`); older ones from a run's artifact path. */
function loggedModelId(version: ModelVersion): string | undefined {
  if (typeof version.model_id === 'string' && version.model_id) return version.model_id;
  return /^models:\/(m-[0-9a-f]+)$/.exec(version.source ?? '')?.[1];
}

/** The user's own tags: MLflow's system tags (mlflow.*) describe the source run, not the copy. */
function userTags(tags: KeyValue[] | undefined): [string, string][] {
  return (tags ?? []).filter((tag) => !tag.key.startsWith('mlflow.') && !Object.values(lineageTagKeys).includes(tag.key as never)).map((tag) => [tag.key, tag.value]);
}

function plainMetric(metric: Metric): Metric {
  return { key: metric.key, value: metric.value, timestamp: metric.timestamp, step: metric.step ?? 0 };
}

function plainMetrics(metrics: Metric[] | undefined): Metric[] {
  return (metrics ?? []).map(plainMetric);
}

/** The target lists the same files with the same sizes (the artifact store is the only witness of the upload). */
async function verifyUpload(target: RegistryConnection, loggedModel: LoggedModel, files: CopiedFile[]): Promise<void> {
  const listed = new Map((await target.client.artifacts.listTree(loggedModel.info.artifact_uri)).map((file) => [file.path, file.file_size]));
  const wrong = files.filter((file) => listed.get(file.path) !== undefined && listed.get(file.path) !== file.bytes).map((f) => f.path);
  const missing = files.filter((file) => !listed.has(file.path)).map((f) => f.path);
  if (missing.length > 0 || wrong.length > 0) {
    throw new CliError(
      `the copied files do not match at ${loggedModel.info.artifact_uri}: ${[...missing.map((p) => `${p} missing`), ...wrong.map((p) => `${p} has another size`)].join(', ')}`,
      { retryable: true },
    );
  }
}

async function waitUntilReady(target: RegistryConnection, created: ModelVersion, timeoutMs: number): Promise<ModelVersion> {
  let version = created;
  const deadline = Date.now() + timeoutMs;
  while (version.status !== undefined && version.status !== 'READY') {
    if (version.status === 'FAILED_REGISTRATION') {
      throw new CliError(`${target.target.env} failed to register version ${version.version} of ${version.name}: ${String(version.status_message ?? 'no reason given')}`);
    }
    if (Date.now() > deadline) {
      throw new CliError(`Version ${version.version} of ${version.name} in ${target.target.env} is still ${version.status} after ${timeoutMs / 1000} s; rerun later to finish the promotion.`, { retryable: true });
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    version = await target.client.getModelVersion(version.name, version.version);
  }
  return version;
}

/** Best effort after a failure: the run and logged model say FAILED instead of hanging in RUNNING/PENDING. */
async function markFailed(target: RegistryConnection, runId: string | undefined, modelId: string | undefined): Promise<string> {
  const problems: string[] = [];
  if (modelId) await target.tracking.finalizeLoggedModel(modelId, 'LOGGED_MODEL_UPLOAD_FAILED').catch((e: unknown) => problems.push(String(e)));
  if (runId) await target.tracking.endRun(runId, 'FAILED').catch((e: unknown) => problems.push(String(e)));
  return problems.length === 0 ? 'are marked FAILED' : `could not be marked FAILED (${problems.join('; ')})`;
}

async function optionalRead<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if ((error as { notFound?: boolean }).notFound === true) return undefined;
    throw error;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
