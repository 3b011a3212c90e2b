/** One input record as read from a file, before validation. Row numbers are 1-based data rows (CSV: after the header). */
export interface InputRow {
  row: number;
  values?: Record<string, unknown>;
  /** Set when the record itself could not be parsed (invalid JSON line, ragged CSV row): it is rejected with this reason. */
  error?: string;
  /**
   * The row's text when it could not be parsed into values (the JSON line, or a ragged CSV row's fields as a JSON
   * array), so that the rejection can carry it. Absent when the text cannot be carried faithfully (invalid UTF-8).
   */
  raw?: string;
}

export interface RowBatch {
  /** Where the rows came from (local path or s3:// URI), carried into rejections and the manifest. */
  source: string;
  rows: InputRow[];
  /**
   * Columns whose 64-bit integers were read as numbers (ColumnarOptions.int64AsNumber): a rejected row shows them as
   * digits, as it shows the BigInts of the other INT64 columns, so that dead letters look the same either way.
   */
  int64AsNumber?: ReadonlySet<string>;
}

export type InputFormat = 'csv' | 'jsonl' | 'parquet';

/** Random access to a file's bytes, which Parquet needs (footer first, then column chunks). */
export interface RangeReader {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}

/** What identifies a listed file: plain data, which can cross to a pipeline thread. */
export interface InputFileDescription {
  uri: string;
  format: InputFormat;
  /** Whole-file compression, from the name (`.csv.gz`); Parquet compresses its pages itself and is never gzip'd. */
  gzip: boolean;
  size: number;
}

export interface InputFile extends InputFileDescription {
  openStream(): Promise<NodeJS.ReadableStream>;
  openRanges(): Promise<RangeReader>;
}

/** A listed file the scorer will not read, and why: the run fails on it before anything is published. */
export interface UnsupportedFile {
  uri: string;
  reason: string;
}

export interface InputListing {
  files: InputFile[];
  /** Marker and hidden files (`_SUCCESS`, `.crc`, names starting with `_` or `.`), skipped by convention. */
  skipped: string[];
  unsupported: UnsupportedFile[];
}

export const ROWS_PER_BATCH = 1000;

export type FileKind = { kind: 'data'; format: InputFormat; gzip: boolean } | { kind: 'skip' } | { kind: 'unsupported'; reason: string };

const SUPPORTED = '.csv, .jsonl or .ndjson (each optionally .gz) and .parquet';

/**
 * What the scorer does with a listed file, by its path below the input root. A name or folder starting with `_` or
 * `.` is metadata by the Hadoop/Spark convention (`_SUCCESS`, `.part-0.crc`, `_temporary/`) and is skipped; any other
 * file must be one the scorer reads, because a data file it silently skipped would make the night "succeed" without
 * its rows.
 */
export function classifyInput(relativePath: string, options: { named?: boolean } = {}): FileKind {
  const parts = relativePath.split(/[\\/]/).filter((part) => part !== '');
  // A file named as INPUT_PATH itself is read whatever its name.
  if (!options.named && parts.some((part) => part.startsWith('_') || part.startsWith('.'))) return { kind: 'skip' };
  const lower = (parts.pop() ?? '').toLowerCase();
  const gzip = lower.endsWith('.gz');
  const stem = gzip ? lower.slice(0, -3) : lower;
  if (stem.endsWith('.csv')) return { kind: 'data', format: 'csv', gzip };
  if (stem.endsWith('.jsonl') || stem.endsWith('.ndjson')) return { kind: 'data', format: 'jsonl', gzip };
  if (stem.endsWith('.parquet')) {
    return gzip
      ? { kind: 'unsupported', reason: 'gzip-compressed Parquet is not supported: Parquet compresses its pages itself, write the file without the outer .gz' }
      : { kind: 'data', format: 'parquet', gzip: false };
  }
  return { kind: 'unsupported', reason: `unsupported file type: the scorer reads ${SUPPORTED}` };
}
