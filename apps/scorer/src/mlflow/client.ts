import type { S3Client } from '@aws-sdk/client-s3';
import { ArtifactFile, ArtifactStore } from './artifacts';
import { MlflowError } from './errors';
import { MlflowTransport, MlflowTransportOptions } from './transport';

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

export interface MlflowClientOptions extends MlflowTransportOptions {
  /** Only needed when a download URI points at S3 directly instead of the artifacts proxy. */
  s3?: S3Client;
}

/**
 * A small typed client for the MLflow model registry and its artifacts. Every call goes through the documented
 * endpoints: artifact locations come from the server, never from guessed paths.
 */
export class MlflowClient {
  /** The connection, for callers that need more of the REST API (the promotion's runs and logged models). */
  readonly transport: MlflowTransport;
  readonly artifacts: ArtifactStore;

  constructor(options: MlflowClientOptions) {
    this.transport = new MlflowTransport(options);
    this.artifacts = new ArtifactStore(this.transport, options.s3);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    try {
      const body = await this.transport.json<{ model_version: ModelVersion }>('GET', '/api/2.0/mlflow/registered-models/alias', { query: { name, alias } });
      return body.model_version;
    } catch (error) {
      // MLflow's basic-auth app answers an alias lookup on a model that does not exist with 403, as if permission
      // were missing; the model lookup tells the two apart (404 when there is no such model).
      if (error instanceof MlflowError && error.status === 403 && (await this.registeredModelMissing(name))) {
        throw new MlflowError(`model "${name}" does not exist in the registry (so it has no alias "${alias}")`, {
          status: 404,
          errorCode: 'RESOURCE_DOES_NOT_EXIST',
          retryable: false,
          cause: error,
        });
      }
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

  private async registeredModelMissing(name: string): Promise<boolean> {
    try {
      await this.transport.json('GET', '/api/2.0/mlflow/registered-models/get', { query: { name } });
      return false;
    } catch (error) {
      return error instanceof MlflowError && error.notFound;
    }
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const body = await this.transport.json<{ model_version: ModelVersion }>('GET', '/api/2.0/mlflow/model-versions/get', { query: { name, version } });
    return body.model_version;
  }

  async getDownloadUri(name: string, version: string): Promise<string> {
    const body = await this.transport.json<{ artifact_uri: string }>('GET', '/api/2.0/mlflow/model-versions/get-download-uri', {
      query: { name, version },
    });
    return body.artifact_uri;
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.transport.json('POST', '/api/2.0/mlflow/registered-models/alias', { body: { name, alias, version } });
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.transport.json('POST', '/api/2.0/mlflow/model-versions/set-tag', { body: { name, version, key, value } });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.transport.json('DELETE', '/api/2.0/mlflow/model-versions/delete-tag', { body: { name, version, key } });
  }

  /** Creates the registered model; an existing one is fine (returns false). */
  async ensureRegisteredModel(name: string): Promise<boolean> {
    try {
      await this.transport.json('POST', '/api/2.0/mlflow/registered-models/create', { body: { name } });
      return true;
    } catch (error) {
      if (error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS') return false;
      throw error;
    }
  }

  /** A new version of `name` from `source` (for an MLflow 3 logged model: `models:/<model_id>` plus modelId), with its tags. */
  async createModelVersion(
    name: string,
    source: string,
    options: { runId?: string; modelId?: string; tags?: Record<string, string>; description?: string } = {},
  ): Promise<ModelVersion> {
    const body = await this.transport.json<{ model_version: ModelVersion }>('POST', '/api/2.0/mlflow/model-versions/create', {
      body: {
        name,
        source,
        ...(options.runId ? { run_id: options.runId } : {}),
        ...(options.modelId ? { model_id: options.modelId } : {}),
        ...(options.description ? { description: options.description } : {}),
        tags: Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
      },
    });
    return body.model_version;
  }

  /** All pages of a model version search, e.g. filter `name='churn'`. */
  async searchModelVersions(filter: string, options: { maxResults?: number; orderBy?: string[] } = {}): Promise<ModelVersion[]> {
    const versions: ModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, string | string[]> = { filter, max_results: String(options.maxResults ?? 1000) };
      if (options.orderBy) query.order_by = options.orderBy;
      if (pageToken) query.page_token = pageToken;
      const body = await this.transport.json<{ model_versions?: ModelVersion[]; next_page_token?: string }>(
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
  listArtifacts(artifactUri: string, relativePath = ''): Promise<ArtifactFile[]> {
    return this.artifacts.list(artifactUri, relativePath);
  }

  /** Streams one artifact to `destination` (written to a temp name first, so a failed download leaves no partial file). */
  downloadArtifact(artifactUri: string, relativePath: string, destination: string): Promise<void> {
    return this.artifacts.download(artifactUri, relativePath, destination);
  }
}
