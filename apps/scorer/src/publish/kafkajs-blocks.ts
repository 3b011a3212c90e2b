import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { crc32c } from './crc32c';
import type { RecordBlock } from './records';

/*
 * kafkajs sends what the scorer built as record bytes (records.ts). kafkajs 2.2.4 is unmaintained and pinned, so its
 * internals do not move: a produce request whose partitions each carry one "block carrier" message is encoded here, as
 * the record batch (v2) the broker expects, instead of by kafkajs' per-record encoder. Everything else stays kafkajs':
 * connections, SASL, metadata, transactions, retries. The hook is on the Produce request's version lookup, which
 * kafkajs consults on every send, so it works whatever was loaded first; a request without carriers is kafkajs' own.
 *
 * Sequence numbers: kafkajs counts one per message it was given, i.e. one per carrier. The broker expects them to
 * advance by the records of each batch, so the carrier keeps its own per-partition count (SequenceBook), assigned when
 * a batch is first encoded and reused when kafkajs retries the same request: a retried batch carries the same
 * sequence, which is what lets the broker drop a duplicate.
 */

const BLOCK = Symbol('record block');
const gzip = promisify(gzipCallback);

/** kafkajs' Long (a bigint inside). */
interface Long {
  value?: bigint;
  toString(): string;
}

/** Per producer id, epoch and partition: the next sequence number. A new producer id or epoch starts at 0. */
export class SequenceBook {
  private readonly next = new Map<string, number>();

  take(producerId: Long, epoch: number, topic: string, partition: number, count: number): number {
    const key = `${producerId.toString()}/${epoch}/${topic}/${partition}`;
    const first = this.next.get(key) ?? 0;
    // Sequences wrap at the int32 maximum, as the broker expects.
    this.next.set(key, (first + count) % 0x7fffffff);
    return first;
  }
}

interface Encoded {
  producer: string;
  /** The 61-byte batch header, then the records (the block's own bytes, or their gzip). */
  parts: [Buffer, Buffer];
}

/** One partition's records for one send, in the shape of a kafkajs message (value null, explicit partition). */
export interface BlockCarrier {
  key: null;
  value: null;
  partition: number;
  [BLOCK]: { block: RecordBlock; sequences: SequenceBook; encoded?: Encoded };
}

export function blockCarrier(block: RecordBlock, partition: number, sequences: SequenceBook): BlockCarrier {
  return { key: null, value: null, partition, [BLOCK]: { block, sequences } };
}

export type Compression = 'none' | 'gzip';
const CODEC: Record<Compression, number> = { none: 0, gzip: 1 };
const TRANSACTIONAL = 0x10;

interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: Long;
  producerEpoch?: number;
  compression?: number;
  topicData: Array<{ topic: string; partitions: Array<{ partition: number; messages: unknown[] }> }>;
}

/** CRC-32C of byte ranges back to back, without joining them. */
function crc32cOf(parts: Buffer[]): number {
  let crc = 0;
  for (const part of parts) crc = crc32c(part, 0, part.length, crc);
  return crc;
}

/**
 * One record batch (magic 2) holding a block: the 61-byte header, then the records (gzip'd when asked). Encoded once per
 * producer id and epoch, so a retry sends the same bytes with the same sequence.
 */
export async function recordBatch(
  carrier: BlockCarrier,
  options: { producerId: Long; producerEpoch: number; transactional: boolean; compression: Compression; topic: string; now?: number },
): Promise<[Buffer, Buffer]> {
  const state = carrier[BLOCK];
  const producer = `${options.producerId.toString()}/${options.producerEpoch}`;
  if (state.encoded?.producer === producer) return state.encoded.parts;
  const { block } = state;
  const records = options.compression === 'gzip' ? await gzip(block.bytes) : block.bytes;
  const sequence = state.sequences.take(options.producerId, options.producerEpoch, options.topic, carrier.partition, block.count);
  const now = BigInt(options.now ?? Date.now());
  const batch = Buffer.allocUnsafe(61);
  batch.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
  batch.writeInt32BE(49 + records.length, 8); // batch length: what follows this field
  batch.writeInt32BE(0, 12); // partition leader epoch: set by the broker
  batch.writeInt8(2, 16); // magic
  batch.writeInt16BE(CODEC[options.compression] | (options.transactional ? TRANSACTIONAL : 0), 21);
  batch.writeInt32BE(block.count - 1, 23); // last offset delta
  batch.writeBigInt64BE(now, 27); // first timestamp
  batch.writeBigInt64BE(now, 35); // max timestamp
  batch.writeBigInt64BE(options.producerId.value ?? BigInt(options.producerId.toString()), 43);
  batch.writeInt16BE(options.producerEpoch, 51);
  batch.writeInt32BE(sequence, 53);
  batch.writeInt32BE(block.count, 57);
  batch.writeUInt32BE(crc32cOf([batch.subarray(21), records]), 17); // CRC-32C of everything after the CRC field
  state.encoded = { producer, parts: [batch, records] };
  return state.encoded.parts;
}

const isCarrier = (message: unknown): message is BlockCarrier => typeof message === 'object' && message !== null && BLOCK in message;

/** The Produce request body (v3 to v7 share it) for partitions that each carry one block, as parts to join once. */
async function encodeProduceBody(args: ProduceArgs, compression: Compression): Promise<Buffer[]> {
  const producerId = args.producerId ?? { value: -1n, toString: () => '-1' };
  const transactional = args.transactionalId != null;
  const parts: Buffer[] = [];
  const head = Buffer.allocUnsafe(2 + 2 + 4 + 4);
  let at = 0;
  if (transactional) {
    const id = Buffer.from(args.transactionalId!);
    head.writeInt16BE(id.length, 0);
    parts.push(head.subarray(0, 2), id);
  } else {
    head.writeInt16BE(-1, 0);
    parts.push(head.subarray(0, 2));
  }
  at = 2;
  head.writeInt16BE(args.acks, at);
  head.writeInt32BE(args.timeout, at + 2);
  head.writeInt32BE(args.topicData.length, at + 6);
  parts.push(head.subarray(at, at + 10));
  for (const { topic, partitions } of args.topicData) {
    const name = Buffer.from(topic);
    const topicHead = Buffer.allocUnsafe(2 + name.length + 4);
    topicHead.writeInt16BE(name.length, 0);
    name.copy(topicHead, 2);
    topicHead.writeInt32BE(partitions.length, 2 + name.length);
    parts.push(topicHead);
    for (const { partition, messages } of partitions) {
      const carrier = messages[0];
      if (messages.length !== 1 || !isCarrier(carrier)) throw new Error(`partition ${topic}/${partition} mixes record blocks with other messages`);
      const [header, records] = await recordBatch(carrier, { producerId, producerEpoch: args.producerEpoch ?? 0, transactional, compression, topic });
      const partitionHead = Buffer.allocUnsafe(8);
      partitionHead.writeInt32BE(partition, 0);
      partitionHead.writeInt32BE(header.length + records.length, 4);
      parts.push(partitionHead, header, records);
    }
  }
  return parts;
}

interface ProduceDefinitions {
  versions: string[];
  protocol: (options: { version: number }) => (args: ProduceArgs) => { request: { encode: () => Promise<unknown> }; response: unknown };
  [BLOCK]?: true;
}

const KAFKAJS_CODEC: Record<number, Compression> = { 0: 'none', 1: 'gzip' };

/**
 * The body in the shape of a kafkajs Encoder, which kafkajs only reads (`buf` is checked, `buffer` copied once into
 * the request): a real Encoder would zero-fill and copy the ~1 MB body once more.
 */
const encoded = (body: Buffer) => ({ buf: body, buffer: body, size: () => body.length });

/** Makes kafkajs encode produce requests of block carriers with `recordBatch`. Idempotent. */
export function installBlockProduce(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const produce = require('kafkajs/src/protocol/requests/produce') as ProduceDefinitions;
  if (produce[BLOCK]) return;
  const original = produce.protocol;
  produce.protocol = ({ version }) => {
    const standard = original({ version });
    return (args) => {
      const first = args.topicData[0]?.partitions[0]?.messages[0];
      if (!isCarrier(first)) return standard(args);
      if (version < 3) throw new Error(`the broker offers Produce v${version}; record batches with transactions need v3 or later`);
      const compression = KAFKAJS_CODEC[args.compression ?? 0];
      if (!compression) throw new Error(`compression codec ${args.compression} is not supported for record blocks`);
      const built = standard({ ...args, topicData: [] });
      return {
        ...built,
        request: { ...built.request, encode: async () => encoded(Buffer.concat(await encodeProduceBody(args, compression))) },
      };
    };
  };
  produce[BLOCK] = true;
}
