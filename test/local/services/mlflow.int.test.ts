// The local MLflow is the real server: its model registry REST API keeps registered models, versions and
// aliases, and it proxies artifact uploads (--serve-artifacts).
import { mlflowTrackingUri, uniqueName } from '../../support/services';

jest.setTimeout(60_000);

async function call<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${mlflowTrackingUri()}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

interface ModelVersion {
  name: string;
  version: string;
  source: string;
  run_id?: string;
  aliases?: string[];
}

describe('the local MLflow server', () => {
  it('answers its health check', async () => {
    const res = await fetch(`${mlflowTrackingUri()}/health`);
    expect(res.status).toBe(200);
  });

  it('creates a registered model, a version and an alias and reads them back', async () => {
    const name = uniqueName('model');
    await call('POST', '/api/2.0/mlflow/registered-models/create', { name, description: 'local services test' });
    // A version's source must belong to a run, so log one first (in the default experiment).
    const run = await call<{ run: { info: { run_id: string } } }>('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: '0',
      start_time: Date.now(),
    });
    const runId = run.run.info.run_id;
    const source = `runs:/${runId}/model`;
    const created = await call<{ model_version: ModelVersion }>('POST', '/api/2.0/mlflow/model-versions/create', {
      name,
      source,
      run_id: runId,
    });
    expect(created.model_version.version).toBe('1');
    await call('POST', '/api/2.0/mlflow/registered-models/alias', { name, alias: 'champion', version: '1' });

    const byAlias = await call<{ model_version: ModelVersion }>(
      'GET',
      `/api/2.0/mlflow/registered-models/alias?name=${encodeURIComponent(name)}&alias=champion`,
    );
    expect(byAlias.model_version).toMatchObject({ name, version: '1', run_id: runId });

    const model = await call<{ registered_model: { name: string; description: string; aliases: { alias: string; version: string }[] } }>(
      'GET',
      `/api/2.0/mlflow/registered-models/get?name=${encodeURIComponent(name)}`,
    );
    expect(model.registered_model).toMatchObject({ name, description: 'local services test' });
    expect(model.registered_model.aliases).toEqual([{ alias: 'champion', version: '1' }]);
  });

  it('stores and returns artifacts through its artifact proxy', async () => {
    const path = `${uniqueName('artifacts')}/hello.txt`;
    const put = await fetch(`${mlflowTrackingUri()}/api/2.0/mlflow-artifacts/artifacts/${path}`, { method: 'PUT', body: 'hello artifacts' });
    expect(put.status).toBe(200);
    const get = await fetch(`${mlflowTrackingUri()}/api/2.0/mlflow-artifacts/artifacts/${path}`);
    expect(await get.text()).toBe('hello artifacts');
  });
});
