import type { S3Client } from '@aws-sdk/client-s3';
import type { ScorerConfig } from '../config/schema';
import { InputError, ScorerError, describeError } from '../errors';
import { listInputFiles, readFile } from '../input/read-files';
import type { Logger } from '../log';
import { FileAccount, RunManifest, writeManifest } from '../manifest/manifest';
import { RejectedRowsFile } from '../manifest/rejected-rows';
import type { MlflowClient } from '../mlflow/client';
import { OnnxModel } from '../model/onnx-model';
import { ResolvedModel, resolveModel } from '../model/resolve';
import type { PredictionPublisher } from '../publish/publisher';
import { BatchScorer } from './batch-scorer';

export interface RunDependencies {
  config: ScorerConfig;
  log: Logger;
  mlflow: MlflowClient;
  publisher: () => Promise<PredictionPublisher>;
  s3: () => S3Client;
  now?: () => Date;
}

export class RunFailedError extends ScorerError {
  constructor(code: string, message: string, retryable: boolean) {
    super(code, message, { retryable });
  }
}

/**
 * One scoring run: resolve the model, then stream every input file through validation, ONNX Runtime and the
 * publisher, and commit only if every file was read and the rejected share is within the limit. Always writes
 * the manifest; never throws for a failed run (the manifest's status and error say what happened).
 */
export async function executeRun(deps: RunDependencies): Promise<RunManifest> {
  const { config, log } = deps;
  const now = deps.now ?? (() => new Date());
  const started = now();
  const files: FileAccount[] = [];
  let ignoredFiles: string[] = [];
  let model: ResolvedModel | undefined;
  let resolveModelMs = 0;
  let processStarted = started.getTime();
  let scorer: BatchScorer | undefined;
  let publisher: PredictionPublisher | undefined;
  let rejectedRows: RejectedRowsFile | undefined;
  let published: number;
  let deadLettered: number;
  let failure: ScorerError | undefined;

  log.info('run_started', { runId: config.runId, runDate: config.runDate, shardId: config.shardId, input: config.inputPath, model: config.model });
  try {
    rejectedRows = await RejectedRowsFile.open(config.outputDir);
    model = await resolveModel(deps.mlflow, config.model, config.modelCacheDir, log);
    resolveModelMs = now().getTime() - started.getTime();
    const onnx = await OnnxModel.load(model.onnxPath, model.featureSchema);
    const listing = await listInputFiles(config.inputPath, deps.s3);
    ignoredFiles = listing.ignored;
    if (ignoredFiles.length > 0) log.warn('input_files_ignored', { files: ignoredFiles, reason: 'not .csv, .jsonl or .parquet' });
    log.info('input_listed', { files: listing.files.length, bytes: listing.files.reduce((sum, f) => sum + f.size, 0) });

    processStarted = now().getTime();
    publisher = await deps.publisher();
    await publisher.start();
    const active = new BatchScorer({
      schema: model.featureSchema,
      model: onnx,
      publisher,
      rejectedRows: rejectedRows,
      run: { modelName: model.name, modelVersion: model.version, runId: config.runId, runDate: config.runDate, shardId: config.shardId },
      topic: config.kafka.topic,
      deadLetterTopic: config.kafka.dlqTopic,
      batchSize: config.batchSize,
      now,
    });
    scorer = active;
    let nextProgress = config.progressEveryRows;
    for (const file of listing.files) {
      const account: FileAccount = { source: file.uri, rowsRead: 0, rowsRejected: 0 };
      files.push(account);
      try {
        for await (const batch of readFile(file, active.columns)) {
          const added = await active.add(batch.source, batch.rows);
          account.rowsRead += added.read;
          account.rowsRejected += added.rejected;
          if (active.counts.read >= nextProgress) {
            nextProgress += config.progressEveryRows;
            log.info('progress', { ...active.counts, file: file.uri, rowsPerSecond: rate(active.counts.read, processStarted, now()) });
          }
        }
      } catch (error) {
        // A broken file must not hide the others: record it, keep reading, fail the run at the end.
        if (!(error instanceof InputError)) throw error;
        account.error = error.message;
        log.error('input_file_failed', { source: file.uri, rowsReadBeforeError: account.rowsRead, error: describeError(error) });
      }
    }
    await active.flush();

    const broken = files.filter((f) => f.error !== undefined);
    const ratio = active.counts.read === 0 ? 0 : active.counts.rejected / active.counts.read;
    if (broken.length > 0) {
      throw new RunFailedError('INPUT_FILES_UNREADABLE', `${broken.length} input file(s) could not be read: ${broken.map((f) => f.error).join('; ')}`, false);
    }
    if (ratio > config.maxRejectedRatio) {
      throw new RunFailedError(
        'TOO_MANY_REJECTED',
        `${active.counts.rejected} of ${active.counts.read} rows rejected (${(ratio * 100).toFixed(2)}%), above MAX_REJECTED_RATIO ${config.maxRejectedRatio}; see the rejected rows file`,
        false,
      );
    }
    await publisher.commit();
  } catch (error) {
    failure = error instanceof ScorerError ? error : new RunFailedError('UNEXPECTED', describeError(error), false);
    if (failure !== error) failure.stack = (error as Error)?.stack;
    log.error('run_failed', { code: failure.code, retryable: failure.retryable, error: describeError(error) });
    if (publisher) {
      try {
        await publisher.abort();
      } catch (abortError) {
        log.warn('abort_failed', { error: describeError(abortError) });
      }
    }
  } finally {
    await rejectedRows?.close().catch((error: unknown) => log.error('rejected_rows_file_failed', { error: describeError(error) }));
    await publisher?.close().catch((error: unknown) => log.warn('publisher_close_failed', { error: describeError(error) }));
  }

  // A failed transactional run shows consumers nothing; without transactions what was acknowledged is out there.
  const visible = publisher && !(failure && config.kafka.transactionalId) ? publisher.stats().acknowledged : {};
  published = visible[config.kafka.topic] ?? 0;
  deadLettered = visible[config.kafka.dlqTopic] ?? 0;
  const finished = now();
  const counts = scorer?.counts ?? { read: 0, scored: 0, rejected: 0 };
  const manifest: RunManifest = {
    status: failure ? 'failed' : 'succeeded',
    runId: config.runId,
    runDate: config.runDate,
    shardId: config.shardId,
    model: {
      name: config.model.name,
      version: model?.version ?? null,
      alias: 'alias' in config.model ? config.model.alias : null,
      mlflowRunId: model?.mlflowRunId ?? null,
    },
    input: { path: config.inputPath, files, ignoredFiles },
    kafka: { topic: config.kafka.topic, deadLetterTopic: config.kafka.dlqTopic, transactionalId: config.kafka.transactionalId ?? null },
    counts: { ...counts, published, deadLettered },
    rejectedRatio: counts.read === 0 ? 0 : counts.rejected / counts.read,
    maxRejectedRatio: config.maxRejectedRatio,
    timings: {
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      resolveModelMs,
      processMs: finished.getTime() - processStarted,
      totalMs: finished.getTime() - started.getTime(),
    },
    throughputRowsPerSecond: rate(counts.read, processStarted, finished),
    ...(failure ? { error: { code: failure.code, message: describeError(failure), retryable: failure.retryable } } : {}),
  };
  const manifestPath = await writeManifest(config.outputDir, manifest);
  log.info('run_finished', { status: manifest.status, manifest: manifestPath, counts: manifest.counts, rowsPerSecond: manifest.throughputRowsPerSecond, error: manifest.error });
  return manifest;
}

const rate = (rows: number, startMs: number, end: Date) => Math.round(rows / Math.max(0.001, (end.getTime() - startMs) / 1000));
