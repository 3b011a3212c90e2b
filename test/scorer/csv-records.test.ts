import { parse } from 'csv-parse/sync';
import { Readable } from 'node:stream';
import { CsvSyntaxError, csvRecords } from '../../apps/scorer/src/input/csv-records';

/** All records of `text`, fed in chunks of `size` bytes (every split point is a chunk boundary somewhere). */
async function records(text: string | Buffer, size = 1 << 16): Promise<string[][]> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const out: string[][] = [];
  for await (const batch of csvRecords(Readable.from(chunks))) out.push(...batch);
  return out;
}

const reference = (text: string) => parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];

describe('the CSV record parser', () => {
  const cases: Array<[string, string]> = [
    ['plain rows', 'a,b\n1,2\n3,4\n'],
    ['no newline at the end', 'a,b\n1,2'],
    ['CRLF line ends', 'a,b\r\n1,2\r\n3,4\r\n'],
    ['quoted separators, newlines and quotes', 'a,b\n"x, y","line 1\nline 2"\n"say ""hi""",""\n'],
    ['empty lines and empty fields', '\na,b,c\n\n,,\n1,,3\n\n'],
    ['a byte order mark', '\ufeffa,b\n1,2\n'],
    ['ragged rows', 'a,b\n1,2,3\n4\n'],
    ['non-ASCII text', 'name,city\nJosé,Zürich\n"Ωμέγα, 😀",東京\n'],
    ['spaces kept', 'a,b\n 1 , 2 \n'],
  ];

  it.each(cases)('reads %s as csv-parse does, whatever the chunk boundaries', async (_, text) => {
    const expected = reference(text);
    for (const size of [1, 2, 3, 5, 7, 64, 1 << 16]) expect([size, await records(text, size)]).toEqual([size, expected]);
  });

  it.each([
    ['an unterminated quote', 'a,b\n1,"open\n', /unterminated quoted field/],
    ['a quote inside an unquoted field', 'a,b\n1,x"y\n', /a quote inside an unquoted field at line 2/],
    ['text after a closing quote', 'a,b\n1,"x"y\n', /invalid closing quote at line 2/],
  ])('refuses %s, as csv-parse does', async (_, text, message) => {
    expect(() => reference(text)).toThrow();
    for (const size of [1, 4, 1 << 16]) await expect(records(text, size)).rejects.toThrow(message);
    await expect(records(text)).rejects.toBeInstanceOf(CsvSyntaxError);
  });

  it('decodes bytes that are not UTF-8 as U+FFFD, for the reader to reject the row', async () => {
    expect(await records(Buffer.concat([Buffer.from('a\nx'), Buffer.from([0xff]), Buffer.from('y\n')]), 2)).toEqual([['a'], ['x\ufffdy']]);
  });
});
