import {
  RunContext,
  RunRecordContext,
  ShardCommittedRecord,
  messageHeaders,
  producerCommittedRecord,
  runRecordKey,
} from '../contract';
import { InputError } from '../errors';
import type { DecodePermit } from '../input/decode-permit';
import { readFile } from '../input/read-files';
import type { InputFile, InputFileDescription } from '../input/types';
import type { RejectedRowsFile } from '../manifest/rejected-rows';
import type { FeatureSchema } from '../model/feature-schema';
import type { OnnxModel } from '../model/onnx-model';
import { PredictionPublisher, PublishStats, emptyStats } from '../publish/publisher';
import { BatchScorer, ScoreCounts } from './batch-scorer';
import { RunStoppedError } from './stop';

/** Which of a shard's pipelines this is: pipeline k publishes with transactional id `<base>.<k>`. */
export interface PipelineIdentity {
  index: number;
  /** Pipelines of the shard. */
  count: number;
  transactionalId: string | null;
}

/** A file's rows as decided by the pipeline that read it, and why it could not be read to the end, if so. */
export interface FileOutcome {
  source: string;
  read: number;
  rejected: number;
  error?: string;
}

/** What a pipeline decided and what the broker acknowledged of it. */
export interface PipelineProgress {
  counts: ScoreCounts;
  /** Rows decided per source file (also of a file still being read). */
  bySource: Record<string, { read: number; rejected: number }>;
  stats: PublishStats;
}

/**
 * One scoring pipeline: reads the files it is given, validates, scores and publishes with its own producer, inside
 * its own transaction. A run has one per CPU (KAFKA_PRODUCERS); each runs on a worker thread of its own
 * (ThreadPipeline), or in-process (LocalPipeline) in tests.
 */
export interface ScoringPipeline {
  readonly identity: PipelineIdentity;
  /** Loads the model, connects and begins the transaction. */
  start(): Promise<void>;
  /** Reads and scores one file; an unreadable file is an outcome with `error`, not a rejection. */
  score(file: InputFileDescription): Promise<FileOutcome>;
  /** Sends what is buffered and waits until the broker acknowledged everything (nothing committed yet). */
  finish(): Promise<PipelineProgress>;
  /** Adds the producer's end-of-run record to its transaction and commits it. */
  commit(): Promise<PipelineProgress>;
  /** Publishes the shard's end-of-run record, in a transaction of its own, after every pipeline committed. */
  publishShardRecord(record: ShardCommittedRecord): Promise<void>;
  /** Stops scoring and aborts the transaction. */
  abort(): Promise<void>;
  close(): Promise<void>;
  /** The latest counts (a pipeline on a thread reports them after every batch). */
  progress(): PipelineProgress;
}

/** How often a pipeline reports its counts while reading (and always at the end of a file). */
export const PROGRESS_INTERVAL_MS = 50;

export interface LocalPipelineDeps {
  identity: PipelineIdentity;
  schema: FeatureSchema;
  loadModel: () => Promise<Pick<OnnxModel, 'score' | 'close'>>;
  publisher: PredictionPublisher;
  rejectedRows: Pick<RejectedRowsFile, 'write'>;
  run: RunContext;
  records: RunRecordContext & { runsTopic: string };
  batchSize: number;
  now: () => Date;
  openFile: (file: InputFileDescription) => InputFile;
  /** Shared by the run's pipelines: one Parquet row group decoded at a time. */
  decodePermit?: DecodePermit;
  onProgress?: (progress: PipelineProgress) => void;
}

export class LocalPipeline implements ScoringPipeline {
  private scorer: BatchScorer | undefined;
  private model: Pick<OnnxModel, 'score' | 'close'> | undefined;
  private aborted = false;
  private reportedAt = 0;
  private latest: PipelineProgress = { counts: { read: 0, scored: 0, rejected: 0 }, bySource: {}, stats: emptyStats() };

  constructor(private readonly deps: LocalPipelineDeps) {}

  get identity(): PipelineIdentity {
    return this.deps.identity;
  }

  async start(): Promise<void> {
    const { deps } = this;
    this.model = await deps.loadModel();
    this.scorer = new BatchScorer({
      schema: deps.schema,
      model: this.model,
      publisher: deps.publisher,
      rejectedRows: deps.rejectedRows,
      run: deps.run,
      topic: deps.records.topic,
      deadLetterTopic: deps.records.deadLetterTopic,
      batchSize: deps.batchSize,
      now: deps.now,
    });
    await deps.publisher.start();
  }

  async score(task: InputFileDescription): Promise<FileOutcome> {
    const scorer = this.scorer!;
    let error: string | undefined;
    try {
      const options = { permit: this.deps.decodePermit, int64AsNumber: scorer.featureColumns };
      for await (const batch of readFile(this.deps.openFile(task), scorer.columns, options)) {
        if (this.aborted) throw new RunStoppedError('abort');
        await scorer.add(batch.source, batch.rows, batch.int64AsNumber);
        // Reported at most every PROGRESS_INTERVAL_MS: each report is a message to the main thread.
        if (Date.now() - this.reportedAt >= PROGRESS_INTERVAL_MS) this.report();
      }
    } catch (failure) {
      // A broken file must not hide the others: its good rows so far still count, the run fails at the end.
      if (!(failure instanceof InputError)) throw failure;
      error = failure.message;
    }
    // Scored per file, so that a file's counts are final when it is done.
    await scorer.flush();
    this.report();
    const decided = scorer.bySource.get(task.uri) ?? { read: 0, rejected: 0 };
    return { source: task.uri, read: decided.read, rejected: decided.rejected, ...(error === undefined ? {} : { error }) };
  }

  async finish(): Promise<PipelineProgress> {
    await this.scorer!.flush();
    await this.deps.publisher.flush();
    return this.report();
  }

  async commit(): Promise<PipelineProgress> {
    const { deps } = this;
    const sent = await deps.publisher.flush();
    const record = producerCommittedRecord(
      deps.records,
      { index: deps.identity.index, count: deps.identity.count, transactional_id: deps.identity.transactionalId },
      sent.byPartition,
      deps.now(),
    );
    await deps.publisher.publish(deps.records.runsTopic, [{ key: runRecordKey(record), value: JSON.stringify(record), headers: messageHeaders(deps.run) }]);
    await deps.publisher.commit();
    return this.report();
  }

  async publishShardRecord(record: ShardCommittedRecord): Promise<void> {
    const { publisher, records, run } = this.deps;
    await publisher.beginTransaction();
    await publisher.publish(records.runsTopic, [{ key: runRecordKey(record), value: JSON.stringify(record), headers: messageHeaders(run) }]);
    await publisher.commit();
  }

  async abort(): Promise<void> {
    this.aborted = true;
    await this.deps.publisher.abort();
  }

  async close(): Promise<void> {
    try {
      await this.deps.publisher.close();
    } finally {
      await this.model?.close();
    }
  }

  progress(): PipelineProgress {
    return this.latest;
  }

  private report(): PipelineProgress {
    const scorer = this.scorer!;
    this.reportedAt = Date.now();
    this.latest = { counts: { ...scorer.counts }, bySource: Object.fromEntries([...scorer.bySource].map(([k, v]) => [k, { ...v }])), stats: this.deps.publisher.stats() };
    this.deps.onProgress?.(this.latest);
    return this.latest;
  }
}
