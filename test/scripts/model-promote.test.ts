import type { ModelVersion } from '../../apps/scorer/src/mlflow';
import { MlflowError } from '../../apps/scorer/src/mlflow';
import { ExitCode } from '../../scripts/cli/errors';
import { PromoteDeps, promoteCommand } from '../../scripts/models/promote';
import { RegistryClient, RegistryTarget, registryTarget } from '../../scripts/models/registry-target';
import { loadEnvironment } from '../../environments';
import { captureIo } from './support';

/** An in-memory registry with the MlflowClient methods the promotion uses. */
class FakeRegistry implements RegistryClient {
  versions = new Map<string, ModelVersion>();
  aliases = new Map<string, string>();
  failTagWrites = false;

  add(version: string, tags: Record<string, string> = {}): void {
    this.versions.set(version, { name: 'churn', version, status: 'READY', source: `models:/m-${version}`, run_id: `r${version}`, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) });
  }
  async getModelVersionByAlias(_name: string, alias: string): Promise<ModelVersion> {
    const version = this.aliases.get(alias);
    if (!version) throw new MlflowError('alias not found', { status: 404, retryable: false });
    return this.getModelVersion(_name, version);
  }
  async getModelVersion(_name: string, version: string): Promise<ModelVersion> {
    const found = this.versions.get(version);
    if (!found) throw new MlflowError('no version', { status: 404, retryable: false });
    return { ...found, aliases: [...this.aliases].filter(([, v]) => v === version).map(([a]) => a) };
  }
  async setAlias(_name: string, alias: string, version: string): Promise<void> {
    this.aliases.set(alias, version);
  }
  async setModelVersionTag(_name: string, version: string, key: string, value: string): Promise<void> {
    if (this.failTagWrites) throw new MlflowError('server error', { status: 503, retryable: true });
    const entry = this.versions.get(version)!;
    entry.tags = [...(entry.tags ?? []).filter((t) => t.key !== key), { key, value }];
  }
  tagsOf(version: string): Record<string, string> {
    return Object.fromEntries((this.versions.get(version)!.tags ?? []).map((t) => [t.key, t.value]));
  }
}

const targets: Record<string, RegistryTarget> = {
  staging: { env: 'staging', trackingUri: 'http://mlflow', auth: { kind: 'none' }, modelName: 'churn', alias: 'challenger' },
  prod: { env: 'prod', trackingUri: 'http://mlflow', auth: { kind: 'none' }, modelName: 'churn', alias: 'champion' },
};

function setup() {
  const registry = new FakeRegistry();
  registry.add('6');
  registry.add('7', { 'metric.auc': '0.91', 'metric.f1': '0.7', git_sha: 'abc1234' });
  registry.aliases.set('challenger', '7');
  registry.aliases.set('champion', '6');
  const deps: PromoteDeps = {
    targetFor: (env) => targets[env]!,
    clientFor: () => registry,
    now: () => new Date('2026-11-23T19:30:00Z'),
    user: () => 'operator',
  };
  return { registry, deps };
}

describe('model:promote', () => {
  it('shows the version\'s tags and the alias change, and changes nothing without --yes (exit 2)', async () => {
    const { registry, deps } = setup();
    const io = captureIo();
    await expect(promoteCommand(['--version', '7'], deps, io)).resolves.toBe(ExitCode.usage);
    expect(io.stdout.join('\n')).toMatch(/Model churn version 7 \(READY\)[\s\S]*metrics:\n {4}auc = 0\.91\n {4}f1 = 0\.7\n {2}tags:\n {4}git_sha = abc1234[\s\S]*staging churn@challenger -> prod churn@champion[\s\S]*champion now points at: version 6/);
    expect(io.stderr.join('\n')).toContain('rerun with --yes');
    expect(registry.aliases.get('champion')).toBe('6');
    expect(registry.tagsOf('7')).not.toHaveProperty('promoted_by');
  });

  it('with --yes moves the target alias and records who, when, from and what it replaced as version tags', async () => {
    const { registry, deps } = setup();
    const io = captureIo();
    await expect(promoteCommand(['--version', '7', '--yes'], deps, io)).resolves.toBe(ExitCode.ok);
    expect(registry.aliases.get('champion')).toBe('7');
    expect(registry.aliases.get('challenger')).toBe('7');
    expect(registry.tagsOf('7')).toMatchObject({
      promoted_by: 'operator',
      promoted_at: '2026-11-23T19:30:00.000Z',
      promoted_from: 'staging:challenger',
      promoted_to: 'prod:champion',
      promoted_replaced_version: '6',
    });
  });

  it('refuses a version the source alias does not point at', async () => {
    const { registry, deps } = setup();
    const io = captureIo();
    await expect(promoteCommand(['--version', '6', '--yes'], deps, io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain('churn@challenger points at version 7');
    expect(registry.aliases.get('champion')).toBe('6');
  });

  it('requires an explicit version', async () => {
    const io = captureIo();
    await expect(promoteCommand(['--yes'], setup().deps, io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain('--version: is required');
  });

  it('is a no-op once the version is promoted and recorded', async () => {
    const { registry, deps } = setup();
    await promoteCommand(['--version', '7', '--yes'], deps, captureIo());
    const at = registry.tagsOf('7').promoted_at;
    const io = captureIo();
    await expect(promoteCommand(['--version', '7', '--yes', '--by', 'someone-else'], deps, io)).resolves.toBe(ExitCode.ok);
    expect(io.stdout.join('\n')).toContain('Nothing to do');
    expect(registry.tagsOf('7')).toMatchObject({ promoted_by: 'operator', promoted_at: at });
  });

  it('says plainly that the alias moved when recording the tags fails, and a rerun completes the record', async () => {
    const { registry, deps } = setup();
    registry.failTagWrites = true;
    const io = captureIo();
    await expect(promoteCommand(['--version', '7', '--yes'], deps, io)).resolves.toBe(ExitCode.failed);
    expect(io.stderr.join('\n')).toMatch(/churn@champion now points at version 7, but recording tag promoted_by failed; rerun/);
    registry.failTagWrites = false;
    await expect(promoteCommand(['--version', '7', '--yes'], deps, captureIo())).resolves.toBe(ExitCode.ok);
    expect(registry.tagsOf('7')).toMatchObject({ promoted_to: 'prod:champion' });
    expect(registry.tagsOf('7')).not.toHaveProperty('promoted_replaced_version');
  });

  it('refuses to promote between different tracking servers, naming both', async () => {
    const { deps } = setup();
    deps.targetFor = (env) => ({ ...targets[env]!, trackingUri: `http://${env}-mlflow` });
    const io = captureIo();
    await expect(promoteCommand(['--version', '7', '--yes'], deps, io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain('staging and prod use different MLflow tracking servers (http://staging-mlflow vs http://prod-mlflow)');
  });
});

describe('the registry an environment promotes within', () => {
  it('is the SageMaker tracking server of its config, reached with SigV4, and the alias it scores with', () => {
    const staging = loadEnvironment('staging');
    const target = registryTarget(staging);
    expect(target).toMatchObject({ env: 'staging', modelName: staging.mlflow.modelName, alias: staging.mlflow.scoringAlias });
    if (staging.mlflow.server.type === 'sagemaker') {
      expect(target.auth).toEqual({ kind: 'sigv4', region: staging.account.region, trackingServerArn: staging.mlflow.server.trackingServerArn });
    }
  });

  it('is the given server, without auth, when --tracking-uri overrides it', () => {
    expect(registryTarget(loadEnvironment('prod'), 'http://127.0.0.1:5000')).toMatchObject({ trackingUri: 'http://127.0.0.1:5000', auth: { kind: 'none' } });
  });
});
