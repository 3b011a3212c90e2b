import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { MlflowAuth } from '../config/schema';
import { RequestAuthenticator, authenticator, trackingBaseUrl } from './auth';
import { MlflowError } from './errors';

export interface ModelVersion {
  name: string;
  version: string;
  source?: string;
  run_id?: string;
  status?: string;
  aliases?: string[];
  tags?: { key: string; value: string }[];
  creation_timestamp?: number;
  [key: string]: unknown;
}

export interface ArtifactFile {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface MlflowClientOptions {
  trackingUri: string;
  auth: MlflowAuth;
  timeoutMs?: number;
  /** Extra attempts for retryable failures (network, 429, 5xx), with exponential backoff. */
  retries?: number;
  /** Only needed when a download URI points at S3 directly instead of the artifacts proxy. */
  s3?: S3Client;
  fetchImpl?: typeof fetch;
  authenticate?: RequestAuthenticator;
}

const ARTIFACTS_API = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * A small typed client for the MLflow REST API (registry and artifacts proxy). Every call goes through the
 * documented endpoints: artifact locations come from the server, never from guessed paths.
 */
export class MlflowClient {
  private readonly baseUrl: string;
  private readonly authenticate: RequestAuthenticator;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly s3: S3Client | undefined;

  constructor(options: MlflowClientOptions) {
    this.baseUrl = trackingBaseUrl(options.trackingUri, options.auth);
    this.authenticate = options.authenticate ?? authenticator(options.auth);
    this.fetchImpl = options.fetchImpl ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.s3 = options.s3;
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    try {
      const body = await this.json<{ model_version: ModelVersion }>('GET', '/api/2.0/mlflow/registered-models/alias', { query: { name, alias } });
      return body.model_version;
    } catch (error) {
      // MLflow answers a missing alias (of an existing model) with 400 INVALID_PARAMETER_VALUE "... alias X not found".
      if (error instanceof MlflowError && error.status === 400 && /alias .* not found/i.test(error.message)) {
        throw new MlflowError(`model "${name}" has no alias "${alias}": ${error.message}`, {
          status: 404,
          errorCode: 'RESOURCE_DOES_NOT_EXIST',
          retryable: false,
          cause: error,
        });
      }
      throw error;
    }
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const body = await this.json<{ model_version: ModelVersion }>('GET', '/api/2.0/mlflow/model-versions/get', { query: { name, version } });
    return body.model_version;
  }

  async getDownloadUri(name: string, version: string): Promise<string> {
    const body = await this.json<{ artifact_uri: string }>('GET', '/api/2.0/mlflow/model-versions/get-download-uri', {
      query: { name, version },
    });
    return body.artifact_uri;
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.json('POST', '/api/2.0/mlflow/registered-models/alias', { body: { name, alias, version } });
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.json('POST', '/api/2.0/mlflow/model-versions/set-tag', { body: { name, version, key, value } });
  }

  /** All pages of a model version search, e.g. filter `name='churn'`. */
  async searchModelVersions(filter: string, options: { maxResults?: number; orderBy?: string[] } = {}): Promise<ModelVersion[]> {
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string | string[]> = { filter, max_results: String(options.maxResults ?? 1000) };
      if (options.orderBy) query.order_by = options.orderBy;
      if (pageToken) query.page_token = pageToken;
      const body = await this.json<{ model_versions?: ModelVersion[]; next_page_token?: string }>(
        'GET',
        '/api/2.0/mlflow/model-versions/search',
        { query },
      );
      versions.push(...(body.model_versions ?? []));
      pageToken = body.next_page_token || undefined;
    } while (pageToken);
    return versions;
  }

  /** Lists the direct children of `relativePath` under an artifact URI (from getDownloadUri). */
  async listArtifacts(artifactUri: string, relativePath = ''): Promise<ArtifactFile[]> {
    const location = parseArtifactUri(artifactUri);
    const full = joinPath(location.path, relativePath);
    if (location.kind === 's3') return this.listS3(location.bucket, full);
    const body = await this.json<{ files?: ArtifactFile[] }>('GET', ARTIFACTS_API, { query: { path: full } });
    // The proxy answers with paths relative to the listed folder; callers want them relative to the artifact URI.
    return (body.files ?? []).map((file) => ({ ...file, path: joinPath(relativePath, path.posix.basename(file.path)) }));
  }

  /** Streams one artifact to `destination` (written to a temp name first, so a failed download leaves no partial file). */
  async downloadArtifact(artifactUri: string, relativePath: string, destination: string): Promise<void> {
    const location = parseArtifactUri(artifactUri);
    const full = joinPath(location.path, relativePath);
    await mkdir(path.dirname(destination), { recursive: true });
    const partial = `${destination}.partial`;
    const source = await this.withRetries(async () => {
      if (location.kind === 's3') return this.s3Object(location.bucket, full);
      const response = await this.send('GET', `${ARTIFACTS_API}/${full.split('/').map(encodeURIComponent).join('/')}`, {});
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

  private async json<T = unknown>(
    method: 'GET' | 'POST',
    apiPath: string,
    options: { query?: Record<string, string | string[]>; body?: unknown },
  ): Promise<T> {
    return this.withRetries(async () => {
      const response = await this.send(method, apiPath, options);
      const text = await response.text();
      try {
        return (text ? JSON.parse(text) : {}) as T;
      } catch (error) {
        throw new MlflowError(`${method} ${apiPath} answered with non-JSON: ${text.slice(0, 200)}`, { retryable: false, cause: error });
      }
    });
  }

  private async send(
    method: string,
    apiPath: string,
    options: { query?: Record<string, string | string[]>; body?: unknown },
  ): Promise<Response> {
    const url = new URL(`${this.baseUrl}${apiPath}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
    }
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const baseHeaders: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const headers = await this.authenticate({ method, url, headers: baseHeaders, body });
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new MlflowError(`MLflow at ${url.origin} is unreachable (${method} ${apiPath})`, { retryable: true, cause: error });
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let errorCode: string | undefined;
    let detail = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error_code?: string; message?: string };
      errorCode = parsed.error_code;
      detail = parsed.message ?? detail;
    } catch {
      // Not JSON (a proxy's HTML error page): the raw text is the best detail we have.
    }
    throw new MlflowError(`${method} ${apiPath} failed with HTTP ${response.status}${errorCode ? ` ${errorCode}` : ''}: ${detail}`, {
      status: response.status,
      errorCode,
      retryable: response.status === 429 || response.status >= 500,
    });
  }

  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        const retryable = error instanceof MlflowError ? error.retryable : false;
        if (!retryable || tries >= this.retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** tries, 5_000)));
      }
    }
  }

  private requireS3(): S3Client {
    if (!this.s3) throw new MlflowError('the model artifacts are on S3 but no S3 client was given to MlflowClient', { retryable: false });
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
