// The local broker is a real Kafka: idempotent transactional producers work, and a read_committed consumer
// group never sees an aborted transaction. Kafka's own console consumer runs from the same jars.
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { runKafkaTool } from '../../../scripts/local/services';
import { kafkaBrokers, uniqueName } from '../../support/services';

jest.setTimeout(120_000);

const kafka = new Kafka({ clientId: 'services-int-test', brokers: kafkaBrokers(), logLevel: logLevel.WARN });

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
  } finally {
    await admin.disconnect();
  }
}

/** Reads the topic from the beginning with a fresh consumer group until `until` holds for what was read. */
async function readTopic(topic: string, readUncommitted: boolean, until: (values: string[]) => boolean): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('group'), readUncommitted, maxWaitTimeInMs: 200 });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}; read so far: ${JSON.stringify(values)}`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }: { message: KafkaMessage }) => {
            values.push(message.value?.toString() ?? '');
            if (until(values)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

describe('the local Kafka broker', () => {
  const topic = uniqueName('tx-test');

  beforeAll(async () => {
    await createTopic(topic);
    const producer = kafka.producer({ idempotent: true, transactionalId: uniqueName('tx'), maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [{ key: 'a', value: 'aborted-1' }, { key: 'b', value: 'aborted-2' }] });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic, messages: [{ key: 'a', value: 'committed-1' }, { key: 'b', value: 'committed-2' }] });
      await committed.commit();
    } finally {
      await producer.disconnect();
    }
  });

  it('hides an aborted transaction from a read_committed consumer group and shows the committed one', async () => {
    const values = await readTopic(topic, false, (v) => v.includes('committed-2'));
    expect(values).toEqual(['committed-1', 'committed-2']);
  });

  it('really wrote the aborted records, which a read_uncommitted consumer does see', async () => {
    const values = await readTopic(topic, true, (v) => v.includes('committed-2'));
    expect(values).toEqual(['aborted-1', 'aborted-2', 'committed-1', 'committed-2']);
  });

  it('serves Kafka’s own console consumer reading with --isolation-level read_committed', async () => {
    const result = await runKafkaTool(
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      ['--bootstrap-server', kafkaBrokers().join(','), '--topic', topic, '--from-beginning', '--isolation-level', 'read_committed', '--max-messages', '2', '--timeout-ms', '30000'],
      { timeoutMs: 90_000 },
    );
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(['committed-1', 'committed-2']);
  });

  it('does not create a topic when a producer writes to one that does not exist', async () => {
    const missing = uniqueName('never-created');
    // Its own client, silent: the broker's refusals are the expected outcome here, not noise for the test log.
    const quiet = new Kafka({ clientId: 'services-int-test-quiet', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const producer = quiet.producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: missing, messages: [{ value: 'x' }], timeout: 5_000 })).rejects.toThrow(
        /does not host this topic-partition/,
      );
    } finally {
      await producer.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain(missing);
    } finally {
      await admin.disconnect();
    }
  });
});
