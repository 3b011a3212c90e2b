import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { decodeMessages, encodeMessages, transferables } from '../../apps/scorer/src/publish/message-batch';
import { KeyHashPartitioner, murmur2 } from '../../apps/scorer/src/publish/partitioner';
import type { OutgoingMessage } from '../../apps/scorer/src/publish/publisher';

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

describe('messages encoded for the producer thread', () => {
  const runHeaders = { 'schema-version': '1.0', 'model-name': 'churn', 'model-version': '3', 'run-id': 'r-é' };
  const otherHeaders = { 'schema-version': '1.0', 'model-name': 'other', 'model-version': '1', 'run-id': 'r' };
  const messages: OutgoingMessage[] = [
    { key: 'C1', value: '{"a":1}', headers: runHeaders },
    { key: null, value: '{"reason":"naïve 😀"}', headers: otherHeaders },
    { key: '', value: '', headers: runHeaders },
    { key: 'ключ', value: 'x'.repeat(5000), headers: runHeaders },
  ];
  const asText = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));

  it('decode to the same keys, values and headers, with null keys kept null', () => {
    const decoded = decodeMessages(encodeMessages(messages), asText);
    expect(decoded.map((m) => ({ key: m.key === null ? null : (m.key as Buffer).toString(), value: (m.value as Buffer).toString() }))).toEqual(
      messages.map(({ key, value }) => ({ key, value })),
    );
    expect(decoded.map((m) => m.headers)).toEqual(messages.map((m) => asText(m.headers)));
  });

  it('encode each distinct headers object once and share the result between its messages', () => {
    const encodeHeaders = jest.fn(asText);
    const decoded = decodeMessages(encodeMessages(messages), encodeHeaders);
    expect(encodeHeaders).toHaveBeenCalledTimes(2);
    expect(decoded[0].headers).toBe(decoded[3].headers);
  });

  it('own their buffers, so transferring them cannot take memory other Buffers share', () => {
    const encoded = encodeMessages(messages);
    const buffers = transferables(encoded);
    expect(buffers[0].byteLength).toBe(encoded.bytes.byteLength);
    expect(new Set(buffers).size).toBe(buffers.length);
  });
});
