import { Kafka, logLevel } from 'kafkajs';

export interface ConsumedMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  partition: number;
}

/**
 * Reads a topic from the beginning as a read_committed consumer (what downstream teams use) until `expected`
 * messages arrived and then `settleMs` passed without more, or until `timeoutMs`.
 */
export async function consumeCommitted(
  brokers: string[],
  topic: string,
  options: { expected?: number; settleMs?: number; timeoutMs?: number } = {},
): Promise<ConsumedMessage[]> {
  const kafka = new Kafka({ clientId: 'scorer-test-consumer', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `scorer-test-${Date.now()}-${Math.random()}`, readUncommitted: false });
  const messages: ConsumedMessage[] = [];
  let lastArrival = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = String(v);
          messages.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? '', headers, partition: batch.partition });
        }
        lastArrival = Date.now();
      },
    });
    const started = Date.now();
    const settleMs = options.settleMs ?? 2_000;
    const timeoutMs = options.timeoutMs ?? 60_000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const enough = messages.length >= (options.expected ?? 0);
      if (enough && Date.now() - lastArrival >= settleMs && Date.now() - started >= settleMs) break;
      if (Date.now() - started >= timeoutMs) break;
    }
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
