import { parquetMetadataAsync, parquetRead, asyncBufferFromFile } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import fs from 'node:fs';
const dir = '/work/wt/scorer-reliability/.local/bench/scorer/1000000-parquet-4/data/';
const hack = process.argv[2] === 'hack';
let sink = 0;
const t0 = performance.now();
for (const f of fs.readdirSync(dir).sort()) {
  const file = await asyncBufferFromFile(dir + f);
  const metadata = await parquetMetadataAsync(file);
  if (hack) for (const el of metadata.schema) if (el.type === 'INT64' && !el.converted_type && !el.logical_type && el.name !== 'customer_id') { el.converted_type = 'DECIMAL'; el.scale = 0; }
  let rowStart = 0;
  for (const g of metadata.row_groups) {
    const rowEnd = rowStart + Number(g.num_rows);
    await parquetRead({ file, metadata, rowStart, rowEnd, compressors, onChunk: ({ columnData }) => { sink += columnData.length; } });
    rowStart = rowEnd;
  }
}
console.log(hack ? 'hack' : 'base', (performance.now() - t0).toFixed(0), 'ms', sink);
