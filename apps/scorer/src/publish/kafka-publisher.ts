import { CompressionTypes, Kafka, KafkaConfig as KafkajsConfig, Message, Producer, Transaction, logLevel } from 'kafkajs';
import type { KafkaConfig } from '../config/schema';
import { PublishError, describeError } from '../errors';
import type { Logger } from '../log';
import { KeyHashPartitioner } from './partitioner';
import type { OutgoingMessage, PredictionPublisher, PublishStats } from './publisher';

type Sender = Pick<Producer, 'sendBatch'> | Pick<Transaction, 'sendBatch'>;

export interface KafkaPublisherOptions {
  config: KafkaConfig;
  sasl?: KafkajsConfig['sasl'];
  log: Logger;
  /** Partitions for topics the scorer creates itself (local runs with KAFKA_CREATE_TOPICS=true). */
  createPartitions?: number;
}

/**
 * kafkajs behind PredictionPublisher: idempotent, acks=all, one transaction per run by default.
 * One produce request is in flight while the next chunk is filled; kafkajs' idempotent sequence numbers are
 * per partition and not safe across concurrent sends, so sends are strictly one after another.
 */
export class KafkaPublisher implements PredictionPublisher {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private transaction: Transaction | undefined;
  private buffer = new Map<string, Message[]>();
  // A run's messages share one headers object; encoding its values once spares kafkajs a Buffer.from per header per record.
  private readonly encodedHeaders = new WeakMap<Record<string, string>, Record<string, Buffer>>();
  private buffered = 0;
  private inflight: Promise<void> | undefined;
  private failure: PublishError | undefined;
  private readonly acknowledged: Record<string, number> = {};

  constructor(private readonly options: KafkaPublisherOptions) {
    const { config, log } = options;
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      ssl: config.tls,
      sasl: options.sasl,
      connectionTimeout: 10_000,
      requestTimeout: 30_000,
      retry: { retries: config.retries, initialRetryTime: 300, maxRetryTime: 5_000 },
      logLevel: logLevel.WARN,
      logCreator: () => ({ level, log: entry }) => {
        const { message, ...fields } = entry;
        const emit = level <= logLevel.ERROR ? log.error : log.warn;
        emit('kafka', { message, ...fields });
      },
    });
    this.producer = this.kafka.producer({
      // murmur2 on the key, as the Java client and kafkajs' DefaultPartitioner do, without per-record allocations.
      createPartitioner: KeyHashPartitioner,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionalId: config.transactionalId,
      transactionTimeout: config.transactionTimeoutMs,
      retry: { retries: config.retries, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
  }

  async start(): Promise<void> {
    const { config, log } = this.options;
    try {
      if (config.createTopics) await this.createTopics();
      await this.producer.connect();
      if (config.transactionalId) this.transaction = await this.producer.transaction();
    } catch (error) {
      throw new PublishError(`connecting to Kafka at ${config.brokers.join(',')} failed: ${describeError(error)}`, {
        retryable: true,
        cause: error,
      });
    }
    log.info('publisher_started', {
      brokers: config.brokers,
      transactionalId: config.transactionalId ?? null,
      compression: config.compression,
    });
  }

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    return this.publishRecords(topic, messages.map((m) => ({ key: m.key, value: m.value, headers: this.headerBuffers(m.headers) })));
  }

  /** Same as publish, for records already in kafkajs' shape (the producer thread receives them pre-encoded). */
  async publishRecords(topic: string, records: Message[]): Promise<void> {
    if (this.failure) throw this.failure;
    if (records.length === 0) return;
    let queue = this.buffer.get(topic);
    if (!queue) this.buffer.set(topic, (queue = []));
    for (const record of records) queue.push(record);
    this.buffered += records.length;
    if (this.buffered >= this.options.config.chunkSize) await this.sendBuffered();
  }

  async commit(): Promise<PublishStats> {
    await this.sendBuffered();
    await this.inflight;
    if (this.failure) throw this.failure;
    if (this.transaction) {
      try {
        await this.transaction.commit();
      } catch (error) {
        throw new PublishError(`committing the Kafka transaction failed: ${describeError(error)}`, { retryable: true, cause: error });
      }
      this.transaction = undefined;
    }
    return this.stats();
  }

  stats(): PublishStats {
    return { acknowledged: { ...this.acknowledged } };
  }

  async abort(): Promise<void> {
    this.buffer.clear();
    this.buffered = 0;
    await this.inflight;
    const transaction = this.transaction;
    this.transaction = undefined;
    if (!transaction) return;
    try {
      await transaction.abort();
    } catch (error) {
      // With the broker gone the abort cannot reach it; the open transaction is then aborted by the coordinator
      // when it times out or when the rerun (same transactional id) initialises and fences this producer.
      throw new PublishError(`aborting the Kafka transaction failed; the rerun with the same transactional id will abort it`, {
        retryable: true,
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  headerBuffers(headers: Record<string, string>): Record<string, Buffer> {
    let encoded = this.encodedHeaders.get(headers);
    if (!encoded) {
      encoded = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));
      this.encodedHeaders.set(headers, encoded);
    }
    return encoded;
  }

  private async sendBuffered(): Promise<void> {
    await this.inflight;
    if (this.failure) throw this.failure;
    if (this.buffered === 0) return;
    const topicMessages = [...this.buffer].map(([topic, messages]) => ({ topic, messages }));
    this.buffer = new Map();
    this.buffered = 0;
    const sender: Sender = this.transaction ?? this.producer;
    const compression = this.options.config.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    this.inflight = sender
      .sendBatch({ topicMessages, acks: -1, compression })
      .then(() => {
        for (const { topic, messages } of topicMessages) this.acknowledged[topic] = (this.acknowledged[topic] ?? 0) + messages.length;
      })
      .catch((error: unknown) => {
        const text = describeError(error);
        const hint = /does not host this topic-partition|without metadata/i.test(text) && !this.options.config.createTopics
          ? ` (do topics ${this.options.config.topic} and ${this.options.config.dlqTopic} exist? The scorer creates topics only with KAFKA_CREATE_TOPICS=true)`
          : '';
        this.failure = new PublishError(`producing to Kafka failed after retries: ${text}${hint}`, { retryable: true, cause: error });
      });
  }

  private async createTopics(): Promise<void> {
    const { config, log } = this.options;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [config.topic, config.dlqTopic].filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: this.options.createPartitions ?? 3 })) });
      }
      log.info('topics_ensured', { topics: [config.topic, config.dlqTopic], created: missing });
    } finally {
      await admin.disconnect();
    }
  }
}
