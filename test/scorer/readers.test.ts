import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../apps/scorer/src/errors';
import { InputRow, listInputFiles, readFile } from '../../apps/scorer/src/input';
import { REPO_ROOT } from './support/contract-validator';
import { folderWith } from './support/files';

const PARQUET = readFileSync(path.join(REPO_ROOT, 'test/scorer/fixtures/rows.parquet'));
const noS3 = () => {
  throw new Error('no S3 in unit tests');
};

async function readAll(dir: string, columns: string[] = []): Promise<{ source: string; rows: InputRow[] }[]> {
  const { files } = await listInputFiles(dir, noS3);
  const out: { source: string; rows: InputRow[] }[] = [];
  for (const file of files) {
    const rows: InputRow[] = [];
    for await (const batch of readFile(file, columns)) rows.push(...batch.rows);
    out.push({ source: path.basename(file.uri), rows });
  }
  return out;
}

describe('input readers', () => {
  it('lists .csv, .jsonl and .parquet files in a stable order and reports the others as ignored', async () => {
    const dir = folderWith({ 'b.csv': 'a\n1\n', 'a.jsonl': '{}\n', 'c.parquet': PARQUET, 'notes.txt': 'x', '_SUCCESS': '' });
    const { files, ignored } = await listInputFiles(dir, noS3);
    expect(files.map((f) => [path.basename(f.uri), f.format])).toEqual([['a.jsonl', 'jsonl'], ['b.csv', 'csv'], ['c.parquet', 'parquet']]);
    expect(ignored.map((f) => path.basename(f)).sort()).toEqual(['_SUCCESS', 'notes.txt']);
  });

  it('reads CSV rows as header-keyed values and rejects a ragged row alone, keeping the rows around it', async () => {
    const dir = folderWith({ 'in.csv': 'customer_id,plan\nc1,basic\nc2,premium,extra\n\nc3,"standard, old"\n' });
    const [{ rows }] = await readAll(dir);
    expect(rows).toEqual([
      { row: 1, values: { customer_id: 'c1', plan: 'basic' } },
      { row: 2, error: 'ragged CSV row: 3 fields, header has 2' },
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

  it('fails a truncated Parquet file with an error naming it', async () => {
    const dir = folderWith({ 'cut.parquet': PARQUET.subarray(0, PARQUET.length - 100) });
    const error = await readAll(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/cut\.parquet: not a readable Parquet file/);
  });
});
