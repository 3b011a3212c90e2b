/**
 * The prediction message contract (docs/prediction-contract.md, docs/prediction-message.schema.json).
 * Additive changes bump the minor version; anything a consumer could break on is a new major version.
 */
export const SCHEMA_VERSION = '1.2';

/**
 * Dead letters on the topic stay small whatever the row: `raw`, `reason` and `entity_id` are cut to this many UTF-8
 * bytes (`truncated: true`); the complete rejection is in the run's rejected-rows.jsonl.
 */
export const DEAD_LETTER_FIELD_LIMIT_BYTES = 8 * 1024;

/**
 * The largest prediction message the scorer produces (key + value + headers). A row whose prediction would be larger
 * (an absurdly long entity id) is rejected on its own; the broker's default max.message.bytes is 1,048,588.
 */
export const MAX_MESSAGE_BYTES = 1_000_000;

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
  /** The row's values; null when the row could not be parsed, or (on the topic) when their JSON is above the limit. */
  record: Record<string, unknown> | null;
  /** The row as text when `record` is null: the unparsed line, or the values' JSON text when they were too large. */
  raw: string | null;
  /** True when `raw`, `reason` or `entity_id` was cut to DEAD_LETTER_FIELD_LIMIT_BYTES (on the topic only). */
  truncated: boolean;
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
/** A rounded score as JSON writes it (NaN as null). */
const number = (p: number) => {
  const r = round(p);
  return Number.isFinite(r) ? String(r) : 'null';
};

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

/**
 * A function that writes `JSON.stringify(predictionMessage(...))` for one run and model, from parts built once: per
 * message only the entity id, the scores and the time change. Byte for byte the same text (test/scorer/contract-json.test.ts).
 */
export function predictionJsonWriter(run: RunContext, classLabels: ReadonlyArray<number | string>) {
  const json = JSON.stringify;
  const head = `{"schema_version":${json(SCHEMA_VERSION)},"entity_id":`;
  const labels = classLabels.map((label) => json(label));
  const keys = classLabels.map((label) => `${json(String(label))}:`);
  // Object keys that are array indices ("0", "1") come first in JSON.stringify's order; the writer keeps that order.
  const order = Object.keys(Object.fromEntries(classLabels.map((label, c) => [String(label), c]))).map((key) => classLabels.findIndex((l) => String(l) === key));
  const tail = `,"model":${json({ name: run.modelName, version: run.modelVersion })},"run":${json({ id: run.runId, date: run.runDate, shard: run.shardId })},"scored_at":`;
  return (entityId: string, labelIndex: number, probabilities: Float32Array, offset: number, scoredAt: string): string => {
    let text = `${head}${json(entityId)},"prediction":{"label":${labels[labelIndex]},"score":${number(probabilities[offset + labelIndex])},"probabilities":{`;
    for (let i = 0; i < order.length; i++) {
      const c = order[i];
      text += `${i > 0 ? ',' : ''}${keys[c]}${number(probabilities[offset + c])}`;
    }
    return `${text}}}${tail}"${scoredAt}"}`;
  };
}

export interface Rejection {
  source: { uri: string; row: number };
  reason: string;
  entityId?: string;
  record?: Record<string, unknown>;
  raw?: string;
}

/** The complete rejection, as written to rejected-rows.jsonl. */
export function deadLetterMessage(run: RunContext, rejection: Rejection, rejectedAt: string): DeadLetterMessage {
  return {
    schema_version: SCHEMA_VERSION,
    kind: 'rejected-row',
    source: rejection.source,
    reason: rejection.reason,
    entity_id: rejection.entityId ?? null,
    record: rejection.record === undefined ? null : jsonSafe(rejection.record),
    raw: rejection.record === undefined ? rejection.raw ?? null : null,
    truncated: false,
    model: { name: run.modelName, version: run.modelVersion },
    run: { id: run.runId, date: run.runDate, shard: run.shardId },
    rejected_at: rejectedAt,
  };
}

/**
 * The same rejection bounded for the dead-letter topic: one oversized bad row must not exceed the broker's message
 * size and fail the run. Values whose JSON is above the limit travel as the start of that JSON text in `raw`; an
 * entity id above the limit is dropped (null) rather than published altered.
 */
export function boundedDeadLetter(full: DeadLetterMessage, limit = DEAD_LETTER_FIELD_LIMIT_BYTES): DeadLetterMessage {
  let truncated = false;
  const cut = (text: string) => {
    const short = truncateUtf8(text, limit);
    if (short.length < text.length) truncated = true;
    return short;
  };
  let record = full.record;
  let raw = full.raw === null ? null : cut(full.raw);
  if (record !== null) {
    const json = JSON.stringify(record);
    if (Buffer.byteLength(json) > limit) {
      record = null;
      raw = cut(json);
    }
  }
  let entityId = full.entity_id;
  if (entityId !== null && Buffer.byteLength(entityId) > limit) {
    entityId = null;
    truncated = true;
  }
  const reason = cut(full.reason);
  return truncated || record !== full.record ? { ...full, reason, entity_id: entityId, record, raw, truncated } : full;
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text; // fits whatever the characters
  const bytes = Buffer.from(text.slice(0, maxBytes)); // at most maxBytes characters can fit
  if (bytes.length <= maxBytes && text.length <= maxBytes) return text;
  let end = Math.min(maxBytes, bytes.length);
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** Parquet int64 arrives as bigint, which JSON cannot carry; keep the digits as a string. */
function jsonSafe(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = typeof value === 'bigint' ? value.toString() : value;
  return out;
}
