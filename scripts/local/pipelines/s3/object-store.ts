// The S3 operations the executor needs, behind a small interface: the real one goes through the AWS SDK v3 to
// whatever endpoint is configured (the local emulator here, any S3 in principle); unit tests fake it. SDK errors
// are mapped to a few kinds that decide how SageMaker would classify the failure (client error vs. retryable).
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
}

export interface PutOptions {
  /** SSE-KMS: the key id (ARN, id or alias) from the job's KmsKeyId, passed on as S3 does it for SageMaker. */
  readonly kmsKeyId?: string;
}

export interface ObjectStore {
  list(bucket: string, prefix: string): AsyncIterable<ObjectSummary>;
  read(bucket: string, key: string): Promise<Buffer>;
  download(bucket: string, key: string, file: string, signal?: AbortSignal): Promise<void>;
  upload(bucket: string, key: string, file: string, options?: PutOptions): Promise<void>;
}

export type ObjectStoreErrorKind = 'NotFound' | 'AccessDenied' | 'Throttling' | 'ServiceFault' | 'Network' | 'Client';

export class ObjectStoreError extends Error {
  constructor(
    readonly kind: ObjectStoreErrorKind,
    readonly operation: string,
    readonly target: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${operation} ${target}: ${kind}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ObjectStoreError';
  }
  get retryable(): boolean {
    return this.kind === 'Throttling' || this.kind === 'ServiceFault' || this.kind === 'Network';
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** Connection-level failures; the SDK sometimes wraps them ("AWS SDK error wrapper for Error: connect ECONNREFUSED"). */
function isNetworkError(error: { name?: string; code?: string; message?: string; cause?: unknown }): boolean {
  if (error.name === 'TimeoutError') return true;
  const code = error.code ?? (error.cause as { code?: string } | undefined)?.code;
  if (code && NETWORK_CODES.has(code)) return true;
  return [...NETWORK_CODES].some((candidate) => error.message?.includes(candidate));
}

export function classifyS3Error(error: unknown, operation: string, target: string): ObjectStoreError {
  if (error instanceof ObjectStoreError) return error;
  const e = error as { name?: string; code?: string; message?: string; cause?: unknown; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  const detail = `${name}${e.message && e.message !== name ? `: ${e.message}` : ''}`;
  let kind: ObjectStoreErrorKind = 'Client';
  if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound' || status === 404) kind = 'NotFound';
  else if (name === 'AccessDenied' || status === 403) kind = 'AccessDenied';
  else if (e.$retryable?.throttling || name === 'SlowDown' || name === 'Throttling' || name === 'ThrottlingException' || status === 429 || status === 503) kind = 'Throttling';
  else if ((status !== undefined && status >= 500) || (error instanceof S3ServiceException && error.$fault === 'server')) kind = 'ServiceFault';
  else if (isNetworkError(e)) kind = 'Network';
  return new ObjectStoreError(kind, operation, target, detail, { cause: error });
}

export interface S3StoreConfig {
  readonly endpointUrl?: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function s3ObjectStore(config: S3StoreConfig): ObjectStore & { destroy(): void } {
  const client = new S3Client({
    region: config.region,
    credentials: config.credentials,
    ...(config.endpointUrl ? { endpoint: config.endpointUrl, forcePathStyle: true } : {}),
  });
  const guard = async <T>(operation: string, target: string, action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      throw classifyS3Error(error, operation, target);
    }
  };
  return {
    async *list(bucket, prefix) {
      let token: string | undefined;
      do {
        const page = await guard('ListObjectsV2', `s3://${bucket}/${prefix}`, () =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
        );
        for (const object of page.Contents ?? []) yield { key: object.Key!, size: object.Size ?? 0 };
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    read: (bucket, key) =>
      guard('GetObject', `s3://${bucket}/${key}`, async () => {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await response.Body!.transformToByteArray());
      }),
    download: (bucket, key, file, signal) =>
      guard('GetObject', `s3://${bucket}/${key}`, async () => {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
        await pipeline(response.Body as Readable, createWriteStream(file), { signal });
      }),
    upload: (bucket, key, file, options = {}) =>
      guard('PutObject', `s3://${bucket}/${key}`, async () => {
        const { size } = await stat(file);
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: createReadStream(file),
            ContentLength: size,
            ...(options.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyId } : {}),
          }),
        );
      }),
    destroy: () => client.destroy(),
  };
}
