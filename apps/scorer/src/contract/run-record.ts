/**
 * End-of-run records (docs/prediction-contract.md, docs/run-record.schema.json, since contract 1.2): what lets a
 * consumer tell that it has a run's every message. They go to `<prediction topic>.runs`, keyed by the run id, so that
 * the prediction topic keeps holding predictions only.
 *
 * - `producer-committed`: one per sub-producer, the last message of its transaction, so it is visible exactly when
 *   that producer's messages are; counts per topic and partition.
 * - `shard-committed`: one per shard, in a transaction of its own after every sub-producer of the shard committed;
 *   its counts are the shard's total. A shard without this record did not (completely) commit.
 */
import { RunContext, SCHEMA_VERSION } from './message';

export const RUNS_TOPIC_SUFFIX = '.runs';

/** Where a prediction topic's end-of-run records are. */
export const runsTopicOf = (predictionTopic: string) => `${predictionTopic}${RUNS_TOPIC_SUFFIX}`;

export interface TopicCounts {
  /** Messages of this producer or shard on the topic. */
  messages: number;
  /** The same per partition ("0", "1", …), for consumers that read only some partitions. */
  partitions: Record<string, number>;
}

interface RunRecordBase {
  schema_version: string;
  run: { id: string; date: string; shard: string };
  model: { name: string; version: string };
  /** Every shard of the run, when the platform says (SageMaker's hosts); null otherwise. */
  shards: string[] | null;
  predictions: TopicCounts & { topic: string };
  dead_letters: TopicCounts & { topic: string };
  committed_at: string;
}

export interface ProducerCommittedRecord extends RunRecordBase {
  kind: 'producer-committed';
  producer: { index: number; count: number; transactional_id: string | null };
}

export interface ShardCommittedRecord extends RunRecordBase {
  kind: 'shard-committed';
  /** The shard's rows: read = scored + rejected; scored rows are the predictions, rejected ones the dead letters. */
  rows: { read: number; scored: number; rejected: number };
  producers: Array<{ index: number; transactional_id: string | null; predictions: number; dead_letters: number }>;
}

export type RunRecord = ProducerCommittedRecord | ShardCommittedRecord;

export interface RunRecordContext {
  run: RunContext;
  shards: string[] | undefined;
  topic: string;
  deadLetterTopic: string;
}

type Partitions = Record<string, Record<string, number>>;

const topicCounts = (topic: string, partitions: Partitions): TopicCounts & { topic: string } => {
  const byPartition = { ...(partitions[topic] ?? {}) };
  return { topic, messages: Object.values(byPartition).reduce((sum, n) => sum + n, 0), partitions: byPartition };
};

function base(context: RunRecordContext, partitions: Partitions, committedAt: Date): RunRecordBase {
  const { run } = context;
  return {
    schema_version: SCHEMA_VERSION,
    run: { id: run.runId, date: run.runDate, shard: run.shardId },
    model: { name: run.modelName, version: run.modelVersion },
    shards: context.shards ?? null,
    predictions: topicCounts(context.topic, partitions),
    dead_letters: topicCounts(context.deadLetterTopic, partitions),
    committed_at: committedAt.toISOString(),
  };
}

/** A sub-producer's record, with what it sent in its transaction (the record itself not counted). */
export function producerCommittedRecord(
  context: RunRecordContext,
  producer: ProducerCommittedRecord['producer'],
  partitions: Partitions,
  at: Date,
): ProducerCommittedRecord {
  return { ...base(context, partitions, at), kind: 'producer-committed', producer };
}

export function shardCommittedRecord(
  context: RunRecordContext,
  rows: ShardCommittedRecord['rows'],
  producers: Array<{ index: number; transactionalId: string | null; partitions: Partitions }>,
  at: Date,
): ShardCommittedRecord {
  const total: Partitions = {};
  for (const producer of producers) {
    for (const [topic, counts] of Object.entries(producer.partitions)) {
      const into = (total[topic] ??= {});
      for (const [partition, n] of Object.entries(counts)) into[partition] = (into[partition] ?? 0) + n;
    }
  }
  return {
    ...base(context, total, at),
    kind: 'shard-committed',
    rows,
    producers: producers.map((p) => ({
      index: p.index,
      transactional_id: p.transactionalId,
      predictions: topicCounts(context.topic, p.partitions).messages,
      dead_letters: topicCounts(context.deadLetterTopic, p.partitions).messages,
    })),
  };
}

/** Key: the run id, so that a run's records share a partition and stay in order. */
export const runRecordKey = (record: RunRecord) => record.run.id;
