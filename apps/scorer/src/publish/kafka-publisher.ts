import { CompressionTypes, Kafka, KafkaConfig as KafkajsConfig, Message, Producer, Transaction, logLevel } from 'kafkajs';
import type { KafkaConfig } from '../config/schema';
import { MAX_MESSAGE_BYTES } from '../contract/message';
import { PublishError, ScorerError, describeError } from '../errors';
import type { Logger } from '../log';
import { tlsOptions } from './kafka-auth';
import { BrokerRefusals, kafkaSecurityFailure } from './kafka-errors';
import { kafkaLogCreator } from './kafka-log';
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
 *
 * A send carries at most MAX_MESSAGE_BYTES of records: kafkajs puts a send's records for one partition into one
 * record batch, which the broker refuses above max.message.bytes (1 MiB by default), failing the whole run.
 */
export class KafkaPublisher implements PredictionPublisher {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private transaction: Transaction | undefined;
  private buffer = new Map<string, Message[]>();
  // A run's messages share one headers object; encoding its values once spares kafkajs a Buffer.from per header per record.
  private readonly encodedHeaders = new WeakMap<Record<string, string>, Record<string, Buffer>>();
  private buffered = 0;
  private bufferedBytes = 0;
  private inflight: Promise<void> | undefined;
  private failure: ScorerError | undefined;
  /** Set by abort(): a publish call still under way (a stopped run leaves one behind) must not send anything more. */
  private discarded = false;
  /** When the transaction must be committed by, a margin before the broker would abort it (transaction timeout). */
  private transactionDeadline = Infinity;
  private readonly acknowledged: Record<string, number> = {};
  private readonly brokerRefusals = new BrokerRefusals();

  constructor(private readonly options: KafkaPublisherOptions) {
    const { config, log } = options;
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      ssl: tlsOptions(config),
      sasl: options.sasl,
      connectionTimeout: 10_000,
      requestTimeout: 30_000,
      retry: { retries: config.retries, initialRetryTime: 300, maxRetryTime: 5_000 },
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(log, (entry) => this.brokerRefusals.note(entry.error)),
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
      if (config.transactionalId) {
        this.transaction = await this.producer.transaction();
        // The broker's clock starts at the first send; counting from here errs on the safe side.
        this.transactionDeadline = Date.now() + config.transactionTimeoutMs - Math.min(30_000, config.transactionTimeoutMs / 10);
      }
    } catch (error) {
      throw (
        kafkaSecurityFailure(error, config, this.brokerRefusals) ??
        new PublishError(`connecting to Kafka at ${config.brokers.join(',')} failed: ${describeError(error)}`, { retryable: true, cause: error })
      );
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
    this.throwIfUnusable();
    if (records.length === 0) return;
    for (const record of records) {
      const bytes = recordBytes(record);
      if (this.buffered > 0 && this.bufferedBytes + bytes > MAX_MESSAGE_BYTES) await this.sendBuffered();
      let queue = this.buffer.get(topic);
      if (!queue) this.buffer.set(topic, (queue = []));
      queue.push(record);
      this.buffered++;
      this.bufferedBytes += bytes;
    }
    if (this.buffered >= this.options.config.chunkSize) await this.sendBuffered();
  }

  async commit(): Promise<PublishStats> {
    await this.sendBuffered();
    await this.inflight;
    this.throwIfUnusable();
    if (this.transaction) {
      try {
        await this.transaction.commit();
      } catch (error) {
        throw (
          kafkaSecurityFailure(error, this.options.config, this.brokerRefusals) ??
          new PublishError(`committing the Kafka transaction failed: ${describeError(error)}`, { retryable: true, cause: error })
        );
      }
      this.transaction = undefined;
    }
    return this.stats();
  }

  stats(): PublishStats {
    return { acknowledged: { ...this.acknowledged } };
  }

  async abort(): Promise<void> {
    this.discarded = true;
    this.buffer.clear();
    this.buffered = 0;
    this.bufferedBytes = 0;
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

  /** The run cannot go on: a send failed, the run was aborted, or its transaction is about to time out. */
  private throwIfUnusable(): void {
    if (this.failure) throw this.failure;
    if (this.discarded) throw new PublishError('the run was aborted: nothing more is published', { retryable: false, code: 'ABORTED' });
    if (Date.now() > this.transactionDeadline) {
      const { transactionTimeoutMs } = this.options.config;
      this.failure = new PublishError(
        `the run did not finish within its Kafka transaction's timeout (KAFKA_TRANSACTION_TIMEOUT_MS ${transactionTimeoutMs} ms), ` +
          'after which the broker aborts it: shard the input over more instances, or raise KAFKA_TRANSACTION_TIMEOUT_MS ' +
          "(at most the broker's transaction.max.timeout.ms, 15 minutes by default)",
        { retryable: false, code: 'TRANSACTION_TIMEOUT' },
      );
      throw this.failure;
    }
  }

  private async sendBuffered(): Promise<void> {
    await this.inflight;
    this.throwIfUnusable();
    if (this.buffered === 0) return;
    const topicMessages = [...this.buffer].map(([topic, messages]) => ({ topic, messages }));
    this.buffer = new Map();
    this.buffered = 0;
    this.bufferedBytes = 0;
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
        this.failure =
          kafkaSecurityFailure(error, this.options.config, this.brokerRefusals) ??
          new PublishError(`producing to Kafka failed after retries: ${text}${hint}`, { retryable: true, cause: error });
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

type Bytes = Buffer | string | null | undefined | Array<Buffer | string>;

const size = (v: Bytes): number =>
  v == null ? 0 : Array.isArray(v) ? v.reduce((sum: number, part) => sum + size(part), 0) : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

// A run's records share one headers object: its size is computed once, not per record.
const headerSizes = new WeakMap<object, number>();

/** Bytes a record adds to a produce request, before compression (framing aside). */
function recordBytes(record: Message): number {
  let headers = 0;
  if (record.headers) {
    headers = headerSizes.get(record.headers) ?? -1;
    if (headers < 0) {
      headers = Object.entries(record.headers).reduce((sum, [name, value]) => sum + name.length + size(value), 0);
      headerSizes.set(record.headers, headers);
    }
  }
  return size(record.key) + size(record.value) + headers;
}
