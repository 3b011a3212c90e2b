import type { KafkaConfig as KafkajsConfig } from 'kafkajs';
import { MAX_PRODUCERS, type KafkaConfig } from '../config/schema';
import { PublishError, ScorerError, describeError } from '../errors';
import { BrokerRefusals, kafkaSecurityFailure } from './kafka-errors';
import type { Logger } from '../log';
import { kafkaClient } from './kafka-publisher';
import { KeyHashPartitioner } from './partitioner';

/** Partitions of the topics a scorer creates itself (local runs, KAFKA_CREATE_TOPICS=true). */
export const CREATED_PARTITIONS = 3;

/**
 * Checks, before anything is published, that the run's three topics exist (creating them when told to), and returns
 * their partition counts, which the pipelines spread records over. A missing topic fails the run here, naming it,
 * instead of after retries in the middle of a transaction.
 */
export async function prepareTopics(config: KafkaConfig, log: Logger, sasl: KafkajsConfig['sasl'] | undefined): Promise<Map<string, number>> {
  const topics = [config.topic, config.dlqTopic, config.runsTopic];
  const refusals = new BrokerRefusals();
  const admin = kafkaClient(config, log, sasl, `${config.clientId}-admin`, refusals).admin();
  try {
    await admin.connect();
    // Only the topics this user may describe are listed: one that is not may be missing or denied, which the
    // metadata request below tells apart (TOPIC_AUTHORIZATION_FAILED is a security failure, named as such).
    const listed = new Set(await admin.listTopics());
    const absent = topics.filter((topic) => !listed.has(topic));
    if (absent.length > 0 && config.createTopics) {
      // One partition for the end-of-run records: a run's records in one ordered place.
      await admin.createTopics({ waitForLeaders: true, topics: absent.map((topic) => ({ topic, numPartitions: topic === config.runsTopic ? 1 : CREATED_PARTITIONS })) });
      log.info('topics_created', { topics: absent });
    }
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    } catch (error) {
      if (absent.length === 0 || config.createTopics || kafkaSecurityFailure(error, config, refusals)) throw error;
      throw new PublishError(
        `Kafka topic(s) ${absent.join(', ')} do not exist: the scorer publishes predictions to ${config.topic}, rejected rows to ${config.dlqTopic} ` +
          `and end-of-run records to ${config.runsTopic}; create them (the scorer creates topics only with KAFKA_CREATE_TOPICS=true)`,
        { retryable: false, code: 'TOPICS_MISSING', cause: error },
      );
    }
  } catch (error) {
    if (error instanceof ScorerError) throw error;
    throw (
      kafkaSecurityFailure(error, config, refusals) ??
      new PublishError(`checking the Kafka topics at ${config.brokers.join(',')} failed: ${describeError(error)}`, { retryable: true, cause: error })
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The transactional id of sub-producer `k` of a shard. */
export const subProducerId = (base: string, k: number) => `${base}.${k}`;

/**
 * The transactional ids a run does not use but an earlier attempt of its shard may have: sub-producers `k` up to
 * MAX_PRODUCERS (an attempt on a larger instance ran more pipelines) and the single id of scorers before sub-producers.
 */
export function idsToFence(base: string, producers: number): string[] {
  const ids = [base];
  for (let k = producers; k < MAX_PRODUCERS; k++) ids.push(subProducerId(base, k));
  return ids;
}

/**
 * Fences transactional ids: initialising a producer with an id makes the coordinator abort a transaction the id left
 * open (read_committed consumers stop waiting for it at once) and refuse its older producer (a zombie) from then on.
 * The run's own sub-producers are fenced by starting; this covers the ids it does not use.
 */
export async function fenceTransactionalIds(ids: string[], config: KafkaConfig, log: Logger, sasl: KafkajsConfig['sasl'] | undefined): Promise<void> {
  const refusals = new BrokerRefusals();
  const kafka = kafkaClient(config, log, sasl, `${config.clientId}-fence`, refusals);
  const started = Date.now();
  await Promise.all(
    ids.map(async (transactionalId) => {
      const producer = kafka.producer({
        createPartitioner: KeyHashPartitioner, // never used (nothing is sent); spares kafkajs' default-partitioner warning
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: config.transactionTimeoutMs,
      });
      try {
        await producer.connect();
        const transaction = await producer.transaction(); // InitProducerId: fences and aborts what the id left open
        await transaction.abort();
      } catch (error) {
        throw (
          kafkaSecurityFailure(error, { ...config, transactionalId }, refusals) ??
          new PublishError(`fencing the transactional id ${transactionalId} (left by an earlier attempt of this shard?) failed: ${describeError(error)}`, {
            retryable: true,
            cause: error,
          })
        );
      } finally {
        await producer.disconnect().catch(() => undefined);
      }
    }),
  );
  log.info('transactional_ids_fenced', { ids: ids.length, first: ids[0], last: ids[ids.length - 1], ms: Date.now() - started });
}
