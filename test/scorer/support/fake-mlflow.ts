import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './contract-validator';

export const TINY_MODEL_DIR = path.join(REPO_ROOT, 'test/scorer/fixtures/tiny-model');

export interface FakeMlflowCall {
  method: string;
  url: URL;
  headers: Record<string, string>;
}

/**
 * A fetch that answers like the MLflow REST API for one registered model (`churn`, version 4, alias champion)
 * whose artifacts are the tiny fixture model, served through the artifacts proxy.
 */
export function fakeMlflowFetch(options: { aliases?: Record<string, string>; failWith?: number } = {}) {
  const calls: FakeMlflowCall[] = [];
  const aliases = options.aliases ?? { champion: '4' };
  const artifactRoot = '1/models/m-abc/artifacts';
  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    calls.push({ method: init?.method ?? 'GET', url, headers: (init?.headers ?? {}) as Record<string, string> });
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (options.failWith) return json(options.failWith, { error_code: 'INTERNAL_ERROR', message: 'boom' });
    const q = url.searchParams;
    switch (url.pathname) {
      case '/api/2.0/mlflow/registered-models/alias': {
        const version = aliases[q.get('alias') ?? ''];
        if (q.get('name') !== 'churn') return json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Registered Model with name=${q.get('name')} not found` });
        // What MLflow 3 answers for a missing alias of an existing model.
        if (!version) return json(400, { error_code: 'INVALID_PARAMETER_VALUE', message: `Registered model alias ${q.get('alias')} not found.` });
        return json(200, { model_version: { name: 'churn', version, run_id: 'r-1', aliases: [q.get('alias')] } });
      }
      case '/api/2.0/mlflow/model-versions/get':
        return q.get('version') === '4'
          ? json(200, { model_version: { name: 'churn', version: '4', run_id: 'r-1' } })
          : json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no such version' });
      case '/api/2.0/mlflow/model-versions/get-download-uri':
        return json(200, { artifact_uri: `mlflow-artifacts:/${artifactRoot}` });
      case '/api/2.0/mlflow-artifacts/artifacts':
        return json(200, { files: [{ path: 'MLmodel', is_dir: false, file_size: 10 }, { path: 'model.onnx', is_dir: false, file_size: 10 }] });
    }
    const prefix = `/api/2.0/mlflow-artifacts/artifacts/${artifactRoot}/`;
    if (url.pathname.startsWith(prefix)) {
      const file = decodeURIComponent(url.pathname.slice(prefix.length));
      try {
        return new Response(readFileSync(path.join(TINY_MODEL_DIR, file)), { status: 200 });
      } catch {
        return json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no such artifact' });
      }
    }
    return json(404, { error_code: 'ENDPOINT_NOT_FOUND', message: url.pathname });
  };
  return { fetch: impl as typeof fetch, calls };
}
