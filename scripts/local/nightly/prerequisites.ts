// What an environment expects to exist before its stack runs, and which the stack does not create: in AWS the
// Kafka team provisions the prediction and dead-letter topics. Locally the night creates them on the local broker,
// from the environment's configuration, as that team would.
import { Kafka, logLevel } from 'kafkajs';
import type { EnvironmentConfig } from '../../../environments';
import { runsTopicOf, scorerTopics } from '../../../environments/lib/kafka-topics';

export const LOCAL_TOPIC_PARTITIONS = 3;

/** Creates the environment's topics that do not exist yet; returns the ones it created. */
export async function provisionTopics(brokers: readonly string[], kafka: EnvironmentConfig['kafka']): Promise<string[]> {
  const admin = new Kafka({ clientId: 'local-night-provisioning', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    // The scorer's end-of-run records go to `<topic>.runs`, one partition (docs/prediction-contract.md).
    const runs = runsTopicOf(kafka.topic);
    const missing = scorerTopics(kafka).filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: topic === runs ? 1 : LOCAL_TOPIC_PARTITIONS, replicationFactor: 1 })) });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
