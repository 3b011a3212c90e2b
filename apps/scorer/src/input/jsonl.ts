import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { InputError } from '../errors';
import { InputFile, InputRow, ROWS_PER_BATCH, RowBatch } from './types';

/** Streams JSON Lines; the row number is the line number, and a line that is not a JSON object is rejected alone. */
export async function* readJsonl(file: InputFile): AsyncGenerator<RowBatch> {
  const stream = await file.openStream();
  const lines = createInterface({ input: stream as Readable, crlfDelay: Infinity });
  let rows: InputRow[] = [];
  let row = 0;
  try {
    for await (const line of lines) {
      row++;
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        rows.push({ row, error: `invalid JSON: ${(error as Error).message}` });
        continue;
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        rows.push({ row, error: 'line is not a JSON object' });
      } else {
        rows.push({ row, values: parsed as Record<string, unknown> });
      }
      if (rows.length >= ROWS_PER_BATCH) {
        yield { source: file.uri, rows };
        rows = [];
      }
    }
  } catch (error) {
    throw new InputError(file.uri, `reading stopped after line ${row}: ${(error as Error).message}`, error);
  }
  if (rows.length > 0) yield { source: file.uri, rows };
}
