// The Kafka topics an environment's scorer writes to, from its configuration: the prediction and dead-letter topics
// it names, and the end-of-run records' topic that the prediction contract derives from the prediction topic
// (docs/prediction-contract.md). The scorer applies the same rule itself (apps/scorer/src/contract/run-record.ts,
// which the stacks cannot import: the image's app and the infrastructure are built apart);
// test/infra/kafka-topics.test.ts keeps the two equal.
import type { EnvironmentConfig } from '../schema';

export const runsTopicOf = (predictionTopic: string) => `${predictionTopic}.runs`;

/** Predictions, dead letters, end-of-run records: what the scorer must be allowed to write and what must exist. */
export function scorerTopics(kafka: Pick<EnvironmentConfig['kafka'], 'topic' | 'deadLetterTopic'>): [predictions: string, deadLetters: string, runs: string] {
  return [kafka.topic, kafka.deadLetterTopic, runsTopicOf(kafka.topic)];
}
