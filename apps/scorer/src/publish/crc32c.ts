/**
 * CRC-32C (Castagnoli), the checksum of Kafka's record batches, computed 8 bytes per step ("slicing by 8").
 * kafkajs checks one byte per step; on a run's ~300 MB of records this is several times faster, and Node has no
 * native CRC-32C.
 */
const TABLES = buildTables();

function buildTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    tables[0][n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[0][n];
    for (let t = 1; t < 8; t++) {
      c = tables[0][c & 0xff] ^ (c >>> 8);
      tables[t][n] = c;
    }
  }
  return tables;
}

/** CRC-32C of `data[start, end)`, continuing from `previous` (the CRC of the bytes before, 0 for none). */
export function crc32c(data: Uint8Array, start = 0, end = data.length, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~previous;
  let i = start;
  const stop8 = end - ((end - start) & 7);
  while (i < stop8) {
    const a = crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24));
    crc =
      t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[data[i + 4]] ^ t2[data[i + 5]] ^ t1[data[i + 6]] ^ t0[data[i + 7]];
    i += 8;
  }
  while (i < end) crc = t0[(crc ^ data[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
