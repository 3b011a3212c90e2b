import type { FeatureSchema } from './feature-schema';

export type EncodeResult = { ok: true; entityId: string } | { ok: false; reason: string; entityId?: string };

type ColumnEncoder = (value: unknown) => number | string;

/**
 * Turns rows into the model's float32 input: numbers as themselves, categories as their index, missing as NaN
 * (only where nullable). Returns a reason string instead of a number when a value is not acceptable.
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
      if (feature.type === 'number') {
        return (value) => {
          if (isMissing(value)) return missing();
          const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value.trim()) : NaN;
          return Number.isFinite(n) ? n : `feature "${feature.name}" is not a number: ${preview(value)}`;
        };
      }
      const index = new Map(feature.categories.map((c, i) => [c, i]));
      return (value) => {
        if (isMissing(value)) return missing();
        const key = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;
        const found = key === undefined ? undefined : index.get(key);
        return found ?? `feature "${feature.name}" has unknown category ${preview(value)} (known: ${feature.categories.join(', ')})`;
      };
    });
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

const isMissing = (value: unknown) => value === null || value === undefined || (typeof value === 'string' && value.trim() === '');

function entityIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? value.toString() : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
