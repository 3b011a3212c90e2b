// model:promote without servers: flags, the checks and the decision, lineage matching, the record. The two-server
// and one-server behaviour is in model-promote-registries.int.test.ts and model-promote.int.test.ts.
import type { ModelVersion } from '../../apps/scorer/src/mlflow';
import { loadEnvironment } from '../../environments';
import { ExitCode } from '../../scripts/cli/errors';
import { copyTags, findCopy, SourceIdentity } from '../../scripts/models/lineage';
import { describePlan } from '../../scripts/models/plan-text';
import { PromoteDeps, promoteCommand } from '../../scripts/models/promote';
import { PromotionPlan, decide, planState } from '../../scripts/models/promotion-plan';
import { buildRecord, recordKey } from '../../scripts/models/promotion-record';
import { RegistryTarget, registryTarget, sameRegistry } from '../../scripts/models/registry-target';
import { captureIo } from './support';

const version = (number: string, tags: Record<string, string> = {}, extra: Partial<ModelVersion> = {}): ModelVersion => ({
  name: 'churn',
  version: number,
  status: 'READY',
  source: `models:/m-${number}`,
  run_id: `run-${number}`,
  tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  ...extra,
});

const side = (env: string, trackingUri: string, alias: string): RegistryTarget => ({
  env,
  trackingUri,
  overridden: false,
  auth: { kind: 'none' },
  region: 'eu-central-1',
  modelName: 'churn',
  alias,
  copyExperiment: `churn-${env}-promotions`,
  qualityGate: { metric: 'auc', threshold: 0.8 },
  recordsUri: `s3://${env}-data/promotions/`,
});

const passed = { 'gate.passed': 'true', 'metric.auc': '0.91' };

function plan(overrides: Partial<PromotionPlan> = {}): PromotionPlan {
  const source = overrides.source ?? version('7', passed);
  return {
    from: side('staging', 'http://staging-mlflow', 'challenger'),
    to: side('prod', 'http://prod-mlflow', 'champion'),
    selection: { alias: 'challenger' },
    source,
    sourceTags: Object.fromEntries((source.tags ?? []).map((t) => [t.key, t.value])),
    sourceModel: { downloadUri: 'mlflow-artifacts:/1/models/m-7/artifacts', files: [{ path: 'MLmodel', is_dir: false, file_size: 10 }, { path: 'model.onnx', is_dir: false, file_size: 2048 }], loadable: { ok: true, onnxFile: 'model.onnx', features: 11 } },
    route: { kind: 'copy' },
    current: version('3', { 'gate.passed': 'true', 'metric.auc': '0.88' }),
    ...overrides,
  };
}

describe('model:promote flags', () => {
  const unusedDeps: PromoteDeps = {
    targetFor: () => {
      throw new Error('must not be reached');
    },
    connect: () => {
      throw new Error('must not be reached');
    },
    records: () => {
      throw new Error('must not be reached');
    },
    now: () => new Date(),
    user: () => 'operator',
  };

  it.each([
    [['--force', '--yes'], '--force: needs --reason "…": a forced promotion records why'],
    [['--tracking-uri', 'http://a:5000', '--to-tracking-uri', 'http://b:5000'], '--tracking-uri: sets both sides'],
    [['--version', 'seven'], '--version: expected a version number like 7'],
    [['--to-tracking-uri', 'ftp://x'], '--to-tracking-uri: expected an http(s) URL'],
    [['--reason', '  '], '--reason: must not be empty'],
    [['--copy'], "Unknown option '--copy'"],
  ])('%j is a usage error (exit 2) naming the flag', async (argv, message) => {
    const io = captureIo();
    await expect(promoteCommand(argv, unusedDeps, io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain(message);
  });

  it('refuses a target that is the source alias itself', async () => {
    const io = captureIo();
    const deps: PromoteDeps = { ...unusedDeps, targetFor: (env, o) => registryTarget(loadEnvironment(env), o) };
    await expect(promoteCommand(['--from', 'staging', '--to', 'staging', '--alias', 'challenger'], deps, io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain('--from and --to are both staging@challenger');
  });

  it('documents the copy, the checks, dry run, force, the overrides for local use, and the exit codes in --help', async () => {
    const io = captureIo();
    await expect(promoteCommand(['--help'], unusedDeps, io)).resolves.toBe(ExitCode.ok);
    const help = io.stdout.join('\n');
    for (const flag of ['--from ENV', '--to ENV', '--version N', '--from-alias ALIAS', '--alias ALIAS', '--yes', '--force', '--reason TEXT', '--by NAME', '--from-profile', '--to-profile', '--from-tracking-uri URL', '--to-tracking-uri URL', 'AWS_ENDPOINT_URL']) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/copied into the target registry/);
    expect(help).toMatch(/Exit codes: 0 promoted \(or already promoted/);
  });
});

describe('the checks and the decision', () => {
  it('allows a version that passed its gate, meets the target threshold and is not worse than the current holder', () => {
    const decision = decide(plan(), { force: false });
    expect(decision).toMatchObject({ kind: 'go', overridden: [] });
    if (decision.kind !== 'go') throw new Error('unreachable');
    expect(decision.checks.map((c) => [c.id, c.ok])).toEqual([['loadable', true], ['gate', true], ['threshold', true], ['not-worse', true]]);
    expect(decision.checks.find((c) => c.id === 'not-worse')!.detail).toBe('auc 0.9100 >= 0.8800 of version 3 (@champion)');
  });

  it('refuses a failed gate even with --force', () => {
    const failed = version('7', { 'gate.passed': 'false', 'gate.reason': 'auc 0.61 < threshold 0.7', 'metric.auc': '0.61' });
    const decision = decide(plan({ source: failed, sourceTags: { 'gate.passed': 'false', 'gate.reason': 'auc 0.61 < threshold 0.7', 'metric.auc': '0.61' } }), { force: true });
    expect(decision.kind).toBe('refused');
    if (decision.kind !== 'refused') throw new Error('unreachable');
    expect(decision.failed.map((c) => c.id)).toEqual(['gate', 'threshold']);
    expect(decision.failed[0].detail).toBe('gate.passed=false (auc 0.61 < threshold 0.7)');
  });

  it("refuses a version below the target's threshold, and one the scorer could not load", () => {
    const low = decide(plan({ sourceTags: { 'gate.passed': 'true', 'metric.auc': '0.75' }, current: undefined }), { force: true });
    expect(low).toMatchObject({ kind: 'refused', failed: [{ id: 'threshold', detail: "auc 0.7500 < prod's quality-gate threshold 0.8" }] });
    const broken = decide(plan({ sourceModel: { downloadUri: 'x', files: [], loadable: { ok: false, problem: 'no MLmodel file under x' } } }), { force: true });
    expect(broken).toMatchObject({ kind: 'refused', failed: [{ id: 'loadable', detail: 'the scorer could not load it: no MLmodel file under x' }] });
  });

  it('refuses a version worse than the current holder unless forced, and then names the overridden check', () => {
    const worse = plan({ current: version('3', { 'metric.auc': '0.95' }) });
    expect(decide(worse, { force: false })).toMatchObject({ kind: 'refused', failed: [{ id: 'not-worse', forceable: true, detail: 'auc 0.9100 < 0.9500 of version 3 (@champion): worse than what it would replace' }] });
    expect(decide(worse, { force: true })).toMatchObject({ kind: 'go', overridden: [{ id: 'not-worse' }] });
  });

  it('cannot compare with a holder that has no metric: refused unless forced', () => {
    const unknown = plan({ current: version('3', {}) });
    expect(decide(unknown, { force: false })).toMatchObject({ kind: 'refused', failed: [{ id: 'not-worse', detail: 'cannot compare: version 3 (@champion) has no metric.auc tag' }] });
  });

  it('is done when the alias points at the candidate and the promotion is recorded; only the record is missing after an interrupted run', () => {
    const copy = version('4', { promoted_to: 'prod:champion', promoted_record: 's3://prod-data/promotions/x.json' });
    expect(planState(plan({ route: { kind: 'reuse-copy', copy }, current: copy }))).toBe('done');
    const unrecorded = version('4', { promoted_to: 'prod:champion' });
    expect(decide(plan({ route: { kind: 'reuse-copy', copy: unrecorded }, current: unrecorded }), { force: false }).kind).toBe('complete-record');
    const elsewhere = version('4', { promoted_to: 'prod:backup', promoted_record: 's3://prod-data/promotions/y.json' });
    expect(decide(plan({ route: { kind: 'reuse-copy', copy: elsewhere }, current: elsewhere }), { force: false }).kind).toBe('complete-record');
    expect(planState(plan({ route: { kind: 'reuse-copy', copy } }))).toBe('pending');
  });

  it('shows source, target, action, every check, and the alias before and after', () => {
    const lines = describePlan(plan(), decide(plan(), { force: false })).join('\n');
    expect(lines).toContain('Promotion of staging churn version 7 to prod churn@champion');
    expect(lines).toContain('files 2 (2.0 kB): MLmodel, model.onnx');
    expect(lines).toContain('now version 3, auc 0.8800, gate.passed=true');
    expect(lines).toContain("action   copy version 7 into prod's registry");
    expect(lines).toContain('ok   not worse  auc 0.9100 >= 0.8800 of version 3 (@champion)');
    expect(lines).toContain('@champion: version 3 -> the new version (the copy)');
    expect(lines).toContain('JSON record under s3://prod-data/promotions/');
  });
});

describe('lineage', () => {
  const source: SourceIdentity = { env: 'staging', server: 'arn:staging', model: 'churn', version: '7', runId: 'run-7', modelUri: 'models:/m-7' };

  it("keeps the source version's metrics, gate and provenance tags, drops the source registry's identities, adds lineage", () => {
    const tags = copyTags(
      { 'metric.auc': '0.91', 'gate.passed': 'true', git_sha: 'abc', run_id: 'run-7', model_uri: 'models:/m-7', champion_version: '5', promoted_by: 'x', 'lineage.source_env': 'dev' },
      source,
      'operator',
      new Date('2026-11-23T19:30:00Z'),
    );
    expect(tags).toEqual({
      'metric.auc': '0.91',
      'gate.passed': 'true',
      git_sha: 'abc',
      'lineage.source_env': 'staging',
      'lineage.source_server': 'arn:staging',
      'lineage.source_model': 'churn',
      'lineage.source_version': '7',
      'lineage.source_run_id': 'run-7',
      'lineage.source_model_uri': 'models:/m-7',
      'lineage.copied_by': 'operator',
      'lineage.copied_at': '2026-11-23T19:30:00.000Z',
    });
  });

  it('finds the earliest READY copy of the same source version and run, and nothing else', () => {
    const lineage = (v: string, run: string) => ({ 'lineage.source_model': 'churn', 'lineage.source_version': v, 'lineage.source_run_id': run });
    const versions = [
      version('1', lineage('6', 'run-6')),
      version('2', lineage('7', 'run-other-server')),
      version('3', lineage('7', 'run-7'), { status: 'PENDING_REGISTRATION' }),
      version('5', lineage('7', 'run-7')),
      version('4', lineage('7', 'run-7')),
    ];
    expect(findCopy(versions, source)?.version).toBe('4');
    expect(findCopy(versions.slice(0, 3), source)).toBeUndefined();
  });
});

describe('the promotion record', () => {
  it('names source, target, checks, metric and who; keyed by model, alias and time', () => {
    const p = plan();
    const record = buildRecord(p, { version: version('12'), checks: [], overridden: [], files: [{ path: 'model.onnx', bytes: 3, sha256: 'ab' }], replaced: p.current }, { by: 'operator', at: new Date('2026-11-23T19:30:00.123Z'), reason: 'weekly release' });
    expect(record).toMatchObject({
      promotedBy: 'operator',
      promotedAt: '2026-11-23T19:30:00.123Z',
      route: 'copy',
      reason: 'weekly release',
      metric: { name: 'auc', source: 0.91, replaced: 0.88, threshold: 0.8 },
      source: { env: 'staging', version: '7', runId: 'run-7', modelUri: 'models:/m-7', selectedBy: { alias: 'challenger' } },
      target: { env: 'prod', version: '12', alias: 'champion', replacedVersion: '3' },
    });
    expect(recordKey(record)).toBe('churn/champion/20261123T193000Z-staging-v7-to-v12.json');
  });
});

describe('the registry an environment promotes from or to', () => {
  it('is the SageMaker tracking server of its config, reached with SigV4, with its scoring alias, gate and record location', () => {
    const prod = loadEnvironment('prod');
    const target = registryTarget(prod);
    expect(target).toMatchObject({
      env: 'prod',
      modelName: prod.mlflow.modelName,
      alias: prod.mlflow.scoringAlias,
      copyExperiment: `${prod.mlflow.experimentName}-promotions`,
      qualityGate: prod.qualityGate,
      recordsUri: 's3://mlp-prod-222222222222-eu-central-1-data/promotions/',
      overridden: false,
    });
    if (prod.mlflow.server.type === 'sagemaker') {
      expect(target.auth).toEqual({ kind: 'sigv4', region: prod.account.region, trackingServerArn: prod.mlflow.server.trackingServerArn });
    }
  });

  it('is the given server, without auth, when a tracking URI override replaces it; staging and prod are then one registry only if both point at it', () => {
    const staging = registryTarget(loadEnvironment('staging'), { trackingUri: 'http://127.0.0.1:5000/' });
    const prod = registryTarget(loadEnvironment('prod'), { trackingUri: 'http://127.0.0.1:5000', alias: 'backup' });
    expect(prod).toMatchObject({ trackingUri: 'http://127.0.0.1:5000', auth: { kind: 'none' }, overridden: true, alias: 'backup' });
    expect(sameRegistry(staging, prod)).toBe(true);
    expect(sameRegistry(registryTarget(loadEnvironment('staging')), registryTarget(loadEnvironment('prod')))).toBe(false);
  });
});
