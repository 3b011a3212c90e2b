// Entry point of the producer thread (see threaded-publisher.ts): owns the kafkajs producer.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parentPort, workerData } from 'node:worker_threads';
import { ScorerError, describeError } from '../errors';
import type { Logger } from '../log';
import { saslOptions } from './kafka-auth';
import { KafkaPublisher } from './kafka-publisher';
import { decodeMessages } from './message-batch';
import type { ProducerReply, ProducerRequest, ProducerThreadData } from './worker-protocol';

const port = parentPort!;
const data = workerData as ProducerThreadData;
const post = (message: ProducerReply) => port.postMessage(message);
const log: Logger = {
  info: (event, fields) => post({ kind: 'log', level: 'info', event, fields }),
  warn: (event, fields) => post({ kind: 'log', level: 'warn', event, fields }),
  error: (event, fields) => post({ kind: 'log', level: 'error', event, fields }),
};

let publisher: KafkaPublisher | undefined;
const encodedHeaders = new Map<string, Record<string, Buffer>>();
function headerBuffers(headers: Record<string, string>): Record<string, Buffer> {
  const id = JSON.stringify(headers);
  let encoded = encodedHeaders.get(id);
  if (!encoded) {
    if (encodedHeaders.size >= 64) encodedHeaders.clear(); // a run has one; bounded whatever the caller does
    encoded = publisher!.headerBuffers(headers);
    encodedHeaders.set(id, encoded);
  }
  return encoded;
}
const empty = { acknowledged: {} };

async function handle(request: ProducerRequest): Promise<void> {
  switch (request.op) {
    case 'start': {
      const sasl = await saslOptions(data.config.auth, () => new SecretsManagerClient(data.aws));
      publisher = new KafkaPublisher({ config: data.config, log, sasl });
      return publisher.start();
    }
    case 'publish':
      // The headers objects arrive as fresh clones on every call; the cache keyed by their content keeps
      // the encoded header Buffers one per run, not one per record.
      return publisher!.publishRecords(request.topic, decodeMessages(request.messages, headerBuffers));
    case 'commit':
      await publisher!.commit();
      return;
    case 'abort':
      return publisher!.abort();
    case 'close':
      return publisher?.close();
  }
}

// Requests are handled one at a time, in order, like calls on the publisher itself.
let queue = Promise.resolve();
port.on('message', (request: ProducerRequest) => {
  queue = queue.then(async () => {
    try {
      await handle(request);
      post({ kind: 'reply', id: request.id, ok: true, stats: publisher?.stats() ?? empty });
    } catch (error) {
      post({
        kind: 'reply',
        id: request.id,
        ok: false,
        stats: publisher?.stats() ?? empty,
        error: {
          name: error instanceof Error ? error.name : 'Error',
          code: error instanceof ScorerError ? error.code : 'PUBLISH_FAILED',
          message: describeError(error),
          retryable: error instanceof ScorerError ? error.retryable : false,
        },
      });
    }
  });
});
