import { randomUUID } from 'node:crypto';
import { Kafka, KafkaConfig, logLevel } from 'kafkajs';

export interface ConsumedMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  partition: number;
  /** When this consumer received it (ms since the epoch): how long consumers waited for a commit to show. */
  receivedAt: number;
}

export interface ConsumeOptions {
  /** Keep reading until this many messages arrived (then `settleMs` without more). */
  expected?: number;
  /** Keep reading until this holds (then `settleMs` without more). */
  until?: (messages: ConsumedMessage[]) => boolean;
  settleMs?: number;
  timeoutMs?: number;
  /** read_committed (default: what downstream teams use) or read_uncommitted (to see what the broker holds). */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** TLS and SASL of a secured broker (the consumer user's). */
  connection?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  /** Consumer group names start with this (what the user's group ACL allows). */
  groupPrefix?: string;
}

/**
 * Reads a topic from the beginning (read_committed unless told otherwise) until the expected messages arrived and
 * then `settleMs` passed without more, or until `timeoutMs`.
 */
export async function consumeCommitted(brokers: string[], topic: string, options: ConsumeOptions = {}): Promise<ConsumedMessage[]> {
  const kafka = new Kafka({ clientId: 'scorer-test-consumer', brokers, logLevel: logLevel.NOTHING, ...options.connection });
  const consumer = kafka.consumer({ groupId: `${options.groupPrefix ?? 'scorer-test-'}${randomUUID()}`, readUncommitted: options.isolation === 'read_uncommitted' });
  const messages: ConsumedMessage[] = [];
  let lastArrival = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const receivedAt = Date.now();
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
          messages.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? '', headers, partition: batch.partition, receivedAt });
        }
        lastArrival = receivedAt;
      },
    });
    const started = Date.now();
    const settleMs = options.settleMs ?? 2_000;
    const timeoutMs = options.timeoutMs ?? 60_000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const enough = messages.length >= (options.expected ?? 0) && (options.until?.(messages) ?? true);
      if (enough && Date.now() - lastArrival >= settleMs && Date.now() - started >= settleMs) break;
      if (Date.now() - started >= timeoutMs) break;
    }
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/**
 * Commits one marker message to every partition of the topic, after whatever is already there. A read_committed
 * consumer that sees all markers has read past everything produced before them on every partition: the positive
 * control of a "nothing else is visible" check.
 */
export async function commitMarkers(brokers: string[], topic: string): Promise<{ key: string; partitions: number }> {
  const key = `marker-${randomUUID()}`;
  const kafka = new Kafka({ clientId: 'scorer-test-marker', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] }).finally(() => admin.disconnect())).topics;
  const producer = kafka.producer({ transactionalId: key, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const transaction = await producer.transaction();
    await transaction.send({ topic, messages: metadata.partitions.map((p) => ({ key, value: '{"marker":true}', partition: p.partitionId })) });
    await transaction.commit();
  } finally {
    await producer.disconnect();
  }
  return { key, partitions: metadata.partitions.length };
}

/**
 * The messages a read_committed consumer sees on the topic besides markers committed now to every partition:
 * [] means nothing else is visible, and the markers prove that the consumer read to the end of every partition.
 */
export async function visibleBesidesMarkers(brokers: string[], topic: string): Promise<ConsumedMessage[]> {
  const { key: marker, partitions: expected } = await commitMarkers(brokers, topic);
  const partitions = (seen: ConsumedMessage[]) => new Set(seen.filter((m) => m.key === marker).map((m) => m.partition)).size;
  const seen = await consumeCommitted(brokers, topic, { until: (messages) => partitions(messages) === expected, settleMs: 1_000 });
  if (partitions(seen) !== expected) throw new Error(`the markers committed to ${topic} never all became visible: the check cannot tell anything`);
  return seen.filter((m) => m.key !== marker);
}

