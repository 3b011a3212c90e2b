import { InputError } from '../errors';
import { REPLACEMENT_CHARACTER, Utf8Check, openBytes } from './bytes';
import { csvRecords } from './csv-records';
import { InputFile, InputRow, ROWS_PER_BATCH, RowBatch } from './types';

/**
 * Streams a CSV file with a header row. A row with the wrong number of fields is rejected on its own (with its
 * row number) rather than failing the file; a syntax error the parser cannot recover from (an unclosed quote) fails the file.
 *
 * Bytes that are not UTF-8 reject their row: the parser decodes them as U+FFFD, so once the stream has shown invalid
 * bytes, a field holding U+FFFD is treated as altered (a genuine U+FFFD in a file that is otherwise valid UTF-8 is kept).
 */
export async function* readCsv(file: InputFile): AsyncGenerator<RowBatch> {
  const utf8 = new Utf8Check();
  const bytes = await openBytes(file, utf8.stream());
  let header: string[] | undefined;
  let rows: InputRow[] = [];
  let row = 0;
  try {
    for await (const records of csvRecords(bytes)) {
      for (const record of records) {
        if (!header) {
          header = record.map((name) => name.trim());
          continue;
        }
        row++;
        const altered = utf8.valid ? -1 : record.findIndex((field) => field.includes(REPLACEMENT_CHARACTER));
        if (altered >= 0) {
          rows.push({ row, error: `invalid UTF-8 in column "${header[altered] ?? altered + 1}": the row is rejected rather than published altered` });
        } else if (record.length !== header.length) {
          rows.push({ row, error: `ragged CSV row: ${record.length} fields, header has ${header.length}`, raw: JSON.stringify(record) });
        } else {
          const values: Record<string, unknown> = {};
          for (let i = 0; i < header.length; i++) values[header[i]] = record[i];
          rows.push({ row, values });
        }
        if (rows.length >= ROWS_PER_BATCH) {
          yield { source: file.uri, rows };
          rows = [];
        }
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(file.uri, `CSV could not be parsed after data row ${row}: ${(error as Error).message}`, error);
  }
  if (rows.length > 0) yield { source: file.uri, rows };
}
