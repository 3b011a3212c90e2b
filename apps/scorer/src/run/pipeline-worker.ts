// Entry point of a pipeline thread (see thread-pipeline.ts): one LocalPipeline with its own Kafka producer and model.
import type { S3Client } from '@aws-sdk/client-s3';
import { parentPort, workerData } from 'node:worker_threads';
import type { DeadLetterMessage } from '../contract';
import { ScorerError, describeError } from '../errors';
import { DecodePermit } from '../input/decode-permit';
import { openInputFile } from '../input/read-files';
import { newS3Client } from '../input/s3-files';
import type { Logger } from '../log';
import { OnnxModel } from '../model/onnx-model';
import { saslOptions } from '../publish/kafka-auth';
import { KafkaPublisher } from '../publish/kafka-publisher';
import { LocalPipeline } from './pipeline';
import type { PipelineMessage, PipelineRequest, PipelineThreadData } from './pipeline-protocol';

const port = parentPort!;
const data = workerData as PipelineThreadData;
const post = (message: PipelineMessage) => port.postMessage(message);
const log: Logger = {
  info: (event, fields) => post({ kind: 'log', level: 'info', event, fields }),
  warn: (event, fields) => post({ kind: 'log', level: 'warn', event, fields }),
  error: (event, fields) => post({ kind: 'log', level: 'error', event, fields }),
};

const { config } = data;
const aws = { region: config.aws.region, endpoint: config.aws.endpointUrl };
let s3: S3Client | undefined;
let nextWrite = 1;
const writes = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

/** The shard's rejected rows file is the main thread's: rows go there and the pipeline waits until they are written. */
const rejectedRows = {
  write: (rows: DeadLetterMessage[]) =>
    new Promise<void>((resolve, reject) => {
      const id = nextWrite++;
      writes.set(id, { resolve, reject });
      post({ kind: 'rejected', id, rows });
    }),
};

let pipeline: LocalPipeline | undefined;

async function create(): Promise<LocalPipeline> {
  // The AWS SDK is loaded only when needed (SCRAM secret, S3 input): each pipeline thread would pay its memory.
  const { SecretsManagerClient } = config.kafka.auth.kind.startsWith('scram') ? await import('@aws-sdk/client-secrets-manager') : { SecretsManagerClient: undefined };
  const sasl = await saslOptions(config.kafka.auth, () => new SecretsManagerClient!(aws));
  const publisher = new KafkaPublisher({ config: config.kafka, transactionalId: data.identity.transactionalId ?? undefined, partitions: new Map(data.partitions), sasl, log });
  return new LocalPipeline({
    identity: data.identity,
    schema: data.model.featureSchema,
    loadModel: () => OnnxModel.load(data.model.onnxPath, data.model.featureSchema, data.model.threads),
    publisher,
    rejectedRows,
    run: data.run,
    records: { run: data.run, shards: config.shards, topic: config.kafka.topic, deadLetterTopic: config.kafka.dlqTopic, runsTopic: config.kafka.runsTopic },
    batchSize: config.batchSize,
    now: () => new Date(),
    openFile: (file) => openInputFile(file, () => (s3 ??= newS3Client(config.aws))),
    decodePermit: new DecodePermit(data.decodePermit),
    onProgress: (progress) => post({ kind: 'progress', progress }),
  });
}

async function handle(request: Exclude<PipelineRequest, { op: 'written' }>): Promise<unknown> {
  switch (request.op) {
    case 'start':
      pipeline = await create();
      return pipeline.start();
    case 'score':
      return pipeline!.score(request.file);
    case 'finish':
      return pipeline!.finish();
    case 'commit':
      return pipeline!.commit();
    case 'shardRecord':
      return pipeline!.publishShardRecord(request.record);
    case 'abort':
      return pipeline?.abort();
    case 'close':
      s3?.destroy();
      return pipeline?.close();
  }
}

// Requests run as they come (an abort must not wait for the file being scored); the main thread orders the rest.
port.on('message', (request: PipelineRequest) => {
  if (request.op === 'written') {
    const waiter = writes.get(request.id);
    writes.delete(request.id);
    if (request.error === undefined) waiter?.resolve();
    else waiter?.reject(new Error(request.error));
    return;
  }
  handle(request).then(
    (result) => post({ kind: 'reply', id: request.id, ok: true, result }),
    (error: unknown) =>
      post({
        kind: 'reply',
        id: request.id,
        ok: false,
        error: {
          name: error instanceof Error ? error.name : 'Error',
          code: error instanceof ScorerError ? error.code : 'UNEXPECTED',
          message: describeError(error),
          retryable: error instanceof ScorerError ? error.retryable : false,
        },
      }),
  );
});
