import type { FeatureSchema } from './feature-schema';

export type EncodeResult = { ok: true; entityId: string } | { ok: false; reason: string; entityId?: string };

type ColumnEncoder = (value: unknown) => number | string;

/**
 * Turns rows into the model's float32 input: numbers as themselves, categories as their index, missing as NaN
 * (only where nullable). Returns a reason string instead of a number when a value is not acceptable.
 * The rules match the trainer's (apps/trainer, data/encode.py), so a row means the same in training and scoring.
 */
export class FeatureEncoder {
  readonly width: number;
  private readonly names: string[];
  private readonly encoders: ColumnEncoder[];

  constructor(private readonly schema: FeatureSchema) {
    this.width = schema.features.length;
    this.names = schema.features.map((f) => f.name);
    this.encoders = schema.features.map((feature): ColumnEncoder => {
      const missing = feature.nullable ? () => NaN : () => `missing value for non-nullable feature "${feature.name}"`;
      if (feature.type === 'number') return (value) => (isMissing(value) ? missing() : toNumber(feature.name, value));
      const index = new Map(feature.categories.map((c, i) => [c, i]));
      return (value) => {
        if (isMissing(value)) return missing();
        const key = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;
        const found = key === undefined ? undefined : index.get(key);
        return found ?? `feature "${feature.name}" has unknown category ${preview(value)} (known: ${feature.categories.join(', ')})`;
      };
    });
  }

  /** The feature columns, without the entity id (which may also be named a feature: it is left out here). */
  get featureColumns(): string[] {
    return this.names.filter((name) => name !== this.schema.entity_id);
  }

  /** The columns a row must carry: entity id and features. */
  get columns(): string[] {
    return [this.schema.entity_id, ...this.names];
  }

  /** Writes one row into `target` at `offset * width`. */
  encode(values: Record<string, unknown>, target: Float32Array, offset: number): EncodeResult {
    const entityId = entityIdOf(values[this.schema.entity_id]);
    if (entityId === undefined) {
      return { ok: false, reason: `entity id "${this.schema.entity_id}" is missing or empty` };
    }
    // A JSON line can spell a lone surrogate ("\ud800"), which no UTF-8 key can carry: it would be published altered.
    if (LONE_SURROGATE.test(entityId)) {
      return { ok: false, reason: `entity id "${this.schema.entity_id}" is not valid Unicode (it holds a lone surrogate)` };
    }
    const base = offset * this.width;
    for (let i = 0; i < this.width; i++) {
      const name = this.names[i];
      if (!(name in values)) return { ok: false, reason: `column "${name}" is missing`, entityId };
      const encoded = this.encoders[i](values[name]);
      if (typeof encoded === 'string') return { ok: false, reason: encoded, entityId };
      target[base + i] = encoded;
    }
    return { ok: true, entityId };
  }
}

/** Null, absent, an empty or blank string, or a NaN number (what Parquet writers use for a missing double). */
const isMissing = (value: unknown) =>
  value === null || value === undefined || (typeof value === 'string' && value.trim() === '') || (typeof value === 'number' && Number.isNaN(value));

const LONE_SURROGATE = /\p{Cs}/u;

// Plain decimal notation only: JavaScript's Number() would also read "0x1A", "0b101", "0o7", "Infinity" and ""
// (as 26, 5, 7, Infinity and 0), none of which the trainer accepts. Surrounding whitespace is allowed, as there.
// Written so that no two parts can match the same characters: a 10 MiB run of digits is checked in linear time.
const DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const FLOAT32_MAX = 3.4028234663852886e38;

function toNumber(name: string, value: unknown): number | string {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && DECIMAL.test(value)) n = Number(value);
  else return `feature "${name}" is not a number: ${preview(value)} (only decimal numbers such as 12, -3.5 or 1e6)`;
  // The model reads float32: anything beyond its range would reach it as Infinity.
  if (!Number.isFinite(n) || Math.abs(n) > FLOAT32_MAX) return `feature "${name}" is out of range: ${preview(value)}`;
  return n;
}

function entityIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' || typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
