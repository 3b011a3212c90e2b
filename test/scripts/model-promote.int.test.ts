// model:promote against the real MLflow server: model versions are created through MLflow's REST API, the
// environments' aliases come from their config, and the result is read back through MLflow.
import { randomUUID } from 'node:crypto';
import { MlflowClient } from '../../apps/scorer/src/mlflow';
import { loadEnvironment } from '../../environments';
import { ExitCode } from '../../scripts/cli/errors';
import { PromoteDeps, defaultPromoteDeps, promoteCommand } from '../../scripts/models/promote';
import { registryTarget } from '../../scripts/models/registry-target';
import { captureIo } from './support';

jest.setTimeout(60_000);

const trackingUri = process.env.MLFLOW_TRACKING_URI!;
const modelName = `promote-test-${randomUUID().slice(0, 8)}`;
const staging = loadEnvironment('staging');
const prod = loadEnvironment('prod');
const mlflow = new MlflowClient({ trackingUri, auth: { kind: 'none' } });

async function rest(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${trackingUri}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

// The environments' config, pointed at the local server (--tracking-uri) and at a model name of this test only.
const deps: PromoteDeps = {
  ...defaultPromoteDeps,
  targetFor: (env, override) => ({ ...registryTarget(loadEnvironment(env), override), modelName }),
  user: () => 'int-test',
};

beforeAll(async () => {
  expect(trackingUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  await rest('registered-models/create', { name: modelName });
  await rest('model-versions/create', { name: modelName, source: 's3://models/churn/1', tags: [{ key: 'auc', value: '0.88' }] });
  await rest('model-versions/create', { name: modelName, source: 's3://models/churn/2', tags: [{ key: 'metric.auc', value: '0.91' }, { key: 'git_sha', value: 'abc1234' }] });
  await mlflow.setAlias(modelName, staging.mlflow.scoringAlias, '2');
  await mlflow.setAlias(modelName, prod.mlflow.scoringAlias, '1');
});

describe('model:promote against the real MLflow server', () => {
  it('shows version 2 with its tags and changes nothing without --yes', async () => {
    const io = captureIo();
    const code = await promoteCommand(['--version', '2', '--tracking-uri', trackingUri], deps, io);
    expect(code).toBe(ExitCode.usage);
    expect(io.stdout.join('\n')).toMatch(/version 2 \(READY\)[\s\S]*source:\s+s3:\/\/models\/churn\/2[\s\S]*metrics:\n {4}auc = 0\.91[\s\S]*git_sha = abc1234/);
    expect(io.stdout.join('\n')).toContain(`staging ${modelName}@${staging.mlflow.scoringAlias} -> prod ${modelName}@${prod.mlflow.scoringAlias}`);
    expect((await mlflow.getModelVersionByAlias(modelName, prod.mlflow.scoringAlias)).version).toBe('1');
  });

  it('refuses version 1, which staging does not score with', async () => {
    const io = captureIo();
    await expect(promoteCommand(['--version', '1', '--yes', '--tracking-uri', trackingUri], deps, io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain(`points at version 2`);
    expect((await mlflow.getModelVersionByAlias(modelName, prod.mlflow.scoringAlias)).version).toBe('1');
  });

  it('with --yes moves prod\'s alias to version 2 and records the promotion as tags on the version', async () => {
    const io = captureIo();
    await expect(promoteCommand(['--version', '2', '--yes', '--tracking-uri', trackingUri], deps, io)).resolves.toBe(ExitCode.ok);
    const promoted = await mlflow.getModelVersionByAlias(modelName, prod.mlflow.scoringAlias);
    expect(promoted.version).toBe('2');
    const tags = Object.fromEntries((promoted.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ promoted_by: 'int-test', promoted_from: `staging:${staging.mlflow.scoringAlias}`, promoted_to: `prod:${prod.mlflow.scoringAlias}`, promoted_replaced_version: '1', 'metric.auc': '0.91' });
    expect(Date.now() - Date.parse(tags.promoted_at!)).toBeLessThan(60_000);
  });

  it('reports an unreachable server as a retryable failure (exit 1)', async () => {
    const io = captureIo();
    const unreachable: PromoteDeps = { ...deps, clientFor: (target) => new MlflowClient({ trackingUri: target.trackingUri, auth: target.auth, retries: 0, timeoutMs: 2_000 }) };
    await expect(promoteCommand(['--version', '2', '--tracking-uri', 'http://127.0.0.1:9'], unreachable, io)).resolves.toBe(ExitCode.failed);
    expect(io.stderr.join('\n')).toMatch(/Reading the .* alias of .* from MLflow failed[\s\S]*retrying may help/);
  });
});
