import type { S3Client } from '@aws-sdk/client-s3';
import type { ScorerConfig } from '../config/schema';
import { InputError, ScorerError, describeError } from '../errors';
import { listInputFiles, readFile } from '../input/read-files';
import type { InputListing } from '../input/types';
import type { Logger } from '../log';
import { FileAccount, RunManifest, writeManifest } from '../manifest/manifest';
import { RejectedRowsFile } from '../manifest/rejected-rows';
import type { MlflowClient } from '../mlflow/client';
import { OnnxModel } from '../model/onnx-model';
import { ResolvedModel, resolveModel } from '../model/resolve';
import type { PredictionPublisher } from '../publish/publisher';
import { BatchScorer } from './batch-scorer';
import { RunStoppedError, STOP_BUDGET_MS, StopRequest, within } from './stop';

export interface RunDependencies {
  config: ScorerConfig;
  log: Logger;
  mlflow: MlflowClient;
  publisher: () => Promise<PredictionPublisher>;
  s3: () => S3Client;
  now?: () => Date;
  /** Aborted on SIGTERM/SIGINT, with the signal's name as reason: the run stops, aborts and writes a `stopped` manifest. */
  stop?: AbortSignal;
}

export class RunFailedError extends ScorerError {
  constructor(code: string, message: string, retryable: boolean) {
    super(code, message, { retryable });
  }
}

/**
 * One scoring run: resolve the model, then stream every input file through validation, ONNX Runtime and the
 * publisher, and commit only if every file was read, there were enough rows and the rejected share is within the
 * limit. Always writes the manifest; never throws for a failed or stopped run (the manifest's status and error say
 * what happened).
 */
export async function executeRun(deps: RunDependencies): Promise<RunManifest> {
  const { config, log } = deps;
  const now = deps.now ?? (() => new Date());
  const stop = new StopRequest(deps.stop);
  const started = now();
  let files: FileAccount[] = [];
  let skippedFiles: string[] = [];
  let model: ResolvedModel | undefined;
  let resolveModelMs = 0;
  let processStarted = started.getTime();
  let scorer: BatchScorer | undefined;
  let publisher: PredictionPublisher | undefined;
  let rejectedRows: RejectedRowsFile | undefined;
  let failure: ScorerError | undefined;
  let stopDeadline = Infinity;

  log.info('run_started', { runId: config.runId, runDate: config.runDate, shardId: config.shardId, input: config.inputPath, model: config.model });
  try {
    rejectedRows = await RejectedRowsFile.open(config.outputDir);
    model = await stop.race(resolveModel(deps.mlflow, config.model, config.modelCacheDir, log));
    resolveModelMs = now().getTime() - started.getTime();
    const onnx = await stop.race(OnnxModel.load(model.onnxPath, model.featureSchema));
    const listing = await stop.race(listInputFiles(config.inputPath, deps.s3));
    skippedFiles = listing.skipped;
    files = [
      ...listing.files.map((f) => ({ source: f.uri, rowsRead: 0, rowsRejected: 0 })),
      ...listing.unsupported.map((f) => ({ source: f.uri, rowsRead: 0, rowsRejected: 0, error: f.reason })),
    ];
    if (skippedFiles.length > 0) log.info('input_files_skipped', { files: skippedFiles, reason: 'marker or hidden file (name starts with "_" or ".")' });
    log.info('input_listed', { files: listing.files.length, bytes: listing.files.reduce((sum, f) => sum + f.size, 0) });
    // Before connecting to Kafka: a listing the run cannot succeed with fails without publishing anything.
    checkListing(listing, config);

    processStarted = now().getTime();
    publisher = await deps.publisher();
    await stop.race(publisher.start());
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
      try {
        for await (const batch of readFile(file, active.columns)) {
          stop.throwIfRequested();
          await stop.race(active.add(batch.source, batch.rows));
          if (active.counts.read >= nextProgress) {
            nextProgress += config.progressEveryRows;
            log.info('progress', { ...active.counts, file: file.uri, rowsPerSecond: rate(active.counts.read, processStarted, now()) });
          }
        }
      } catch (error) {
        // A broken file must not hide the others: record it, keep reading, fail the run at the end.
        if (!(error instanceof InputError)) throw error;
        files.find((f) => f.source === file.uri)!.error = error.message;
        log.error('input_file_failed', { source: file.uri, error: describeError(error) });
      }
    }
    stop.throwIfRequested();
    await stop.race(active.flush());
    checkOutcome(files, active, config);
    stop.throwIfRequested();
    // Not raced: once the commit is under way its outcome is the broker's, and the manifest must report it.
    await publisher.commit();
  } catch (error) {
    failure = error instanceof ScorerError ? error : new RunFailedError('UNEXPECTED', describeError(error), false);
    if (failure !== error) failure.stack = (error as Error)?.stack;
    if (failure instanceof RunStoppedError) {
      stopDeadline = Date.now() + STOP_BUDGET_MS;
      log.warn('run_stopping', { signal: failure.signal, budgetMs: STOP_BUDGET_MS });
    } else {
      log.error('run_failed', { code: failure.code, retryable: failure.retryable, error: describeError(error) });
    }
    if (publisher) await endPublisher('abort', () => publisher!.abort(), stopDeadline, log);
  } finally {
    await rejectedRows?.close().catch((error: unknown) => log.error('rejected_rows_file_failed', { error: describeError(error) }));
    if (publisher) await endPublisher('close', () => publisher!.close(), stopDeadline, log);
  }

  // A failed transactional run shows consumers nothing; without transactions what was acknowledged is out there.
  const visible = publisher && !(failure && config.kafka.transactionalId) ? publisher.stats().acknowledged : {};
  const finished = now();
  const counts = scorer?.counts ?? { read: 0, scored: 0, rejected: 0 };
  for (const file of files) {
    const decided = scorer?.bySource.get(file.source);
    if (decided) Object.assign(file, { rowsRead: decided.read, rowsRejected: decided.rejected });
  }
  const manifest: RunManifest = {
    status: failure instanceof RunStoppedError ? 'stopped' : failure ? 'failed' : 'succeeded',
    runId: config.runId,
    runDate: config.runDate,
    shardId: config.shardId,
    model: {
      name: config.model.name,
      version: model?.version ?? null,
      alias: 'alias' in config.model ? config.model.alias : null,
      mlflowRunId: model?.mlflowRunId ?? null,
    },
    input: { path: config.inputPath, files, ignoredFiles: skippedFiles },
    kafka: { topic: config.kafka.topic, deadLetterTopic: config.kafka.dlqTopic, transactionalId: config.kafka.transactionalId ?? null },
    counts: { ...counts, published: visible[config.kafka.topic] ?? 0, deadLettered: visible[config.kafka.dlqTopic] ?? 0 },
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

/** Files the scorer does not read, and an input without any data, fail the run before anything is published. */
function checkListing(listing: InputListing, config: ScorerConfig): void {
  if (listing.unsupported.length > 0) {
    const named = listing.unsupported.map((f) => `${f.uri} (${f.reason})`).join('; ');
    throw new RunFailedError('INPUT_FILES_UNSUPPORTED', `${listing.unsupported.length} input file(s) cannot be read: ${named}`, false);
  }
  if (config.minRows > 0 && listing.files.every((f) => f.size === 0)) {
    const what = listing.files.length === 0 ? 'holds no data files' : `holds only empty files (${listing.files.length})`;
    throw new RunFailedError('INPUT_EMPTY', `input ${config.inputPath} ${what}; ${EMPTY_HINT}`, false);
  }
}

const EMPTY_HINT = 'a night without rows almost always means the upstream export failed (set MIN_ROWS=0 if empty batches are expected)';

/** After reading: unreadable files, too few rows, too many rejected rows fail the run (nothing is committed). */
function checkOutcome(files: FileAccount[], scorer: BatchScorer, config: ScorerConfig): void {
  const broken = files.filter((f) => f.error !== undefined);
  if (broken.length > 0) {
    throw new RunFailedError('INPUT_FILES_UNREADABLE', `${broken.length} input file(s) could not be read: ${broken.map((f) => f.error).join('; ')}`, false);
  }
  const { read, rejected } = scorer.counts;
  if (read < config.minRows) {
    const code = read === 0 ? 'INPUT_EMPTY' : 'TOO_FEW_ROWS';
    throw new RunFailedError(code, `input ${config.inputPath} has ${read} data row(s) in ${files.length} file(s), fewer than MIN_ROWS ${config.minRows}; ${EMPTY_HINT}`, false);
  }
  const ratio = read === 0 ? 0 : rejected / read;
  if (ratio > config.maxRejectedRatio) {
    throw new RunFailedError(
      'TOO_MANY_REJECTED',
      `${rejected} of ${read} rows rejected (${(ratio * 100).toFixed(2)}%), above MAX_REJECTED_RATIO ${config.maxRejectedRatio}; see the rejected rows file`,
      false,
    );
  }
}

/**
 * Runs the publisher's abort or close; a stopping run gives up when its budget is spent (a transaction left open is
 * then ended by the broker at its timeout, or by the rerun with the same transactional id). Failures are logged only:
 * the run's outcome is already decided.
 */
async function endPublisher(step: 'abort' | 'close', work: () => Promise<void>, deadline: number, log: Logger): Promise<void> {
  try {
    const finished = deadline === Infinity ? (await work(), true) : await within(work(), Math.max(0, deadline - Date.now()));
    if (!finished) log.warn(`publisher_${step}_timed_out`, { budgetMs: STOP_BUDGET_MS });
  } catch (error) {
    log.warn(`publisher_${step}_failed`, { error: describeError(error) });
  }
}

const rate = (rows: number, startMs: number, end: Date) => Math.round(rows / Math.max(0.001, (end.getTime() - startMs) / 1000));
