/** One input record as read from a file, before validation. Row numbers are 1-based data rows (CSV: after the header). */
export interface InputRow {
  row: number;
  values?: Record<string, unknown>;
  /** Set when the record itself could not be parsed (invalid JSON line, ragged CSV row): it is rejected with this reason. */
  error?: string;
}

export interface RowBatch {
  /** Where the rows came from (local path or s3:// URI), carried into rejections and the manifest. */
  source: string;
  rows: InputRow[];
}

export type InputFormat = 'csv' | 'jsonl' | 'parquet';

/** Random access to a file's bytes, which Parquet needs (footer first, then column chunks). */
export interface RangeReader {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}

export interface InputFile {
  uri: string;
  format: InputFormat;
  size: number;
  openStream(): Promise<NodeJS.ReadableStream>;
  openRanges(): Promise<RangeReader>;
}

export const ROWS_PER_BATCH = 1000;

export function formatOf(name: string): InputFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.parquet')) return 'parquet';
  return undefined;
}
