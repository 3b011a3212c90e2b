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
 * `JSON.stringify(predictionMessage(...))` as UTF-8 bytes, written straight into a buffer (the Kafka record being
 * built) from parts encoded once per run, so that no string is made per message; byte for byte the same
 * (test/scorer/publish-encoding.test.ts). `scoredAt` is the batch's time, encoded once per batch.
 */
export function predictionBytesWriter(run: RunContext, classLabels: ReadonlyArray<number | string>) {
  const json = JSON.stringify;
  const bytes = (text: string) => Buffer.from(text, 'utf8');
  const head = bytes(`{"schema_version":${json(SCHEMA_VERSION)},"entity_id":`);
  const predictionHead = bytes(',"prediction":{"label":');
  const scoreHead = bytes(',"score":');
  const probabilitiesHead = bytes(',"probabilities":{');
  const labels = classLabels.map((label) => bytes(json(label)));
  const order = Object.keys(Object.fromEntries(classLabels.map((label, c) => [String(label), c]))).map((key) => classLabels.findIndex((l) => String(l) === key));
  const keys = order.map((c, i) => bytes(`${i > 0 ? ',' : ''}${json(String(classLabels[c]))}:`));
  const tail = bytes(`}},"model":${json({ name: run.modelName, version: run.modelVersion })},"run":${json({ id: run.runId, date: run.runDate, shard: run.shardId })},"scored_at":"`);
  const close = bytes('"}');
  const fixed = head.length + predictionHead.length + scoreHead.length + probabilitiesHead.length + tail.length + close.length + Math.max(...labels.map((l) => l.length)) + keys.reduce((sum, k) => sum + k.length, 0);
  return {
    /** An upper bound of the value's bytes: JSON escapes a UTF-16 unit to at most 6 bytes, a score takes at most 24. */
    maxBytes: (entityId: string, scoredAt: Buffer) => fixed + scoredAt.length + 2 + entityId.length * 6 + 24 * (classLabels.length + 1),
    write(target: Buffer, at: number, entityId: string, labelIndex: number, probabilities: Float32Array, offset: number, scoredAt: Buffer): number {
      at += head.copy(target, at);
      at = writeJsonString(target, at, entityId);
      at += predictionHead.copy(target, at);
      at += labels[labelIndex].copy(target, at);
      at += scoreHead.copy(target, at);
      at = writeScore(target, at, probabilities[offset + labelIndex]);
      at += probabilitiesHead.copy(target, at);
      for (let i = 0; i < order.length; i++) {
        at += keys[i].copy(target, at);
        at = writeScore(target, at, probabilities[offset + order[i]]);
      }
      at += tail.copy(target, at);
      at += scoredAt.copy(target, at);
      return at + close.copy(target, at);
    },
  };
}

/**
 * A score rounded to 6 decimals as JSON writes it, as ASCII. Between 0 and 1 (exclusive) that is "0." and the six
 * digits of the rounded millionths without trailing zeros (the shortest form of a 6-decimal double is that decimal),
 * written digit by digit: turning each double into a string was ~5% of a pipeline's CPU time.
 */
function writeScore(target: Buffer, at: number, p: number): number {
  let micros = Math.round(p * 1e6);
  if (!(micros > 0 && micros < 1e6)) return at + latin1Write(target, number(p), at);
  target[at] = 0x30;
  target[at + 1] = 0x2e;
  for (let k = at + 7; k >= at + 2; k--) {
    target[k] = 0x30 + (micros % 10);
    micros = (micros - (micros % 10)) / 10;
  }
  let end = at + 8;
  while (target[end - 1] === 0x30) end--;
  return end;
}

/** Buffer's own one-byte writer (on every Buffer, not in Node's typings): no encoding argument to normalise. */
const latin1Write = (target: Buffer, text: string, at: number): number => (target as unknown as { latin1Write(t: string, a: number): number }).latin1Write(text, at);

/** `JSON.stringify(text)` written as UTF-8; plain printable ASCII (every real entity id) without building a string. */
function writeJsonString(target: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return at + target.write(JSON.stringify(text), at, 'utf8');
  }
  target[at] = 0x22;
  at += 1 + latin1Write(target, text, at + 1);
  target[at] = 0x22;
  return at + 1;
}

export interface Rejection {
  source: { uri: string; row: number };
  reason: string;
  entityId?: string;
  record?: Record<string, unknown>;
  raw?: string;
  /** Columns of `record` whose 64-bit integers were read as numbers (RowBatch.int64AsNumber): written as digits too. */
  int64AsNumber?: ReadonlySet<string>;
}

/** The complete rejection, as written to rejected-rows.jsonl. */
export function deadLetterMessage(run: RunContext, rejection: Rejection, rejectedAt: string): DeadLetterMessage {
  return {
    schema_version: SCHEMA_VERSION,
    kind: 'rejected-row',
    source: rejection.source,
    reason: rejection.reason,
    entity_id: rejection.entityId ?? null,
    record: rejection.record === undefined ? null : jsonSafe(rejection.record, rejection.int64AsNumber),
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

/**
 * Parquet int64 arrives as bigint, which JSON cannot carry; keep the digits as a string. The same for the int64
 * columns read as numbers, so that a dead letter looks the same either way (exact up to 2^53, as the model read them).
 */
function jsonSafe(record: Record<string, unknown>, int64AsNumber?: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    out[key] = typeof value === 'bigint' || (typeof value === 'number' && int64AsNumber?.has(key)) ? String(value) : value;
  }
  return out;
}
