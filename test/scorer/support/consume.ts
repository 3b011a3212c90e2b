import { randomUUID } from 'node:crypto';
import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { runKafkaTool } from '../../../scripts/local/services';

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
 * Judged by Kafka's own consumer (see readCommittedWithJava).
 */
export async function visibleBesidesMarkers(brokers: string[], topic: string): Promise<Array<{ key: string; runId: string }>> {
  const { key: marker, partitions: expected } = await commitMarkers(brokers, topic);
  const seen = await readCommittedWithJava(brokers, topic, 5_000);
  const markers = seen.filter((m) => m.key === marker).length;
  if (markers !== expected) throw new Error(`${markers} of the ${expected} markers committed to ${topic} became visible: the check cannot tell anything`);
  return seen.filter((m) => m.key !== marker);
}

/** Creates topics with 3 partitions (the end-of-run topic, named `*.runs`, with 1), as the scorer does with KAFKA_CREATE_TOPICS. */
export async function createTopics(brokers: string[], topics: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'scorer-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: topic.endsWith('.runs') ? 1 : 3 })) });
  } finally {
    await admin.disconnect();
  }
}

/**
 * A producer with `transactionalId` that writes one message (key "zombie") to each of 3 partitions of `topic` inside a
 * transaction it leaves open: what a scorer killed mid-run leaves behind. The returned transaction can still try to commit.
 */
export async function openTransaction(brokers: string[], transactionalId: string, topic: string, timeoutMs: number) {
  const kafka = new Kafka({ clientId: 'scorer-test-zombie', brokers, logLevel: logLevel.NOTHING, retry: { retries: 1 } });
  const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: timeoutMs });
  await producer.connect();
  const transaction = await producer.transaction();
  await transaction.send({ topic, messages: [0, 1, 2].map((partition) => ({ key: 'zombie', value: '{}', partition })) });
  return {
    commit: async () => {
      try {
        await transaction.commit();
      } finally {
        await producer.disconnect();
      }
    },
  };
}

/**
 * Keys and run ids of every message a read_committed consumer sees, read with Kafka's own (Java) console consumer.
 * kafkajs 2.2.4's consumer is not a trustworthy judge when several transactions were aborted on one partition: its
 * filterAbortedMessages activates one aborted transaction per message, so a few messages of the others get through.
 */
export async function readCommittedWithJava(brokers: string[], topic: string, idleMs = 10_000): Promise<Array<{ key: string; runId: string }>> {
  const result = await runKafkaTool(
    'org.apache.kafka.tools.consumer.ConsoleConsumer',
    ['--bootstrap-server', brokers.join(','), '--topic', topic, '--from-beginning', '--isolation-level', 'read_committed', '--timeout-ms', String(idleMs),
      '--property', 'print.key=true', '--property', 'print.value=false', '--property', 'print.headers=true', '--property', 'key.separator=|'],
    { timeoutMs: 300_000, jvmArgs: ['-Xmx512m'] },
  );
  const lines = result.stdout.split('\n').filter((line) => line.includes('|'));
  return lines.map((line) => {
    const [headers, key] = line.split('|');
    return { key, runId: /run-id:([^,]*)/.exec(headers)?.[1] ?? '' };
  });
}
