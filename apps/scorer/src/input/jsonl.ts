import { isUtf8 } from 'node:buffer';
import { InputError } from '../errors';
import { invalidUtf8Preview, openBytes } from './bytes';
import { InputFile, InputRow, ROWS_PER_BATCH, RowBatch } from './types';

const NEWLINE = 0x0a;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Streams JSON Lines; the row number is the line number, and a line that is not a JSON object is rejected alone,
 * as is a line whose bytes are not UTF-8 (checked on the bytes, before decoding could replace them).
 */
export async function* readJsonl(file: InputFile): AsyncGenerator<RowBatch> {
  const stream = await openBytes(file);
  let rows: InputRow[] = [];
  let row = 0;
  try {
    for await (const line of lines(stream)) {
      row++;
      const parsed = parseLine(line);
      if (parsed === undefined) continue;
      rows.push({ row, ...parsed });
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

/** One line's values or rejection; undefined for a blank line. */
function parseLine(bytes: Buffer): Omit<InputRow, 'row'> | undefined {
  if (!isUtf8(bytes)) return { error: `line is not valid UTF-8 (${invalidUtf8Preview(bytes)}): the row is rejected rather than published altered` };
  const line = bytes.toString('utf8');
  if (line.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return { error: `invalid JSON: ${(error as Error).message}`, raw: line };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'line is not a JSON object', raw: line };
  return { values: parsed as Record<string, unknown> };
}

/** Lines as byte buffers (without "\n" or "\r\n"; a UTF-8 byte order mark at the start is dropped). */
async function* lines(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let first = true;
  for await (let chunk of stream) {
    if (first) {
      first = false;
      if (chunk.subarray(0, 3).equals(UTF8_BOM)) chunk = chunk.subarray(3);
    }
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, end);
      yield stripCr(pending.length > 0 ? Buffer.concat([...pending, piece]) : piece);
      pending = [];
      start = end + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield stripCr(Buffer.concat(pending));
}

const stripCr = (line: Buffer) => (line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line);
