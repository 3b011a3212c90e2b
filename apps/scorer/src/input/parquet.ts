import { isUtf8 } from 'node:buffer';
import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError } from '../errors';
import { invalidUtf8Preview } from './bytes';
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
 * Reads a Parquet file one row group at a time (memory is bounded by the largest row group, not the file),
 * and only the columns the model needs.
 */
export async function* readParquet(file: InputFile, wantedColumns: string[]): AsyncGenerator<RowBatch> {
  const buffer = await file.openRanges();
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new InputError(file.uri, `not a readable Parquet file (truncated or corrupt?): ${(error as Error).message}`, error);
  }
  const present = new Set(metadata.schema.slice(1).map((element) => element.name));
  const columns = wantedColumns.filter((name) => present.has(name));
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let objects;
    try {
      objects = await parquetReadObjects({ file: buffer, metadata, columns, rowStart, rowEnd, rowFormat: 'object', compressors, parsers });
    } catch (error) {
      throw new InputError(file.uri, `row group at rows ${rowStart + 1}-${rowEnd} could not be decoded: ${(error as Error).message}`, error);
    }
    for (let offset = 0; offset < objects.length; offset += ROWS_PER_BATCH) {
      const slice = objects.slice(offset, offset + ROWS_PER_BATCH);
      yield { source: file.uri, rows: slice.map((values, i) => toRow(rowStart + offset + i + 1, values)) };
    }
    rowStart = rowEnd;
  }
}

function toRow(row: number, values: Record<string, unknown>): InputRow {
  for (const [column, value] of Object.entries(values)) {
    if (value instanceof InvalidUtf8) {
      return { row, error: `invalid UTF-8 in column "${column}" (${invalidUtf8Preview(value.bytes)}): the row is rejected rather than published altered` };
    }
  }
  return { row, values };
}
