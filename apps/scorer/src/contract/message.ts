/**
 * The prediction message contract (docs/prediction-contract.md, docs/prediction-message.schema.json).
 * Additive changes bump the minor version; anything a consumer could break on is a new major version.
 */
export const SCHEMA_VERSION = '1.0';

// Few headers on purpose: kafkajs encodes every header of every record separately, and they cost throughput.
export const HEADER = {
  schemaVersion: 'schema-version',
  modelName: 'model-name',
  modelVersion: 'model-version',
  runId: 'run-id',
} as const;

export interface PredictionMessage {
  schema_version: string;
  entity_id: string;
  prediction: {
    label: number | string;
    score: number;
    probabilities: Record<string, number>;
  };
  model: { name: string; version: string };
  run: { id: string; date: string; shard: string };
  scored_at: string;
}

export interface DeadLetterMessage {
  schema_version: string;
  kind: 'rejected-row';
  source: { uri: string; row: number };
  reason: string;
  entity_id: string | null;
  record: Record<string, unknown> | null;
  model: { name: string; version: string };
  run: { id: string; date: string; shard: string };
  rejected_at: string;
}

export interface RunContext {
  modelName: string;
  modelVersion: string;
  runId: string;
  runDate: string;
  shardId: string;
}

/** Headers are the same for every message of a run, so they are built once. */
export function messageHeaders(run: RunContext): Record<string, string> {
  return {
    [HEADER.schemaVersion]: SCHEMA_VERSION,
    [HEADER.modelName]: run.modelName,
    [HEADER.modelVersion]: run.modelVersion,
    [HEADER.runId]: run.runId,
  };
}

// float32 probabilities widen to noisy doubles (0.8299999833); six decimals is what float32 actually carries.
const round = (p: number) => Math.round(p * 1e6) / 1e6;

export function predictionMessage(
  run: RunContext,
  entityId: string,
  classLabels: ReadonlyArray<number | string>,
  labelIndex: number,
  probabilities: Float32Array,
  offset: number,
  scoredAt: string,
): PredictionMessage {
  const byLabel: Record<string, number> = {};
  for (let c = 0; c < classLabels.length; c++) byLabel[String(classLabels[c])] = round(probabilities[offset + c]);
  return {
    schema_version: SCHEMA_VERSION,
    entity_id: entityId,
    prediction: { label: classLabels[labelIndex], score: round(probabilities[offset + labelIndex]), probabilities: byLabel },
    model: { name: run.modelName, version: run.modelVersion },
    run: { id: run.runId, date: run.runDate, shard: run.shardId },
    scored_at: scoredAt,
  };
}

export function deadLetterMessage(
  run: RunContext,
  source: { uri: string; row: number },
  reason: string,
  entityId: string | undefined,
  record: Record<string, unknown> | undefined,
  rejectedAt: string,
): DeadLetterMessage {
  return {
    schema_version: SCHEMA_VERSION,
    kind: 'rejected-row',
    source,
    reason,
    entity_id: entityId ?? null,
    record: record === undefined ? null : jsonSafe(record),
    model: { name: run.modelName, version: run.modelVersion },
    run: { id: run.runId, date: run.runDate, shard: run.shardId },
    rejected_at: rejectedAt,
  };
}

/** Parquet int64 arrives as bigint, which JSON cannot carry; keep the digits as a string. */
function jsonSafe(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = typeof value === 'bigint' ? value.toString() : value;
  return out;
}
