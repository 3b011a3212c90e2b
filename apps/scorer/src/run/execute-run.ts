import type { S3Client } from '@aws-sdk/client-s3';
import type { ScorerConfig } from '../config/schema';
import { RunContext, shardCommittedRecord } from '../contract';
import { PublishError, ScorerError, describeError } from '../errors';
import { describeFile, listInputFiles } from '../input/read-files';
import type { InputListing } from '../input/types';
import type { Logger } from '../log';
import { FileAccount, RunManifest, writeManifest } from '../manifest/manifest';
import { RejectedRowsFile } from '../manifest/rejected-rows';
import type { MlflowClient } from '../mlflow/client';
import { ResolvedModel, resolveModel } from '../model/resolve';
import { idsToFence, subProducerId } from '../publish/topics';
import { PublishStats, addStats, emptyStats } from '../publish/publisher';
import type { ScoreCounts } from './batch-scorer';
import type { PipelineIdentity, ScoringPipeline } from './pipeline';
import type { PipelineThreadData } from './pipeline-protocol';
import { RunStoppedError, STOP_BUDGET_MS, StopRequest, within } from './stop';

/** The run's Kafka side, injected so that the run logic can be tested without a broker. */
export interface RunKafka {
  /** Checks (or creates) the run's topics; their partition counts. */
  prepareTopics(): Promise<Map<string, number>>;
  /** Fences transactional ids an earlier attempt of the shard may have left open (topics.ts). */
  fence(ids: string[]): Promise<void>;
  /** A pipeline (a thread of its own in production); `onProgress` whenever its counts moved. */
  pipeline(data: PipelineThreadData, rejectedRows: Pick<RejectedRowsFile, 'write'>, onProgress: () => void): ScoringPipeline;
}

export interface RunDependencies {
  config: ScorerConfig;
  log: Logger;
  mlflow: MlflowClient;
  kafka: RunKafka;
  s3: () => S3Client;
  now?: () => Date;
  /** Aborted on SIGTERM/SIGINT, with the signal's name as reason: the run stops, aborts and writes a `stopped` manifest. */
  stop?: AbortSignal;
  /** CPUs available (default os.availableParallelism()): shared out as ONNX Runtime threads between the pipelines. */
  cpus?: number;
}

export class RunFailedError extends ScorerError {
  constructor(code: string, message: string, retryable: boolean) {
    super(code, message, { retryable });
  }
}

interface ProducerAccount {
  identity: PipelineIdentity;
  committed: boolean;
  stats: PublishStats;
}

/**
 * One scoring run of a shard: resolve the model, check the topics, then let KAFKA_PRODUCERS pipelines (threads, each
 * with its own transactional producer `<base>.<k>`) score the input files, handed out one at a time; commit only if
 * every file was read, there were enough rows and the rejected share is within the limit, and then publish the shard's
 * end-of-run record. Always writes the manifest; never throws for a failed or stopped run (the manifest's status and
 * error say what happened).
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
  let pipelines: ScoringPipeline[] = [];
  const producers: ProducerAccount[] = [];
  let rejectedRows: RejectedRowsFile | undefined;
  let failure: ScorerError | undefined;
  let stopDeadline = Infinity;

  log.info('run_started', { runId: config.runId, runDate: config.runDate, shardId: config.shardId, input: config.inputPath, model: config.model });
  try {
    rejectedRows = await RejectedRowsFile.open(config.outputDir);
    model = await stop.race(resolveModel(deps.mlflow, config.model, config.modelCacheDir, log));
    resolveModelMs = now().getTime() - started.getTime();
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
    const partitions = await stop.race(deps.kafka.prepareTopics());
    // A file is read by one pipeline: more pipelines than files would idle (their ids are fenced instead).
    const count = Math.max(1, Math.min(config.kafka.producers, listing.files.length));
    const base = config.kafka.transactionalId;
    const fencing = base ? deps.kafka.fence(idsToFence(base, count)) : Promise.resolve();
    fencing.catch(() => undefined); // awaited before the commit
    const run: RunContext = { modelName: model.name, modelVersion: model.version, runId: config.runId, runDate: config.runDate, shardId: config.shardId };
    const threads = Math.max(1, Math.floor((deps.cpus ?? require('node:os').availableParallelism()) / count));
    const decodePermit = new SharedArrayBuffer(4);
    let nextProgress = config.progressEveryRows;
    const onProgress = () => {
      const counts = totalCounts(pipelines);
      if (counts.read < nextProgress) return;
      while (nextProgress <= counts.read) nextProgress += config.progressEveryRows;
      log.info('progress', { ...counts, rowsPerSecond: rate(counts.read, processStarted, now()) });
    };
    for (let k = 0; k < count; k++) {
      const identity: PipelineIdentity = { index: k, count, transactionalId: base ? subProducerId(base, k) : null };
      producers.push({ identity, committed: false, stats: emptyStats() });
      const data: PipelineThreadData = {
        config,
        identity,
        run,
        model: { onnxPath: model.onnxPath, featureSchema: model.featureSchema, threads },
        partitions: [...partitions],
        decodePermit,
      };
      pipelines.push(deps.kafka.pipeline(data, rejectedRows, onProgress));
    }
    await stop.race(Promise.all(pipelines.map((p) => p.start())));
    log.info('publisher_started', {
      brokers: config.kafka.brokers,
      producers: count,
      transactionalIds: producers.map((p) => p.identity.transactionalId),
      compression: config.kafka.compression,
    });

    // Files are handed out one at a time, to whichever pipeline is free; the first pipeline to fail ends the hand-out.
    const queue = [...listing.files];
    let broken = false;
    await stop.race(
      Promise.all(
        pipelines.map(async (pipeline) => {
          for (let file = queue.shift(); file && !broken; file = queue.shift()) {
            stop.throwIfRequested();
            const outcome = await pipeline.score(describeFile(file)).catch((error: unknown) => {
              broken = true;
              throw error;
            });
            if (outcome.error !== undefined) {
              files.find((f) => f.source === outcome.source)!.error = outcome.error;
              log.error('input_file_failed', { source: outcome.source, error: outcome.error });
            }
          }
        }),
      ),
    );
    stop.throwIfRequested();
    const finished = await stop.race(Promise.all(pipelines.map((p) => p.finish())));
    finished.forEach((progress, k) => (producers[k].stats = progress.stats));
    checkOutcome(files, totalCounts(pipelines), config);
    await stop.race(fencing);
    stop.throwIfRequested();
    // Not raced: once the commits are under way their outcome is the broker's, and the manifest must report it.
    const commits = await Promise.allSettled(pipelines.map((p) => p.commit()));
    commits.forEach((result, k) => {
      if (result.status === 'fulfilled') Object.assign(producers[k], { committed: true, stats: result.value.stats });
    });
    const failedCommit = commits.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failedCommit) throw commitFailure(failedCommit.reason, producers);
    const record = shardCommittedRecord(
      { run, shards: config.shards, topic: config.kafka.topic, deadLetterTopic: config.kafka.dlqTopic },
      totalCounts(pipelines),
      producers.map((p) => ({ index: p.identity.index, transactionalId: p.identity.transactionalId, partitions: p.stats.byPartition })),
      now(),
    );
    try {
      await pipelines[0].publishShardRecord(record);
    } catch (error) {
      throw new PublishError(
        `the shard's messages are committed, but its end-of-run record could not be published to ${config.kafka.runsTopic}: ${describeError(error)}; ` +
          'consumers that wait for it will not see the shard as complete',
        { retryable: true, code: 'RUN_RECORD_FAILED', cause: error },
      );
    }
  } catch (error) {
    failure = error instanceof ScorerError ? error : new RunFailedError('UNEXPECTED', describeError(error), false);
    if (failure !== error) failure.stack = (error as Error)?.stack;
    if (failure instanceof RunStoppedError) {
      stopDeadline = Date.now() + STOP_BUDGET_MS;
      log.warn('run_stopping', { signal: failure.signal, budgetMs: STOP_BUDGET_MS });
    } else {
      log.error('run_failed', { code: failure.code, retryable: failure.retryable, error: describeError(error) });
    }
    // A committed pipeline has no transaction left to abort, unless it is pipeline 0 with the shard record's.
    await Promise.all(pipelines.map((p) => endPipeline('abort', () => p.abort(), stopDeadline, log, p.identity.index)));
  } finally {
    await rejectedRows?.close().catch((error: unknown) => log.error('rejected_rows_file_failed', { error: describeError(error) }));
    await Promise.all(pipelines.map((p) => endPipeline('close', () => p.close(), stopDeadline, log, p.identity.index)));
  }

  // A failed transactional run shows consumers what its committed producers sent (none, unless a commit failed midway);
  // without transactions what was acknowledged is out there.
  const transactional = config.kafka.transactionalId !== undefined;
  const visible = emptyStats();
  pipelines.forEach((p, k) => {
    if (!transactional) addStats(visible, p.progress().stats);
    else if (producers[k].committed) addStats(visible, producers[k].stats);
  });
  const finishedAt = now();
  const counts = totalCounts(pipelines);
  const bySource = new Map<string, { read: number; rejected: number }>();
  for (const p of pipelines) for (const [source, n] of Object.entries(p.progress().bySource)) bySource.set(source, n);
  for (const file of files) {
    const decided = bySource.get(file.source);
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
    kafka: {
      topic: config.kafka.topic,
      deadLetterTopic: config.kafka.dlqTopic,
      runsTopic: config.kafka.runsTopic,
      transactionalId: config.kafka.transactionalId ?? null,
      producers: producers.map((p) => ({
        index: p.identity.index,
        transactionalId: p.identity.transactionalId,
        committed: p.committed,
        published: p.stats.acknowledged[config.kafka.topic] ?? 0,
        deadLettered: p.stats.acknowledged[config.kafka.dlqTopic] ?? 0,
      })),
    },
    counts: { ...counts, published: visible.acknowledged[config.kafka.topic] ?? 0, deadLettered: visible.acknowledged[config.kafka.dlqTopic] ?? 0 },
    rejectedRatio: counts.read === 0 ? 0 : counts.rejected / counts.read,
    maxRejectedRatio: config.maxRejectedRatio,
    timings: {
      startedAt: started.toISOString(),
      finishedAt: finishedAt.toISOString(),
      resolveModelMs,
      processMs: finishedAt.getTime() - processStarted,
      totalMs: finishedAt.getTime() - started.getTime(),
    },
    throughputRowsPerSecond: rate(counts.read, processStarted, finishedAt),
    ...(failure ? { error: { code: failure.code, message: describeError(failure), retryable: failure.retryable } } : {}),
  };
  const manifestPath = await writeManifest(config.outputDir, manifest);
  log.info('run_finished', { status: manifest.status, manifest: manifestPath, counts: manifest.counts, rowsPerSecond: manifest.throughputRowsPerSecond, error: manifest.error });
  return manifest;
}

function totalCounts(pipelines: ScoringPipeline[]): ScoreCounts {
  const total = { read: 0, scored: 0, rejected: 0 };
  for (const p of pipelines) {
    const { counts } = p.progress();
    total.read += counts.read;
    total.scored += counts.scored;
    total.rejected += counts.rejected;
  }
  return total;
}

/** Some producers' commits failed: say which committed, as their messages are visible. */
function commitFailure(reason: unknown, producers: ProducerAccount[]): PublishError {
  const committed = producers.filter((p) => p.committed).map((p) => p.identity.transactionalId);
  const partly = committed.length > 0 ? `; ${committed.length} of ${producers.length} producers committed (${committed.join(', ')}): their messages are visible, the shard's end-of-run record is not published` : '';
  return new PublishError(`committing the Kafka transaction failed: ${describeError(reason)}${partly}`, { retryable: true, cause: reason, code: committed.length > 0 ? 'COMMIT_INCOMPLETE' : 'PUBLISH_FAILED' });
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
function checkOutcome(files: FileAccount[], counts: ScoreCounts, config: ScorerConfig): void {
  const broken = files.filter((f) => f.error !== undefined);
  if (broken.length > 0) {
    throw new RunFailedError('INPUT_FILES_UNREADABLE', `${broken.length} input file(s) could not be read: ${broken.map((f) => f.error).join('; ')}`, false);
  }
  const { read, rejected } = counts;
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
 * Runs a pipeline's abort or close; a stopping run gives up when its budget is spent (a transaction left open is
 * then ended by the broker at its timeout, or by the rerun, which fences the shard's ids). Failures are logged only:
 * the run's outcome is already decided.
 */
async function endPipeline(step: 'abort' | 'close', work: () => Promise<void>, deadline: number, log: Logger, pipeline: number): Promise<void> {
  try {
    const finished = deadline === Infinity ? (await work(), true) : await within(work(), Math.max(0, deadline - Date.now()));
    if (!finished) log.warn(`publisher_${step}_timed_out`, { pipeline, budgetMs: STOP_BUDGET_MS });
  } catch (error) {
    log.warn(`publisher_${step}_failed`, { pipeline, error: describeError(error) });
  }
}

const rate = (rows: number, startMs: number, end: Date) => Math.round(rows / Math.max(0.001, (end.getTime() - startMs) / 1000));
