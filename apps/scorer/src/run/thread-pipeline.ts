import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ShardCommittedRecord } from '../contract';
import { PublishError, ScorerError, describeError } from '../errors';
import type { InputFileDescription } from '../input/types';
import type { Logger } from '../log';
import type { RejectedRowsFile } from '../manifest/rejected-rows';
import { emptyStats } from '../publish/publisher';
import type { FileOutcome, PipelineIdentity, PipelineProgress, ScoringPipeline } from './pipeline';
import type { PipelineMessage, PipelineRequest, PipelineThreadData } from './pipeline-protocol';
import { RunStoppedError } from './stop';

// Same extension as this file: pipeline-worker.js in the built image; pipeline-worker.ts when run from source with
// tsx, whose loader workers do not inherit, so the worker registers tsx's require hook before loading it.
const WORKER_FILE = path.join(__dirname, `pipeline-worker${path.extname(__filename)}`);

/**
 * A pipeline allocates fast and briefly (rows, strings, one batch at a time): V8's default young generation (~48 MB
 * per thread) would make each pipeline ~35 MB bigger for no measurable speed (npm run bench:scorer, 1M rows). The old
 * generation's limit (PIPELINE_HEAP_MB) matters more: V8 lets garbage grow in proportion to it, and Node's default
 * (GBs) let each pipeline hold ~100 MB of it.
 */
function resourceLimits(config: PipelineThreadData['config']) {
  return { maxYoungGenerationSizeMb: 12, maxOldGenerationSizeMb: config.pipelineHeapMb };
}

function startWorker(workerData: PipelineThreadData): Worker {
  const limits = resourceLimits(workerData.config);
  if (!WORKER_FILE.endsWith('.ts')) return new Worker(WORKER_FILE, { workerData, resourceLimits: limits });
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(WORKER_FILE)});`;
  return new Worker(bootstrap, { eval: true, workerData, resourceLimits: limits });
}

type Request = PipelineRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** An error from the pipeline thread, keeping its code and whether retrying helps. */
class PipelineThreadError extends ScorerError {}

/** A ScoringPipeline on a worker thread of its own; the main thread only hands out files and collects outcomes. */
export class ThreadPipeline implements ScoringPipeline {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private latest: PipelineProgress = { counts: { read: 0, scored: 0, rejected: 0 }, bySource: {}, stats: emptyStats() };
  private exited: Error | undefined;

  constructor(
    private readonly data: PipelineThreadData,
    private readonly log: Logger,
    private readonly rejectedRows: Pick<RejectedRowsFile, 'write'>,
    private readonly onProgress: () => void = () => undefined,
  ) {
    this.worker = startWorker(data);
    this.worker.on('message', (message: PipelineMessage) => this.onMessage(message));
    this.worker.on('error', (error) => this.failAll(crashed(data, error)));
    this.worker.on('exit', (code) => this.failAll(new PublishError(`scoring pipeline ${data.identity.index} exited (code ${code})`, { retryable: true })));
  }

  get identity(): PipelineIdentity {
    return this.data.identity;
  }

  start(): Promise<void> {
    return this.call({ op: 'start' }) as Promise<void>;
  }

  score(file: InputFileDescription): Promise<FileOutcome> {
    return this.call({ op: 'score', file }) as Promise<FileOutcome>;
  }

  async finish(): Promise<PipelineProgress> {
    return (this.latest = (await this.call({ op: 'finish' })) as PipelineProgress);
  }

  async commit(): Promise<PipelineProgress> {
    return (this.latest = (await this.call({ op: 'commit' })) as PipelineProgress);
  }

  async publishShardRecord(record: ShardCommittedRecord): Promise<void> {
    await this.call({ op: 'shardRecord', record });
  }

  async abort(): Promise<void> {
    await this.call({ op: 'abort' });
  }

  async close(): Promise<void> {
    try {
      if (!this.exited) await this.call({ op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  progress(): PipelineProgress {
    return this.latest;
  }

  private call(request: Request): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as PipelineRequest);
    });
  }

  private onMessage(message: PipelineMessage): void {
    switch (message.kind) {
      case 'log':
        this.log[message.level](message.event, { pipeline: this.data.identity.index, ...message.fields });
        return;
      case 'progress':
        this.latest = message.progress;
        this.onProgress();
        return;
      case 'rejected':
        this.rejectedRows.write(message.rows).then(
          () => this.worker.postMessage({ op: 'written', id: message.id } satisfies PipelineRequest),
          (error: unknown) => this.worker.postMessage({ op: 'written', id: message.id, error: describeError(error) } satisfies PipelineRequest),
        );
        return;
      case 'reply': {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!waiter) return;
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(revive(message.error));
      }
    }
  }

  private failAll(error: Error): void {
    this.exited ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** A pipeline thread that died: out of its heap is a sizing problem (the same run would fail again), the rest may pass on a retry. */
function crashed(data: PipelineThreadData, error: Error): ScorerError {
  const index = data.identity.index;
  if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new PipelineThreadError(
      'PIPELINE_OUT_OF_MEMORY',
      `scoring pipeline ${index} ran out of its ${data.config.pipelineHeapMb} MB heap (PIPELINE_HEAP_MB): raise PIPELINE_HEAP_MB (and the instance's memory with it), or write the input with smaller Parquet row groups`,
      { retryable: false, cause: error },
    );
  }
  return new PublishError(`scoring pipeline ${index} crashed: ${describeError(error)}`, { retryable: true, cause: error });
}

function revive(error: { name: string; code: string; message: string; retryable: boolean }): Error {
  if (error.code === 'STOPPED') return new RunStoppedError('abort');
  const revived = new PipelineThreadError(error.code, error.message, { retryable: error.retryable });
  revived.name = error.name;
  return revived;
}
