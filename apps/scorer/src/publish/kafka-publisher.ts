import { Kafka, KafkaConfig as KafkajsConfig, Producer, Transaction, logLevel } from 'kafkajs';
import type { KafkaConfig } from '../config/schema';
import { MAX_MESSAGE_BYTES } from '../contract/message';
import { PublishError, ScorerError, describeError } from '../errors';
import type { Logger } from '../log';
import { BlockCarrier, SequenceBook, blockCarrier, installBlockProduce } from './kafkajs-blocks';
import { tlsOptions } from './kafka-auth';
import { BrokerRefusals, kafkaSecurityFailure } from './kafka-errors';
import { kafkaLogCreator } from './kafka-log';
import { KeyHashPartitioner } from './partitioner';
import type { MessageBatch, OutgoingMessage, PredictionPublisher, PublishStats } from './publisher';
import { EncodedHeaders, PendingRecords, encodeHeaders } from './records';

type Sender = Pick<Producer, 'sendBatch'> | Pick<Transaction, 'sendBatch'>;

export interface KafkaPublisherOptions {
  config: KafkaConfig;
  /** This producer's transactional id (`<base>.<k>` of its pipeline); undefined: transactions off (idempotent only). */
  transactionalId: string | undefined;
  /** Partitions of every topic it publishes to (from the run's topic check), which the records are spread over. */
  partitions: ReadonlyMap<string, number>;
  sasl?: KafkajsConfig['sasl'];
  log: Logger;
}

/**
 * Kafka clients with the scorer's TLS trust, timeouts, retries and log filter; `refusals` notes the authorization
 * errors kafkajs only logs (kafka-errors.ts).
 */
export function kafkaClient(config: KafkaConfig, log: Logger, sasl: KafkajsConfig['sasl'] | undefined, clientId = config.clientId, refusals?: BrokerRefusals): Kafka {
  return new Kafka({
    clientId,
    brokers: config.brokers,
    ssl: tlsOptions(config),
    sasl,
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { retries: config.retries, initialRetryTime: 300, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log, (entry) => refusals?.note(entry.error)),
  });
}

/**
 * One transactional producer: idempotent, acks=all, one transaction per run by default. Messages are built into
 * Kafka record bytes as they are published (records.ts) and sent by kafkajs as ready-made record batches
 * (kafkajs-blocks.ts). One produce request is in flight while the next is filled; kafkajs' idempotent sequence
 * numbers are per partition and not safe across concurrent sends, so sends are strictly one after another.
 *
 * A send carries at most MAX_MESSAGE_BYTES of records: each partition's records of a send form one record batch,
 * which the broker refuses above max.message.bytes (1 MiB by default), failing the whole run.
 */
export class KafkaPublisher implements PredictionPublisher {
  private readonly producer: Producer;
  private transaction: Transaction | undefined;
  private pending: PendingRecords;
  private readonly sequences = new SequenceBook();
  private readonly encodedHeaders = new WeakMap<Record<string, string>, EncodedHeaders>();
  private inflight: Promise<void> | undefined;
  private failure: ScorerError | undefined;
  private readonly brokerRefusals = new BrokerRefusals();
  /** Set by abort(): a publish call still under way (a stopped run leaves one behind) must not send anything more. */
  private discarded = false;
  /** When the transaction must be committed by, a margin before the broker would abort it (transaction timeout). */
  private transactionDeadline = Infinity;
  private readonly counts: PublishStats = { acknowledged: {}, byPartition: {} };

  constructor(private readonly options: KafkaPublisherOptions) {
    installBlockProduce();
    const { config, log } = options;
    this.pending = new PendingRecords(options.partitions);
    this.producer = kafkaClient(config, log, options.sasl, config.clientId, this.brokerRefusals).producer({
      createPartitioner: KeyHashPartitioner, // keeps the partition each record block was built for
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      transactionalId: options.transactionalId,
      transactionTimeout: config.transactionTimeoutMs,
      retry: { retries: config.retries, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
  }

  async start(): Promise<void> {
    const { config } = this.options;
    try {
      await this.producer.connect();
      if (this.options.transactionalId) {
        this.transaction = await this.producer.transaction();
        // The broker's clock starts at the first send; counting from here errs on the safe side.
        this.transactionDeadline = Date.now() + config.transactionTimeoutMs - Math.min(30_000, config.transactionTimeoutMs / 10);
      }
    } catch (error) {
      throw this.failureOf(error, `connecting to Kafka at ${config.brokers.join(',')} failed: ${describeError(error)}`);
    }
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.throwIfUnusable();
    const { chunkSize } = this.options.config;
    for (const message of messages) {
      const headers = this.headers(message.headers);
      // An upper bound of the record's size (UTF-16 units to UTF-8 bytes at most triple), exact enough for the limit.
      const size = 3 * ((message.key?.length ?? 0) + message.value.length) + headers.bytes.length + 32;
      if (this.pending.count > 0 && this.pending.bytes + size > MAX_MESSAGE_BYTES) await this.sendPending();
      this.pending.add(topic, message.key, message.value, headers);
      if (this.pending.count >= chunkSize) await this.sendPending();
    }
  }

  async publishBatch(topic: string, batch: MessageBatch): Promise<void> {
    this.throwIfUnusable();
    const { chunkSize } = this.options.config;
    const headers = this.headers(batch.headers);
    for (let i = 0; i < batch.count; i++) {
      const key = batch.key(i);
      const maxValue = batch.maxValueBytes(i);
      if (this.pending.count > 0 && this.pending.bytes + 3 * (key?.length ?? 0) + maxValue + headers.bytes.length + 32 > MAX_MESSAGE_BYTES) await this.sendPending();
      this.pending.addWritten(topic, key, maxValue, (target, at) => batch.writeValue(i, target, at), headers);
      if (this.pending.count >= chunkSize) await this.sendPending();
    }
  }

  async flush(): Promise<PublishStats> {
    await this.sendPending();
    await this.inflight;
    this.throwIfUnusable();
    return this.stats();
  }

  async commit(): Promise<PublishStats> {
    await this.flush();
    if (this.transaction) {
      try {
        await this.transaction.commit();
      } catch (error) {
        throw this.failureOf(error, `committing the Kafka transaction failed: ${describeError(error)}`);
      }
      this.transaction = undefined;
    }
    return this.stats();
  }

  /** The shard's end-of-run record follows its data in a transaction of its own. */
  async beginTransaction(): Promise<void> {
    if (!this.options.transactionalId || this.transaction) return;
    this.transaction = await this.producer.transaction();
  }

  stats(): PublishStats {
    return {
      acknowledged: { ...this.counts.acknowledged },
      byPartition: Object.fromEntries(Object.entries(this.counts.byPartition).map(([topic, p]) => [topic, { ...p }])),
    };
  }

  async abort(): Promise<void> {
    this.discarded = true;
    this.pending.take();
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

  /** A refusal no retry can fix (SASL, TLS trust, ACLs) as its own error; anything else as retryable. */
  private failureOf(error: unknown, message: string): ScorerError {
    return kafkaSecurityFailure(error, this.options.config, this.brokerRefusals) ?? new PublishError(message, { retryable: true, cause: error });
  }

  private headers(headers: Record<string, string>): EncodedHeaders {
    let encoded = this.encodedHeaders.get(headers);
    if (!encoded) this.encodedHeaders.set(headers, (encoded = encodeHeaders(headers)));
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

  private async sendPending(): Promise<void> {
    await this.inflight;
    this.throwIfUnusable();
    if (this.pending.count === 0) return;
    const blocks = this.pending.take();
    const byTopic = new Map<string, BlockCarrier[]>();
    for (const { topic, partition, block } of blocks) {
      let carriers = byTopic.get(topic);
      if (!carriers) byTopic.set(topic, (carriers = []));
      carriers.push(blockCarrier(block, partition, this.sequences));
    }
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages: messages as never[] }));
    const sender: Sender = this.transaction ?? this.producer;
    const { config } = this.options;
    this.inflight = sender
      .sendBatch({ topicMessages, acks: -1, compression: config.compression === 'gzip' ? 1 : 0 })
      .then(() => {
        for (const { topic, partition, block } of blocks) {
          this.counts.acknowledged[topic] = (this.counts.acknowledged[topic] ?? 0) + block.count;
          const partitions = (this.counts.byPartition[topic] ??= {});
          partitions[partition] = (partitions[partition] ?? 0) + block.count;
        }
        // kafkajs is done with the request (a failed one is not, it may still be retrying: its blocks are dropped).
        this.pending.recycle(blocks.map((b) => b.block));
      })
      .catch((error: unknown) => {
        this.failure = this.failureOf(error, `producing to Kafka failed after retries: ${describeError(error)}`);
      });
  }
}
