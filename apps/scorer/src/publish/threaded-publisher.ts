import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PublishError, ScorerError } from '../errors';
import type { Logger } from '../log';
import { encodeMessages, transferables } from './message-batch';
import type { OutgoingMessage, PredictionPublisher, PublishStats } from './publisher';
import type { ProducerReply, ProducerRequest, ProducerThreadData } from './worker-protocol';

// Same extension as this file: kafka-worker.js in the built image; kafka-worker.ts when run from source with tsx,
// whose loader workers do not inherit, so the worker registers tsx's require hook before loading it.
const WORKER_FILE = path.join(__dirname, `kafka-worker${path.extname(__filename)}`);

function startWorker(workerData: ProducerThreadData): Worker {
  if (!WORKER_FILE.endsWith('.ts')) return new Worker(WORKER_FILE, { workerData });
  const bootstrap = `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(WORKER_FILE)});`;
  return new Worker(bootstrap, { eval: true, workerData });
}

class ThreadError extends ScorerError {}

type Request = ProducerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/**
 * The Kafka publisher on its own thread. kafkajs encodes every record in JavaScript, which costs about as much CPU
 * as reading, validating and scoring the row; on a second thread the two overlap. Calls keep the publisher's
 * semantics: one request at a time, and `publish` resolves only when the producer thread accepted the messages,
 * so its bounded buffer still paces the reading.
 */
export class ThreadedPublisher implements PredictionPublisher {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private lastStats: PublishStats = { acknowledged: {} };
  private exited: Error | undefined;

  constructor(data: ProducerThreadData, private readonly log: Logger) {
    this.worker = startWorker(data);
    this.worker.on('message', (message: ProducerReply) => this.onMessage(message));
    this.worker.on('error', (error) => this.failAll(new PublishError('the producer thread crashed', { retryable: true, cause: error })));
    this.worker.on('exit', (code) => this.failAll(new PublishError(`the producer thread exited (code ${code})`, { retryable: true })));
  }

  start(): Promise<void> {
    return this.call({ op: 'start' });
  }

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const encoded = encodeMessages(messages);
    return this.call({ op: 'publish', topic, messages: encoded }, transferables(encoded));
  }

  async commit(): Promise<PublishStats> {
    await this.call({ op: 'commit' });
    return this.stats();
  }

  abort(): Promise<void> {
    return this.call({ op: 'abort' });
  }

  stats(): PublishStats {
    return { acknowledged: { ...this.lastStats.acknowledged } };
  }

  async close(): Promise<void> {
    try {
      if (!this.exited) await this.call({ op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  private call(request: Request, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id } as ProducerRequest, transfer);
    });
  }

  private onMessage(message: ProducerReply): void {
    if (message.kind === 'log') {
      this.log[message.level](message.event, message.fields);
      return;
    }
    this.lastStats = message.stats;
    const waiter = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (!waiter) return;
    if (message.ok) waiter.resolve();
    else {
      const { code, message: text, retryable, name } = message.error;
      const error = new ThreadError(code, text, { retryable });
      error.name = name;
      waiter.reject(error);
    }
  }

  private failAll(error: Error): void {
    this.exited ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
