import { isAscii } from 'node:buffer';

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** A CSV syntax error the file cannot be read past (an unterminated or misplaced quote). */
export class CsvSyntaxError extends Error {}

/**
 * RFC 4180 records from a byte stream: `,` separated, `"` quoted with `""` for a quote, `\n` or `\r\n` ending a record,
 * empty lines skipped, a UTF-8 byte order mark at the start dropped. Each record is an array of strings (decoded as
 * UTF-8; bytes that are not become U+FFFD, which the caller checks). Records are yielded per chunk read.
 *
 * The scorer's own parser because csv-parse cost about a third of a pipeline's CPU time (with the garbage of its
 * per-field objects); this one scans bytes once and decodes each field with one native call. Strictness is
 * csv-parse's: a quote inside an unquoted field, or anything but a separator after a closing quote, is an error.
 */
export async function* csvRecords(stream: AsyncIterable<Buffer>): AsyncGenerator<string[][]> {
  let carry: Buffer | undefined;
  let first = true;
  let line = 1;
  for await (const chunk of stream) {
    let data = chunk;
    if (carry) {
      // The record cut by the last chunk's end, completed from this chunk's first line: only that is copied, not the
      // whole chunk (unless a quoted field spans the line end).
      const newline = chunk.indexOf(LF);
      const head = newline < 0 ? undefined : Buffer.concat([carry, chunk.subarray(0, newline + 1)]);
      const completed = head && !first ? parse(head, false, line) : undefined;
      if (head && completed && completed.consumed === head.length) {
        line += completed.lines;
        if (completed.records.length > 0) yield completed.records;
        carry = undefined;
        data = chunk.subarray(newline + 1);
      } else {
        data = Buffer.concat([carry, chunk]);
      }
    }
    if (first) {
      // The byte order mark may come split over the first chunks.
      const prefix = Math.min(3, data.length);
      const bom = UTF8_BOM.slice(0, prefix).every((b, k) => data[k] === b);
      if (bom && data.length < 3) {
        carry = Buffer.from(data);
        continue;
      }
      first = false;
      if (bom) data = data.subarray(3);
    }
    const { records, consumed, lines } = parse(data, false, line);
    line += lines;
    carry = consumed < data.length ? Buffer.from(data.subarray(consumed)) : undefined;
    if (records.length > 0) yield records;
  }
  if (carry && carry.length > 0) {
    const { records } = parse(carry, true, line);
    if (records.length > 0) yield records;
  }
}

/**
 * The complete records in `data` and how many bytes they took; with `final`, the rest is a record too (the file's
 * last line without a newline), and an open quote is an error.
 */
function parse(data: Buffer, final: boolean, firstLine: number): { records: string[][]; consumed: number; lines: number } {
  // Buffer's own slicers (on every Buffer, not in Node's typings) skip toString's argument handling, per field.
  const slicer = data as unknown as { latin1Slice(s: number, e: number): string; utf8Slice(s: number, e: number): string };
  const decode = isAscii(data) ? (s: number, e: number) => slicer.latin1Slice(s, e) : (s: number, e: number) => slicer.utf8Slice(s, e);
  const records: string[][] = [];
  const end = data.length;
  let fields: string[] = [];
  let recordStart = 0;
  let lines = 0;
  let i = 0;
  let fieldStart = 0;
  while (i <= end) {
    // At the start of a field.
    if (i < end && data[i] === QUOTE) {
      // Quoted: up to the closing quote ("" is a quote inside).
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const q = data.indexOf(QUOTE, j);
        if (q < 0) {
          if (!final) return { records, consumed: recordStart, lines };
          throw new CsvSyntaxError(`unterminated quoted field starting at line ${firstLine + lines}`);
        }
        if (q + 1 < end && data[q + 1] === QUOTE) {
          escaped = true;
          j = q + 2;
          continue;
        }
        if (q + 1 >= end && !final) return { records, consumed: recordStart, lines };
        const text = decode(i + 1, q);
        fields.push(escaped ? text.replace(/""/g, '"') : text);
        for (let k = i; k < q; k++) if (data[k] === LF) lines++;
        i = q + 1;
        break;
      }
      const next = i < end ? data[i] : -1;
      if (next === COMMA) {
        i++;
        fieldStart = i;
        continue;
      }
      if (next === LF || (next === CR && data[i + 1] === LF) || next === -1) {
        if (next === -1 && !final) return { records, consumed: recordStart, lines };
        records.push(fields);
        fields = [];
        i += next === CR ? 2 : next === LF ? 1 : 1;
        lines++;
        recordStart = i;
        fieldStart = i;
        continue;
      }
      if (next === CR && i + 1 >= end && !final) return { records, consumed: recordStart, lines };
      throw new CsvSyntaxError(`invalid closing quote at line ${firstLine + lines}: ${JSON.stringify(String.fromCharCode(next))} follows it instead of a separator or the end of the line`);
    }
    // Unquoted: up to the next separator or line end.
    let j = i;
    while (j < end) {
      const c = data[j];
      if (c === COMMA || c === LF) break;
      if (c === QUOTE) throw new CsvSyntaxError(`a quote inside an unquoted field at line ${firstLine + lines} (quote the whole field and write a quote as "")`);
      j++;
    }
    if (j >= end && !final) return { records, consumed: recordStart, lines };
    const c = j < end ? data[j] : LF;
    const fieldEnd = c === LF && j > fieldStart && data[j - 1] === CR ? j - 1 : j;
    if (c === COMMA) {
      fields.push(decode(fieldStart, fieldEnd));
      i = j + 1;
      fieldStart = i;
      continue;
    }
    // End of the line (or of the data): an empty line is skipped.
    if (fields.length > 0 || fieldEnd > fieldStart) {
      fields.push(decode(fieldStart, fieldEnd));
      records.push(fields);
      fields = [];
    }
    if (j >= end) return { records, consumed: end, lines };
    lines++;
    i = j + 1;
    recordStart = i;
    fieldStart = i;
    if (i === end) return { records, consumed: end, lines };
  }
  return { records, consumed: recordStart, lines };
}
