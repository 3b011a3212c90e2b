import type { ScorerConfig } from '../config/schema';
import type { DeadLetterMessage, RunContext, ShardCommittedRecord } from '../contract';
import type { InputFileDescription } from '../input/types';
import type { FeatureSchema } from '../model/feature-schema';
import type { PipelineIdentity, PipelineProgress } from './pipeline';

/** What the main thread hands a pipeline thread at start (plain data: functions cannot cross threads). */
export interface PipelineThreadData {
  config: ScorerConfig;
  identity: PipelineIdentity;
  run: RunContext;
  model: { onnxPath: string; featureSchema: FeatureSchema; threads: number };
  /** Partition counts of the run's topics. */
  partitions: Array<[string, number]>;
  /** The run's DecodePermit (shared memory: every pipeline thread sees the same). */
  decodePermit: SharedArrayBuffer;
}

export type PipelineRequest =
  | { id: number; op: 'start' | 'finish' | 'commit' | 'abort' | 'close' }
  | { id: number; op: 'score'; file: InputFileDescription }
  | { id: number; op: 'shardRecord'; record: ShardCommittedRecord }
  /** The main thread's answer to a `rejected` message: the rows are in the rejected rows file (or why not). */
  | { id: number; op: 'written'; error?: string };

export interface SerializedError {
  name: string;
  code: string;
  message: string;
  retryable: boolean;
}

export type PipelineMessage =
  | { kind: 'reply'; id: number; ok: true; result?: unknown }
  | { kind: 'reply'; id: number; ok: false; error: SerializedError }
  | { kind: 'progress'; progress: PipelineProgress }
  /** Rejected rows for the shard's one rejected rows file, which the main thread writes. */
  | { kind: 'rejected'; id: number; rows: DeadLetterMessage[] }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; event: string; fields?: Record<string, unknown> };
