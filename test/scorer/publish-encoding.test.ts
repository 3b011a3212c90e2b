import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { predictionBytesWriter, predictionMessage } from '../../apps/scorer/src/contract/message';
import { crc32c, crc32cJs } from '../../apps/scorer/src/publish/crc32c';
import { SequenceBook, blockCarrier, installBlockProduce } from '../../apps/scorer/src/publish/kafkajs-blocks';
import { KeyHashPartitioner, murmur2 } from '../../apps/scorer/src/publish/partitioner';
import { RecordBlock, encodeHeaders } from '../../apps/scorer/src/publish/records';

// kafkajs' own Long-based murmur2, the reference the fast one must match bit for bit.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const referenceMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer) => number;

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));

const keys = [
  '', 'a', 'ab', 'abc', 'abcd', 'C0000000042', 'entity-é-ß-😀',
  ...Array.from({ length: 2000 }, (_, i) => `C${String(i * 7919).padStart(10, '0')}${'x'.repeat(i % 5)}`),
];

describe('the key hash partitioner', () => {
  it('computes the same murmur2 hash as kafkajs (and the Java client) for every key length and non-ASCII keys', () => {
    for (const key of keys) expect([key, murmur2(Buffer.from(key))]).toEqual([key, referenceMurmur2(Buffer.from(key))]);
  });

  it('puts every keyed message on the partition kafkajs DefaultPartitioner chooses, for string and Buffer keys', () => {
    for (const partitions of [1, 3, 7, 12]) {
      const ours = KeyHashPartitioner();
      const reference = Partitioners.DefaultPartitioner();
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata: metadata(partitions), message: { key, value: 'v' } };
        const expected = reference(args);
        expect(ours(args)).toBe(expected);
        expect(ours({ ...args, message: { key: Buffer.from(key), value: 'v' } })).toBe(expected);
      }
    }
  });

  it('keeps an explicit partition and spreads keyless messages over the partitions that have a leader', () => {
    const partitioner = KeyHashPartitioner();
    const partitionMetadata = metadata(3).map((p) => (p.partitionId === 1 ? { ...p, leader: -1 } : p));
    expect(partitioner({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 2 } })).toBe(2);
    const chosen = new Set(Array.from({ length: 20 }, () => partitioner({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } })));
    expect([...chosen].sort()).toEqual([0, 2]);
  });
});

describe('record batches built from record blocks', () => {
  const Long = require('kafkajs/src/utils/long');
  const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request');
  const produceRequests = require('kafkajs/src/protocol/requests/produce');
  const headers = { 'schema-version': '1.2', 'model-name': 'churn', 'model-version': '3', 'run-id': 'r-é' };
  const messages = [
    { key: 'C1', value: '{"a":1}' },
    { key: 'ключ', value: 'x'.repeat(5000) },
    { key: null, value: '{"reason":"naïve 😀"}' },
    { key: '', value: '' },
    // Values whose length prefixes take 1, 2 and 3 bytes (written in place, then moved behind the real prefixes).
    { key: 'v1', value: 'é'.repeat(30) },
    { key: 'v2', value: 'y'.repeat(9000) },
    { key: 'v3', value: 'z'.repeat(70_000) },
  ];
  const NOW = 1_800_000_000_000;
  const args = { acks: -1, timeout: 30_000, transactionalId: 'scorer.t.0.1', producerId: Long.fromNumber(4711), producerEpoch: 3 };

  function block(): RecordBlock {
    const b = new RecordBlock(16);
    const encoded = encodeHeaders(headers);
    for (const m of messages) {
      const key = m.key === null ? Buffer.alloc(0) : Buffer.from(m.key);
      b.append(key, m.key === null ? -1 : key.length, m.value, Buffer.byteLength(m.value), encoded);
    }
    return b;
  }

  async function kafkajsBytes(compression: number, firstSequence: number): Promise<Buffer> {
    const topicData = [{ topic: 'p', partitions: [{ partition: 1, firstSequence, messages: messages.map((m) => ({ ...m, headers })) }] }];
    return (await produceV3({ ...args, compression, topicData }).encode()).buffer;
  }

  async function ourBytes(carrier: ReturnType<typeof blockCarrier>, compression: number): Promise<Buffer> {
    installBlockProduce();
    const { request } = produceRequests.protocol({ version: 3 })({ ...args, compression, topicData: [{ topic: 'p', partitions: [{ partition: 1, firstSequence: 99, messages: [carrier] }] }] });
    return (await request.encode()).buffer;
  }

  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
  afterEach(() => jest.restoreAllMocks());

  it.each([[0, 'uncompressed'], [1, 'gzip']])('are byte for byte the produce request kafkajs would build (%s, %s)', async (compression) => {
    expect(await ourBytes(blockCarrier(block(), 1, new SequenceBook()), compression)).toEqual(await kafkajsBytes(compression, 0));
  });

  it('advance the sequence by the records of each batch and keep it when kafkajs retries the same request', async () => {
    const sequences = new SequenceBook();
    const first = blockCarrier(block(), 1, sequences);
    const second = blockCarrier(block(), 1, sequences);
    const firstBytes = await ourBytes(first, 0);
    expect(await ourBytes(first, 0)).toEqual(firstBytes); // a retry: same bytes, same sequence
    expect(await ourBytes(second, 0)).toEqual(await kafkajsBytes(0, messages.length));
  });

  it('checksum with CRC-32C', () => {
    const referenceCrc = require('kafkajs/src/protocol/recordBatch/crc32C');
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff));
    // The native one (when it loads) and the JavaScript fallback.
    for (const crc of [crc32c, crc32cJs]) {
      expect(crc(Buffer.from('123456789')).toString(16)).toBe('e3069283');
      for (const n of [0, 1, 7, 8, 9, 63, 1000]) expect(crc(data.subarray(0, n))).toBe(referenceCrc(data.subarray(0, n)));
      expect(crc(data, 21, 1000)).toBe(referenceCrc(data.subarray(21)));
      expect(crc(data, 500, 1000, crc(data, 21, 500))).toBe(referenceCrc(data.subarray(21)));
    }
  });
});

describe('the prediction bytes writer', () => {
  it('writes every score as JSON.stringify writes it rounded to 6 decimals', () => {
    const writer = predictionBytesWriter({ modelName: 'm', modelVersion: '1', runId: 'r', runDate: '2026-11-23', shardId: '0' }, [0, 1]);
    const scoredAt = Buffer.from('t');
    const edge = [0, 1, 0.5, 1e-7, 4e-7, 5e-7, 1e-6, 0.0000015, 0.1, 0.999999, 0.9999995, 0.99999949, 1 - 1e-9, -0, NaN, 2, -0.25];
    const random = Array.from({ length: 20_000 }, (_, i) => Math.fround(Math.sin(i * 7919.123) ** 2));
    const target = Buffer.alloc(1024);
    for (const p of [...edge, ...random]) {
      const probabilities = new Float32Array([p, 1 - p]);
      const end = writer.write(target, 0, 'c', 0, probabilities, 0, scoredAt);
      const expected = JSON.stringify(predictionMessage({ modelName: 'm', modelVersion: '1', runId: 'r', runDate: '2026-11-23', shardId: '0' }, 'c', [0, 1], 0, probabilities, 0, 't'));
      expect([p, target.toString('utf8', 0, end)]).toEqual([p, expected]);
    }
  });

  const run = { modelName: 'churn "x"', modelVersion: '3', runId: 'r\u2028', runDate: '2026-11-23', shardId: 'algo-1' };

  it.each([
    [[0, 1], 'C0000000042'],
    [['no', 'yes', 'maybe'], 'id "quoted" \\ é 😀'],
    [[10, 2, 'b', 'a'], ''],
  ] as Array<[Array<number | string>, string]>)('writes exactly the UTF-8 of what JSON.stringify writes, for labels %j', (labels, id) => {
    const writer = predictionBytesWriter(run, labels);
    const probabilities = new Float32Array([0.1234567, NaN, 0.5, 1e-7].slice(0, labels.length).concat(Array(8).fill(0.3)));
    const scoredAt = Buffer.from('2026-11-23T02:14:07.123Z');
    for (let label = 0; label < labels.length; label++) {
      const expected = Buffer.from(JSON.stringify(predictionMessage(run, id, labels, label, probabilities, 0, scoredAt.toString())));
      const target = Buffer.alloc(writer.maxBytes(id, scoredAt) + 8, 0xee);
      const end = writer.write(target, 4, id, label, probabilities, 0, scoredAt);
      expect(target.subarray(4, end).toString()).toBe(expected.toString());
      expect(end - 4).toBeLessThanOrEqual(writer.maxBytes(id, scoredAt));
      expect(target[end]).toBe(0xee); // nothing written past the end
    }
  });
});
