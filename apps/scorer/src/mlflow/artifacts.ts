// A model's files where the registry says they are: behind the MLflow artifacts proxy (`mlflow-artifacts:` URIs,
// self-hosted servers started with --serve-artifacts) or directly on S3 (`s3://`, e.g. SageMaker managed MLflow).
// Locations always come from the server (a download URI, a logged model's artifact URI): never guessed.
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MlflowError } from './errors';
import type { MlflowTransport } from './transport';

export interface ArtifactFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

const ARTIFACTS_API = '/api/2.0/mlflow-artifacts/artifacts';

export class ArtifactStore {
  constructor(
    private readonly transport: MlflowTransport,
    /** Only needed when an artifact URI points at S3 directly instead of the artifacts proxy. */
    private readonly s3?: S3Client,
  ) {}

  /** Lists the direct children of `relativePath` under an artifact URI, with paths relative to the URI. */
  async list(artifactUri: string, relativePath = ''): Promise<ArtifactFile[]> {
    const location = parseArtifactUri(artifactUri);
    const full = joinPath(location.path, relativePath);
    if (location.kind === 's3') {
      return (await this.listS3(location.bucket, full)).map((file) => ({ ...file, path: joinPath(relativePath, file.path) }));
    }
    const body = await this.transport.json<{ files?: ArtifactFile[] }>('GET', ARTIFACTS_API, { query: { path: full } });
    // The proxy answers with paths relative to the listed folder; callers want them relative to the artifact URI.
    return (body.files ?? []).map((file) => ({ ...file, path: joinPath(relativePath, path.posix.basename(file.path)) }));
  }

  /** Every file (not folder) under an artifact URI, depth first, paths relative to the URI. */
  async listTree(artifactUri: string, relativePath = ''): Promise<ArtifactFile[]> {
    const files: ArtifactFile[] = [];
    for (const entry of await this.list(artifactUri, relativePath)) {
      if (entry.is_dir) files.push(...(await this.listTree(artifactUri, entry.path)));
      else files.push(entry);
    }
    return files;
  }

  /** Streams one artifact to `destination` (written to a temp name first, so a failed download leaves no partial file). */
  async download(artifactUri: string, relativePath: string, destination: string): Promise<void> {
    const location = parseArtifactUri(artifactUri);
    const full = joinPath(location.path, relativePath);
    await mkdir(path.dirname(destination), { recursive: true });
    const partial = `${destination}.partial`;
    const source = await this.transport.withRetries(async () => {
      if (location.kind === 's3') return this.s3Object(location.bucket, full);
      const response = await this.transport.send('GET', `${ARTIFACTS_API}/${encodePath(full)}`);
      if (!response.body) throw new MlflowError(`artifact ${full} has no body`, { retryable: true });
      return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    });
    try {
      await pipeline(source, createWriteStream(partial));
    } catch (error) {
      throw new MlflowError(`downloading artifact ${full} failed`, { retryable: true, cause: error });
    }
    await rename(partial, destination);
  }

  /** Writes one artifact under an artifact URI (e.g. a logged model's) through the proxy or to S3. */
  async upload(artifactUri: string, relativePath: string, bytes: Uint8Array): Promise<void> {
    const location = parseArtifactUri(artifactUri);
    const full = joinPath(location.path, relativePath);
    if (location.kind === 's3') {
      try {
        await this.requireS3().send(new PutObjectCommand({ Bucket: location.bucket, Key: full, Body: bytes }));
      } catch (error) {
        throw new MlflowError(`writing s3://${location.bucket}/${full} failed`, { retryable: isRetryableAws(error), cause: error });
      }
      return;
    }
    await this.transport.withRetries(async () => {
      await this.transport.send('PUT', `${ARTIFACTS_API}/${encodePath(full)}`, { bytes });
    });
  }

  private requireS3(): S3Client {
    if (!this.s3) throw new MlflowError('the model artifacts are on S3 but no S3 client was given to the MLflow client', { retryable: false });
    return this.s3;
  }

  private async listS3(bucket: string, prefix: string): Promise<ArtifactFile[]> {
    const base = prefix ? `${prefix.replace(/\/+$/, '')}/` : '';
    const files: ArtifactFile[] = [];
    let token: string | undefined;
    do {
      const page = await this.requireS3().send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: base, Delimiter: '/', ContinuationToken: token }),
      );
      for (const common of page.CommonPrefixes ?? []) files.push({ path: common.Prefix!.slice(base.length).replace(/\/$/, ''), is_dir: true });
      for (const object of page.Contents ?? []) files.push({ path: object.Key!.slice(base.length), is_dir: false, file_size: object.Size });
      token = page.NextContinuationToken;
    } while (token);
    return files;
  }

  private async s3Object(bucket: string, key: string): Promise<Readable> {
    try {
      const object = await this.requireS3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return object.Body as Readable;
    } catch (error) {
      throw new MlflowError(`s3://${bucket}/${key} could not be read`, { retryable: false, cause: error });
    }
  }
}

type ArtifactLocation = { kind: 'proxy'; path: string } | { kind: 's3'; bucket: string; path: string };

/** Accepts what the registry hands out: `mlflow-artifacts:/...`, `mlflow-artifacts://host/...`, or `s3://bucket/...`. */
export function parseArtifactUri(uri: string): ArtifactLocation {
  const proxy = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri);
  if (proxy) return { kind: 'proxy', path: proxy[1].replace(/\/+$/, '') };
  const s3 = /^s3:\/\/([^/]+)\/*(.*)$/.exec(uri);
  if (s3) return { kind: 's3', bucket: s3[1], path: s3[2].replace(/\/+$/, '') };
  throw new MlflowError(
    `artifact URI "${uri}" is not served through the MLflow artifacts proxy or S3; start the server with --serve-artifacts`,
    { retryable: false },
  );
}

const joinPath = (...parts: string[]) => parts.filter((p) => p.length > 0).join('/');
const encodePath = (full: string) => full.split('/').map(encodeURIComponent).join('/');

function isRetryableAws(error: unknown): boolean {
  const meta = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return meta.$retryable !== undefined || (meta.$metadata?.httpStatusCode ?? 0) >= 500;
}
