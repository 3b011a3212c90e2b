import { isUtf8 } from 'node:buffer';
import { parquetMetadataAsync, parquetRead, parquetSchema, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError } from '../errors';
import { invalidUtf8Preview } from './bytes';
import { collectGarbage } from './collect-garbage';
import type { ColumnarOptions } from './read-files';
import { InputFile, InputRow, ROWS_PER_BATCH, RowBatch } from './types';

/** A string column value whose bytes are not UTF-8: kept as bytes so its row can be rejected instead of altered. */
class InvalidUtf8 {
  constructor(readonly bytes: Uint8Array) {}
}

const decoder = new TextDecoder('utf-8', { fatal: true });

// hyparquet decodes strings without `fatal`, turning invalid bytes into U+FFFD; this parser keeps them detectable.
const parsers = {
  stringFromBytes(bytes: Uint8Array | undefined) {
    if (!bytes) return bytes;
    return isUtf8(bytes) ? decoder.decode(bytes) : new InvalidUtf8(bytes);
  },
};

/**
 * Reads a Parquet file one row group at a time, only the columns the model needs, as columns (typed arrays where
 * Parquet has numbers), and turns them into rows one batch of ROWS_PER_BATCH at a time: memory is bounded by one row
 * group's columns, not by a row object per row of the group (which cost ~150 MB per pipeline at 100,000-row groups).
 * A full collection after each decode (collect-garbage.ts) frees the decoder's garbage at once, which is about as much
 * as the columns it made (1M rows, 2 pipelines: peak RSS ~300 -> ~270 MB; one before each decode as well cost ~8% of
 * the speed for ~10 MB).
 */
export async function* readParquet(file: InputFile, wantedColumns: string[], { permit, int64AsNumber = [] }: ColumnarOptions = {}): AsyncGenerator<RowBatch> {
  const buffer = await file.openRanges();
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new InputError(file.uri, `not a readable Parquet file (truncated or corrupt?): ${(error as Error).message}`, error);
  }
  const int64 = withInt64AsNumber(metadata, new Set(int64AsNumber));
  metadata = int64.metadata;
  const converted = int64.converted;
  const present = new Set(metadata.schema.slice(1).map((element) => element.name));
  const columns = wantedColumns.filter((name) => present.has(name));
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const chunks = new Map<string, ColumnChunk[]>(columns.map((name) => [name, []]));
    await permit?.acquire();
    try {
      await parquetRead({
        file: buffer,
        metadata,
        columns,
        rowStart,
        rowEnd,
        compressors,
        parsers,
        onChunk: ({ columnName, columnData, rowStart: from }) => chunks.get(columnName)?.push({ from, data: columnData }),
      });
    } catch (error) {
      throw new InputError(file.uri, `row group at rows ${rowStart + 1}-${rowEnd} could not be decoded: ${(error as Error).message}`, error);
    } finally {
      permit?.release();
    }
    collectGarbage();
    const cursors = columns.map((name) => new ColumnCursor(chunks.get(name)!));
    for (let from = rowStart; from < rowEnd; from += ROWS_PER_BATCH) {
      const to = Math.min(rowEnd, from + ROWS_PER_BATCH);
      const rows: InputRow[] = new Array(to - from);
      for (let row = from; row < to; row++) {
        const values: Record<string, unknown> = {};
        let invalid = -1;
        for (let c = 0; c < columns.length; c++) {
          const value = cursors[c].at(row);
          if (invalid < 0 && value instanceof InvalidUtf8) invalid = c;
          values[columns[c]] = value;
        }
        rows[row - from] = invalid < 0 ? { row: row + 1, values } : invalidRow(row + 1, columns[invalid], values[columns[invalid]] as InvalidUtf8);
      }
      yield { source: file.uri, rows, ...(converted.size > 0 ? { int64AsNumber: converted } : {}) };
    }
    rowStart = rowEnd;
  }
}

/**
 * hyparquet decodes a plain INT64 column as BigInts: one heap object per value and per read of a dictionary entry, the
 * most garbage a row group made and ~20% of its decoding time. For the named top-level columns it is told they are
 * DECIMAL(scale 0), which it converts to numbers once per page or dictionary, as Number(bigint) would (the same
 * rounding beyond 2^53). Only plain signed integers are touched: logical types keep their own conversion.
 */
function withInt64AsNumber(metadata: FileMetaData, names: ReadonlySet<string>): { metadata: FileMetaData; converted: Set<string> } {
  const converted = new Set<string>();
  if (names.size === 0) return { metadata, converted };
  // Only the root's children are top-level columns (a nested field of the same name is left alone); hyparquet's schema
  // tree holds the very elements of metadata.schema.
  const topLevel = new Set(parquetSchema(metadata).children.map((child) => child.element));
  const schema = metadata.schema.map((element) => {
    if (!topLevel.has(element) || !names.has(element.name) || element.type !== 'INT64' || element.num_children || element.converted_type || element.logical_type) return element;
    converted.add(element.name);
    return { ...element, converted_type: 'DECIMAL' as const, scale: 0 };
  });
  return { metadata: { ...metadata, schema }, converted };
}

interface ColumnChunk {
  from: number;
  data: ArrayLike<unknown>;
}

/** A column's values of a row group, as hyparquet delivered them (in pieces), read in row order. */
class ColumnCursor {
  private index = 0;

  constructor(private readonly chunks: ColumnChunk[]) {
    chunks.sort((a, b) => a.from - b.from);
  }

  at(row: number): unknown {
    let chunk = this.chunks[this.index];
    while (chunk && row >= chunk.from + chunk.data.length) chunk = this.chunks[++this.index];
    if (!chunk || row < chunk.from) return undefined;
    return chunk.data[row - chunk.from];
  }
}

function invalidRow(row: number, column: string, value: InvalidUtf8): InputRow {
  return { row, error: `invalid UTF-8 in column "${column}" (${invalidUtf8Preview(value.bytes)}): the row is rejected rather than published altered` };
}
