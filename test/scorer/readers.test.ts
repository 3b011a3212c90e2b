import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../apps/scorer/src/errors';
import { InputRow, listInputFiles, readFile } from '../../apps/scorer/src/input';
import type { ColumnarOptions } from '../../apps/scorer/src/input/read-files';
import { REPO_ROOT } from './support/contract-validator';
import { folderWith } from './support/files';

const PARQUET = readFileSync(path.join(REPO_ROOT, 'test/scorer/fixtures/rows.parquet'));
// customer_id stored as plain bytes: row 1 "u1", row 2 "u" 0xff "2" (not UTF-8), row 3 "u3" + a genuine U+FFFD.
const INVALID_UTF8_PARQUET = readFileSync(path.join(REPO_ROOT, 'test/scorer/fixtures/invalid-utf8.parquet'));
// Three INT64 columns (pyarrow): customer_id [2^53 + 1, 2, 3, 4], tenure_months [2^53 + 1, null, 7, 7] dictionary-encoded,
// num_products [1, 2, 3, 1] plain.
const INT64_PARQUET = readFileSync(path.join(REPO_ROOT, 'test/scorer/fixtures/int64.parquet'));
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const noS3 = () => {
  throw new Error('no S3 in unit tests');
};

async function readAll(dir: string, columns: string[] = [], options: ColumnarOptions = {}): Promise<{ source: string; rows: InputRow[] }[]> {
  const { files } = await listInputFiles(dir, noS3);
  const out: { source: string; rows: InputRow[] }[] = [];
  for (const file of files) {
    const rows: InputRow[] = [];
    for await (const batch of readFile(file, columns, options)) rows.push(...batch.rows);
    out.push({ source: path.basename(file.uri), rows });
  }
  return out;
}

describe('input readers', () => {
  it('lists data files in a stable order, skips marker files and names the files it cannot read', async () => {
    const dir = folderWith({
      'b.csv': 'a\n1\n',
      'a.jsonl': '{}\n',
      'c.parquet': PARQUET,
      'd.csv.gz': gzipSync('a\n1\n'),
      'e.ndjson.GZ': gzipSync('{}\n'),
      'notes.txt': 'x',
      'f.parquet.gz': gzipSync(PARQUET),
      '_SUCCESS': '',
      '.b.csv.crc': 'x',
    });
    mkdirSync(path.join(dir, '_temporary'));
    writeFileSync(path.join(dir, '_temporary', 'part-9.csv'), 'a\n1\n');
    const listing = await listInputFiles(dir, noS3);
    expect(listing.files.map((f) => [path.basename(f.uri), f.format, f.gzip])).toEqual([
      ['a.jsonl', 'jsonl', false],
      ['b.csv', 'csv', false],
      ['c.parquet', 'parquet', false],
      ['d.csv.gz', 'csv', true],
      ['e.ndjson.GZ', 'jsonl', true],
    ]);
    expect(listing.skipped.map((f) => path.relative(dir, f)).sort()).toEqual(['.b.csv.crc', '_SUCCESS', path.join('_temporary', 'part-9.csv')]);
    expect(listing.unsupported.map((f) => [path.basename(f.uri), f.reason])).toEqual([
      ['f.parquet.gz', expect.stringMatching(/gzip-compressed Parquet is not supported/)],
      ['notes.txt', expect.stringMatching(/unsupported file type: the scorer reads \.csv, \.jsonl or \.ndjson \(each optionally \.gz\) and \.parquet/)],
    ]);
  });

  it('reads a file named as the input path itself, whatever its name, and still names one it cannot read', async () => {
    const dir = folderWith({ '_export.csv': 'a\n1\n', 'notes.txt': 'x' });
    expect((await listInputFiles(path.join(dir, '_export.csv'), noS3)).files.map((f) => f.format)).toEqual(['csv']);
    expect((await listInputFiles(path.join(dir, 'notes.txt'), noS3)).unsupported).toHaveLength(1);
  });

  it('reads gzip-compressed CSV and JSON Lines like the uncompressed files', async () => {
    const csv = 'customer_id,plan\nc1,basic\nc2,premium\n';
    const jsonl = '{"customer_id":"j1"}\n{"customer_id":"j2"}\n';
    const dir = folderWith({ 'a.csv.gz': gzipSync(csv), 'b.jsonl.gz': gzipSync(jsonl), 'plain.csv': csv });
    const read = await readAll(dir);
    expect(read.map((f) => [f.source, f.rows.map((r) => r.values?.customer_id)])).toEqual([
      ['a.csv.gz', ['c1', 'c2']],
      ['b.jsonl.gz', ['j1', 'j2']],
      ['plain.csv', ['c1', 'c2']],
    ]);
  });

  it.each([
    ['not gzip at all', Buffer.from('customer_id\nc1\n')],
    ['cut short', gzipSync('customer_id\n' + Array.from({ length: 10_000 }, (_, i) => `c${i * 7919}`).join('\n')).subarray(0, 2_000)],
  ])('fails a .gz file that is %s, naming the file and the compression', async (_, content) => {
    const error = await readAll(folderWith({ 'broken.csv.gz': content })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/broken\.csv\.gz: .*not a valid gzip file/);
  });

  it('fails an unreadable file with an error naming it instead of waiting forever', async () => {
    const dir = folderWith({ 'gone.jsonl': '{}\n', 'gone.csv': 'a\n1\n' });
    const { files } = await listInputFiles(dir, noS3);
    for (const file of files) {
      const unreadable = { ...file, openStream: async () => require('node:fs').createReadStream(path.join(dir, 'no-such-file')) };
      const error = await (async () => {
        for await (const _ of readFile(unreadable, [])) void _;
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toMatch(new RegExp(`${path.basename(file.uri).replace('.', '\\.')}: .*ENOENT`));
    }
  });

  it('reads CSV rows as header-keyed values and rejects a ragged row alone, keeping the rows around it', async () => {
    const dir = folderWith({ 'in.csv': 'customer_id,plan\nc1,basic\nc2,premium,extra\n\nc3,"standard, old"\n' });
    const [{ rows }] = await readAll(dir);
    expect(rows).toEqual([
      { row: 1, values: { customer_id: 'c1', plan: 'basic' } },
      { row: 2, error: 'ragged CSV row: 3 fields, header has 2', raw: '["c2","premium","extra"]' },
      { row: 3, values: { customer_id: 'c3', plan: 'standard, old' } },
    ]);
  });

  it('fails a CSV file the parser cannot continue, naming the file and the last good row', async () => {
    const dir = folderWith({ 'broken.csv': 'customer_id,plan\nc1,basic\nc2,"unterminated\n' });
    const error = await readAll(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/broken\.csv: CSV could not be parsed after data row 1/);
  });

  it('reads JSON Lines with line numbers and rejects a line that is not a JSON object', async () => {
    const dir = folderWith({ 'in.jsonl': '{"customer_id":"c1"}\n\n[1,2]\n{broken\n{"customer_id":"c4"}' });
    const [{ rows }] = await readAll(dir);
    expect(rows.map((r) => [r.row, r.values?.customer_id ?? r.error?.split(':')[0]])).toEqual([
      [1, 'c1'],
      [3, 'line is not a JSON object'],
      [4, 'invalid JSON'],
      [5, 'c4'],
    ]);
  });

  it('reads Parquet row group by row group, only the wanted columns, with 1-based row numbers', async () => {
    const dir = folderWith({ 'in.parquet': PARQUET });
    const [{ rows }] = await readAll(dir, ['customer_id', 'tenure_months', 'plan', 'not_in_file']);
    expect(rows.map((r) => r.row)).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0].values).toEqual({ customer_id: 'c1', tenure_months: 1n, plan: 'basic' });
    expect(rows[1].values).toEqual({ customer_id: 'c2', tenure_months: null, plan: 'premium' });
  });

  it('reads 64-bit integer features as numbers when asked (plain and dictionary pages, nulls kept) and the entity id exactly', async () => {
    const dir = folderWith({ 'in.parquet': INT64_PARQUET });
    const columns = ['customer_id', 'tenure_months', 'num_products'];
    const [{ rows }] = await readAll(dir, columns, { int64AsNumber: ['tenure_months', 'num_products'] });
    expect(rows.map((r) => r.values)).toEqual([
      { customer_id: 9007199254740993n, tenure_months: 9007199254740992, num_products: 1 },
      { customer_id: 2n, tenure_months: null, num_products: 2 },
      { customer_id: 3n, tenure_months: 7, num_products: 3 },
      { customer_id: 4n, tenure_months: 7, num_products: 1 },
    ]);
    // Positive control: without the option every INT64 column is read as BigInts.
    const [{ rows: exact }] = await readAll(dir, columns);
    expect(exact[0].values).toEqual({ customer_id: 9007199254740993n, tenure_months: 9007199254740993n, num_products: 1n });
  });

  it('rejects a CSV row with bytes that are not UTF-8, naming the column, and keeps the rows around it', async () => {
    const dir = folderWith({ 'in.csv': bytes('customer_id,plan\nc1,basic\nc', [0xff], '2,basic\nc3,pr', [0xc3], 'emium\nc4,standard\n') });
    const [{ rows }] = await readAll(dir);
    expect(rows).toEqual([
      { row: 1, values: { customer_id: 'c1', plan: 'basic' } },
      { row: 2, error: 'invalid UTF-8 in column "customer_id": the row is rejected rather than published altered' },
      { row: 3, error: 'invalid UTF-8 in column "plan": the row is rejected rather than published altered' },
      { row: 4, values: { customer_id: 'c4', plan: 'standard' } },
    ]);
  });

  it('keeps a genuine U+FFFD in a CSV file that is valid UTF-8, even when a multi-byte character spans two chunks', async () => {
    // The header is 17 bytes: "é" (2 bytes) starts at byte 65,535, across the 64 KiB chunks of a file stream.
    const content = `customer_id,plan\n${'x'.repeat(65_536 - 17 - 1)}\u00e9,basic\nc\uFFFD2,basic\n`;
    const [{ rows }] = await readAll(folderWith({ 'in.csv': content }));
    expect(rows.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(rows[1].values).toEqual({ customer_id: 'c\uFFFD2', plan: 'basic' });
  });

  it('rejects a JSON line with bytes that are not UTF-8, showing where they are', async () => {
    const dir = folderWith({ 'in.jsonl': bytes('{"customer_id":"j1"}\r\n{"customer_id":"j', [0xe2, 0x28, 0xa1], '"}\n{"customer_id":"j3"}') });
    const [{ rows }] = await readAll(dir);
    expect(rows).toEqual([
      { row: 1, values: { customer_id: 'j1' } },
      { row: 2, error: 'line is not valid UTF-8 (byte 18: e2 28 a1 22 7d): the row is rejected rather than published altered' },
      { row: 3, values: { customer_id: 'j3' } },
    ]);
  });

  it('rejects a Parquet row whose string bytes are not UTF-8 and keeps a genuine U+FFFD', async () => {
    const [{ rows }] = await readAll(folderWith({ 'in.parquet': INVALID_UTF8_PARQUET }), ['customer_id', 'plan']);
    expect(rows).toEqual([
      { row: 1, values: { customer_id: 'u1', plan: 'basic' } },
      { row: 2, error: 'invalid UTF-8 in column "customer_id" (byte 2: ff 32): the row is rejected rather than published altered' },
      { row: 3, values: { customer_id: 'u3\uFFFD', plan: 'premium' } },
    ]);
  });

  it('carries the text of a row it could not parse, for the rejection', async () => {
    const [csv, jsonl] = await readAll(folderWith({ 'a.csv': 'customer_id,plan\nr1,"basic, old",extra\n', 'b.jsonl': '{broken\n' }));
    expect(csv.rows[0]).toMatchObject({ row: 1, raw: '["r1","basic, old","extra"]' });
    expect(jsonl.rows[0]).toMatchObject({ row: 1, raw: '{broken' });
  });

  it('fails a truncated Parquet file with an error naming it', async () => {
    const dir = folderWith({ 'cut.parquet': PARQUET.subarray(0, PARQUET.length - 100) });
    const error = await readAll(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/cut\.parquet: not a readable Parquet file/);
  });
});
