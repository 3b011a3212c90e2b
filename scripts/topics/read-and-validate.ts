// Reads the prediction topic with a throwaway consumer group and validates every message against the
// contract. Used by `npm run topic:read` and by the local nightly run; returns counts that reconcile:
// read = valid + invalid, and per model version likewise.
import { randomUUID } from 'node:crypto';
import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
import type { LogFields } from '../../apps/scorer/src/log';
import { BrokerRefusals, isKafkaSecurityFailure } from '../../apps/scorer/src/publish/kafka-errors';
import { kafkaLogCreator } from '../../apps/scorer/src/publish/kafka-log';
import { MessageValidator, RawMessage, Verdict, loadContractValidator } from './contract';

export type Isolation = 'read_committed' | 'read_uncommitted';

export interface ReadAndValidateOptions {
  brokers: string[];
  topic: string;
  /** Default read_committed: aborted (failed) scorer runs stay invisible, as for real consumers. */
  isolation?: Isolation;
  /** Start at the earliest offset; otherwise only messages produced after the reader joined are seen. */
  fromBeginning?: boolean;
  /** Stop after this many messages. */
  max?: number;
  /** Stop once no message has arrived for this long after joining (default 10 s). */
  idleTimeoutMs?: number;
  /** Give up when joining the consumer group takes longer than this (default 60 s). */
  joinTimeoutMs?: number;
  /** The contract; loaded from docs/prediction-message.schema.json unless given. */
  validator?: MessageValidator;
  schemaPath?: string;
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
  /** Called for each message in order of arrival (e.g. to print it). */
  onMessage?: (message: ReadMessage) => void;
}

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  timestamp: string;
  verdict: Verdict;
}

export interface VersionCounts {
  valid: number;
  invalid: number;
}

export interface ReadSummary {
  topic: string;
  isolation: Isolation;
  read: number;
  valid: number;
  invalid: number;
  byModelVersion: Record<string, VersionCounts>;
  /** Messages per run id (the value's run.id) and partition: what the end-of-run records are compared with. */
  byRun: Record<string, { messages: number; partitions: Record<string, number> }>;
  /** The first invalid messages (at most 20) with their problems, to show without flooding the terminal. */
  invalidSamples: Array<{ partition: number; offset: string; key: string | null; problems: string[] }>;
  stoppedBecause: 'max' | 'idle';
  elapsedMs: number;
}

/** Every reader's throwaway consumer group starts with this: what a consumer's group ACL must allow (READ, DELETE). */
export const READER_GROUP_PREFIX = 'topic-reader-';

export class TopicReadError extends Error {
  constructor(message: string, readonly retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TopicReadError';
  }
}

export async function readAndValidate(options: ReadAndValidateOptions): Promise<ReadSummary> {
  const started = Date.now();
  const isolation = options.isolation ?? 'read_committed';
  const idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
  const validator = options.validator ?? (await loadContractValidator(options.schemaPath));
  const refusals = new BrokerRefusals();
  const kafka = new Kafka({
    clientId: 'topic-reader',
    brokers: options.brokers,
    logLevel: logLevel.ERROR,
    // The scorer's filter: without it a fresh broker's retried "group coordinator is not available" shows as an error.
    // Every line is also noted for the broker's refusals that kafkajs logs but does not pass on (kafka-errors.ts).
    logCreator: kafkaLogCreator({ warn: printKafkaLine, error: printKafkaLine }, (entry) => refusals.note(entry.error)),
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
  });

  await assertTopicExists(kafka, options.topic);

  const groupId = `${READER_GROUP_PREFIX}${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: isolation === 'read_uncommitted', allowAutoTopicCreation: false });
  const summary: ReadSummary = { topic: options.topic, isolation, read: 0, valid: 0, invalid: 0, byModelVersion: {}, byRun: {}, invalidSamples: [], stoppedBecause: 'idle', elapsedMs: 0 };

  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let idleTimer: NodeJS.Timeout | undefined;
  const armIdleTimer = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(finish, idleTimeoutMs);
  };
  let joined = false;
  let crashed: unknown;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
    armIdleTimer();
  });
  consumer.on(consumer.events.CRASH, (event) => {
    // kafkajs restarts the consumer itself after retriable errors (e.g. a coordinator still loading on a
    // fresh broker); only a crash it will not recover from ends the read.
    if (event.payload.restart) return;
    crashed = event.payload.error;
    finish();
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        // A fetched batch may still deliver after the limit was reached; those are not counted.
        if (options.max !== undefined && summary.read >= options.max) return;
        const raw: RawMessage = { key: message.key, value: message.value, headers: message.headers ?? {} };
        const verdict = validator(raw);
        const key = message.key?.toString('utf8') ?? null;
        summary.read += 1;
        const counts = (summary.byModelVersion[verdict.modelVersion] ??= { valid: 0, invalid: 0 });
        const runId = (verdict.value as { run?: { id?: unknown } } | undefined)?.run?.id;
        if (typeof runId === 'string') {
          const run = (summary.byRun[runId] ??= { messages: 0, partitions: {} });
          run.messages += 1;
          run.partitions[partition] = (run.partitions[partition] ?? 0) + 1;
        }
        if (verdict.valid) {
          summary.valid += 1;
          counts.valid += 1;
        } else {
          summary.invalid += 1;
          counts.invalid += 1;
          if (summary.invalidSamples.length < 20) summary.invalidSamples.push({ partition, offset: message.offset, key, problems: verdict.problems });
        }
        options.onMessage?.({ partition, offset: message.offset, key, timestamp: message.timestamp, verdict });
        if (options.max !== undefined && summary.read >= options.max) {
          summary.stoppedBecause = 'max';
          finish();
        } else {
          armIdleTimer();
        }
      },
    });
    const joinTimeoutMs = options.joinTimeoutMs ?? 60_000;
    const joinGuard = setTimeout(() => {
      if (!joined) {
        crashed = new TopicReadError(`The reader did not join its consumer group within ${joinTimeoutMs} ms (is the broker ${options.brokers.join(',')} healthy?)`, true);
        finish();
      }
    }, joinTimeoutMs);
    await finished;
    clearTimeout(joinGuard);
  } finally {
    if (idleTimer) clearTimeout(idleTimer);
    await consumer.disconnect();
  }
  if (crashed) {
    if (crashed instanceof TopicReadError) throw crashed;
    const refused = refusals.lastRefusal;
    if (refused || isKafkaSecurityFailure(crashed)) {
      const why = refused ? ` (${refused.type}: ${refused.message})` : '';
      throw new TopicReadError(`The Kafka broker refused the reader${why}: its user needs READ on topic ${options.topic} and READ and DELETE on consumer groups prefixed ${READER_GROUP_PREFIX}`, false, { cause: crashed });
    }
    throw new TopicReadError(`Reading ${options.topic} failed`, true, { cause: crashed });
  }
  await deleteGroup(kafka, groupId);
  summary.elapsedMs = Date.now() - started;
  return summary;
}

async function assertTopicExists(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      // With ACLs the broker lists only the topics this user may describe.
      throw new TopicReadError(`Topic ${topic} does not exist on the broker, or this user may not read it (topics it can see: ${topics.filter((t) => !t.startsWith('__')).join(', ') || 'none'})`, false);
    }
  } catch (error) {
    if (error instanceof TopicReadError) throw error;
    // Refused credentials, an untrusted certificate or an ACL denial stay that way until someone changes them.
    if (isKafkaSecurityFailure(error)) throw new TopicReadError(`The Kafka broker refused the reader (TLS, SASL or ACLs) while looking up topic ${topic}`, false, { cause: error });
    throw new TopicReadError(`Could not reach the Kafka broker to look up topic ${topic}`, true, { cause: error });
  } finally {
    await admin.disconnect();
  }
}

// The reader's group is throwaway: remove it so that debugging sessions do not accumulate groups on the broker.
async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch (error) {
    throw new TopicReadError(`Read the topic, but could not delete the reader's consumer group ${groupId}`, true, { cause: error });
  } finally {
    await admin.disconnect();
  }
}

function printKafkaLine(_event: string, fields: LogFields = {}): void {
  process.stderr.write(`kafka: ${String(fields.message)}${fields.error ? ` (${String(fields.error)})` : ''}\n`);
}
