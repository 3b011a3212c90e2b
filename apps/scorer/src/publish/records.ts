import { murmur2 } from './partitioner';

/**
 * Kafka records (message format v2) built as bytes as the messages are published, one block per partition, so that a
 * produce request is the blocks plus a 61-byte batch header each. kafkajs would build every record as a tree of small
 * Buffers on each send; that was most of the scorer's CPU time (docs in apps/scorer/README.md).
 *
 * A record: varint length, int8 attributes, varlong timestamp delta, varint offset delta, varint key length + key,
 * varint value length + value, varint header count + headers. Timestamp deltas are 0 (the batch's timestamp is taken
 * when it is sent, as kafkajs does for messages without a timestamp); offset deltas count from 0 in each block.
 */
export class RecordBlock {
  buffer: Buffer;
  /** Bytes used. */
  length = 0;
  /** Records in the block. */
  count = 0;

  constructor(capacity = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** The records, back to back, as the batch carries them uncompressed. */
  get bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** Appends a record: key bytes from `keySource[0, keyLength)` (keyLength -1: null key), value as UTF-8, headers pre-encoded. */
  append(keySource: Buffer, keyLength: number, value: string, valueLength: number, headers: EncodedHeaders): void {
    this.appendWritten(keySource, keyLength, valueLength, (target, at) => at + target.write(value, at, valueLength, 'utf8'), headers);
  }

  /**
   * Appends a record whose value `write` puts in place (at most `maxValue` bytes): the value is written where a
   * record with the longest length prefixes would put it, then moved to where the real prefixes end.
   */
  appendWritten(keySource: Buffer, keyLength: number, maxValue: number, write: (target: Buffer, at: number) => number, headers: EncodedHeaders): void {
    const offsetDelta = this.count;
    const keyPart = keyLength < 0 ? 1 : varintSize(keyLength) + keyLength;
    const before = 2 + varintSize(offsetDelta) + keyPart; // attributes, timestamp delta, offset delta, key
    this.reserve(5 + before + 5 + maxValue + headers.bytes.length);
    const buffer = this.buffer;
    const start = this.length;
    const provisional = start + 5 + before + 5;
    const valueEnd = write(buffer, provisional);
    const valueLength = valueEnd - provisional;
    const body = before + varintSize(valueLength) + valueLength + headers.bytes.length;
    let at = writeVarint(buffer, start, body);
    buffer[at++] = 0;
    buffer[at++] = 0;
    at = writeVarint(buffer, at, offsetDelta);
    at = writeVarint(buffer, at, keyLength);
    if (keyLength > 0) at += keySource.copy(buffer, at, 0, keyLength);
    at = writeVarint(buffer, at, valueLength);
    if (at !== provisional) buffer.copyWithin(at, provisional, valueEnd);
    at += valueLength;
    at += headers.bytes.copy(buffer, at);
    this.length = at;
    this.count++;
  }

  /** Empties the block for reuse (its buffer is kept). */
  clear(): void {
    this.length = 0;
    this.count = 0;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** A headers object in record form (count, then each key and value with their lengths), built once per run. */
export interface EncodedHeaders {
  bytes: Buffer;
}

export function encodeHeaders(headers: Record<string, string>): EncodedHeaders {
  const entries = Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const);
  const size = entries.reduce((sum, [k, v]) => sum + varintSize(k.length) + k.length + varintSize(v.length) + v.length, varintSize(entries.length));
  const bytes = Buffer.allocUnsafe(size);
  let at = writeVarint(bytes, 0, entries.length);
  for (const [k, v] of entries) {
    at = writeVarint(bytes, at, k.length);
    at += k.copy(bytes, at);
    at = writeVarint(bytes, at, v.length);
    at += v.copy(bytes, at);
  }
  return { bytes };
}

/** Bytes of a zigzag varint (Kafka's signed varint) holding `n`. */
export function varintSize(n: number): number {
  const z = ((n << 1) ^ (n >> 31)) >>> 0;
  return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5;
}

export function writeVarint(buffer: Buffer, at: number, n: number): number {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  while (z >= 0x80) {
    buffer[at++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buffer[at++] = z;
  return at;
}

/**
 * The records waiting for the next produce request: a block per topic and partition, filled with the partition a
 * record's key hashes to (murmur2, as the Java client and kafkajs' default partitioner choose), keyless records round
 * robin.
 */
export class PendingRecords {
  private readonly blocks = new Map<string, RecordBlock[]>();
  private keyScratch = Buffer.allocUnsafe(1024);
  private keyLength = -1;
  private readonly spare: RecordBlock[] = [];
  private roundRobin = Math.floor(Math.random() * 0x7fffffff);
  bytes = 0;
  count = 0;

  constructor(private readonly partitionCounts: ReadonlyMap<string, number>) {}

  add(topic: string, key: string | null, value: string, headers: EncodedHeaders): void {
    const block = this.blockFor(topic, key);
    const before = block.length;
    block.append(this.keyScratch, this.keyLength, value, Buffer.byteLength(value, 'utf8'), headers);
    this.bytes += block.length - before;
    this.count++;
  }

  /** The block of the partition `key` hashes to; leaves the key's bytes in keyScratch[0, keyLength) (-1: null key). */
  private blockFor(topic: string, key: string | null): RecordBlock {
    const partitions = this.partitionCounts.get(topic);
    if (partitions === undefined) throw new Error(`no partition count known for topic ${topic}`);
    let partition: number;
    if (key === null) {
      this.keyLength = -1;
      this.roundRobin = (this.roundRobin + 1) & 0x7fffffff;
      partition = this.roundRobin % partitions;
    } else {
      if (key.length * 3 > this.keyScratch.length) this.keyScratch = Buffer.allocUnsafe(Math.max(key.length * 3, this.keyScratch.length * 2));
      this.keyLength = this.keyScratch.write(key, 0, 'utf8');
      partition = (murmur2(this.keyScratch, this.keyLength) & 0x7fffffff) % partitions;
    }
    let blocks = this.blocks.get(topic);
    if (!blocks) this.blocks.set(topic, (blocks = []));
    return (blocks[partition] ??= this.spare.pop() ?? new RecordBlock());
  }

  /**
   * Takes blocks back once their send is over, to fill again: a block grows (by doubling) to the size of a
   * partition's share of a produce request, and regrowing fresh blocks for every request cost ~5% of the CPU time.
   */
  recycle(blocks: RecordBlock[]): void {
    for (const block of blocks) {
      block.clear();
      if (this.spare.length < 64) this.spare.push(block);
    }
  }

  /** Adds a record whose value is written as bytes (MessageBatch); returns the bytes it took. */
  addWritten(topic: string, key: string | null, maxValue: number, write: (target: Buffer, at: number) => number, headers: EncodedHeaders): number {
    const block = this.blockFor(topic, key);
    const before = block.length;
    block.appendWritten(this.keyScratch, this.keyLength, maxValue, write, headers);
    this.bytes += block.length - before;
    this.count++;
    return block.length - before;
  }

  /** The non-empty blocks, by topic and partition; the caller owns them from then on. */
  take(): Array<{ topic: string; partition: number; block: RecordBlock }> {
    const out: Array<{ topic: string; partition: number; block: RecordBlock }> = [];
    for (const [topic, blocks] of this.blocks) {
      blocks.forEach((block, partition) => {
        if (block && block.count > 0) out.push({ topic, partition, block });
      });
    }
    this.blocks.clear();
    this.bytes = 0;
    this.count = 0;
    return out;
  }
}
