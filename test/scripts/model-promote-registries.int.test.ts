/**
 * @jest-environment ./test/scorer/support/onnx-environment.js
 */
// model:promote between two real MLflow servers: "staging" is the suite's server, "prod" a second one started
// here; the promotion records go to the AWS emulator. Staging's versions come from the trainer's own train →
// evaluate → register entrypoints; the proof that the copy is usable is the scorer's own resolver and ONNX
// loader reading the promoted version from prod by alias.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MlflowClient, ModelVersion } from '../../apps/scorer/src/mlflow';
import { silentLogger } from '../../apps/scorer/src/log';
import { OnnxModel } from '../../apps/scorer/src/model/onnx-model';
import { resolveModel } from '../../apps/scorer/src/model/resolve';
import { loadEnvironment } from '../../environments';
import { startServices, type RunningServices } from '../../scripts/local/services';
import { ExitCode } from '../../scripts/cli/errors';
import type { PromoteDeps } from '../../scripts/models/promote';
import { connect } from '../../scripts/models/registry-target';
import { registerFixtureModel } from '../scorer/support/mlflow-fixture';
import { mlflowTrackingUri, uniqueName } from '../support/services';
import { FAST_HYPERPARAMETERS, WEAK_HYPERPARAMETERS, ensureDataBucket, promote, promoteDeps, promotionRecords, trainAndEvaluate, trainEvaluateRegister, trainerWorkspace } from './promotion-support';

jest.setTimeout(600_000);

const modelName = uniqueName('promote-registries');
const staging = loadEnvironment('staging');
const prod = loadEnvironment('prod');
const stagingUri = mlflowTrackingUri();
const deps = promoteDeps(modelName);
const work = mkdtempSync(path.join(tmpdir(), 'promote-registries-'));

let prodServices: RunningServices;
let prodUri: string;
let bucket: string;
let stagingMlflow: MlflowClient;
let prodMlflow: MlflowClient;
let strong: { version: string; gate_passed: boolean };
let weak: { version: string; gate_passed: boolean };
let better: string;

const servers = () => ['--from', 'staging', '--to', 'prod', '--from-tracking-uri', stagingUri, '--to-tracking-uri', prodUri];
const tags = (version: ModelVersion) => Object.fromEntries((version.tags ?? []).map((tag) => [tag.key, tag.value]));
const prodVersions = () => prodMlflow.searchModelVersions(`name='${modelName}'`);
const championOfProd = () => prodMlflow.getModelVersionByAlias(modelName, prod.mlflow.scoringAlias);

async function fileHashes(client: MlflowClient, version: string, into: string): Promise<Record<string, string>> {
  const uri = await client.getDownloadUri(modelName, version);
  const hashes: Record<string, string> = {};
  for (const file of await client.artifacts.listTree(uri)) {
    const local = path.join(into, file.path);
    await client.downloadArtifact(uri, file.path, local);
    hashes[file.path] = createHash('sha256').update(readFileSync(local)).digest('hex');
  }
  return hashes;
}

beforeAll(async () => {
  const [services] = await Promise.all([
    startServices({ only: ['mlflow'], log: (line) => process.stderr.write(`[prod services] ${line}\n`) }),
    (async () => {
      bucket = await ensureDataBucket('prod');
      const ws = await trainerWorkspace(path.join(work, 'trainer'), stagingUri, modelName, staging.mlflow.scoringAlias);
      strong = await trainEvaluateRegister(ws, 'strong', FAST_HYPERPARAMETERS);
      // Evaluated against the strong model (the challenger it must beat): the gate fails, the alias stays.
      weak = await trainEvaluateRegister(ws, 'weak', WEAK_HYPERPARAMETERS);
    })(),
  ]);
  prodServices = services;
  prodUri = services.endpoints.mlflow!.trackingUri;
  stagingMlflow = new MlflowClient({ trackingUri: stagingUri, auth: { kind: 'none' } });
  prodMlflow = new MlflowClient({ trackingUri: prodUri, auth: { kind: 'none' } });
});

afterAll(async () => {
  await prodServices?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('model:promote between two MLflow servers (staging → prod)', () => {
  it('starts from staging versions registered by the trainer: one that passed its gate (@challenger), one that failed', async () => {
    expect(strong).toMatchObject({ version: '1', gate_passed: true });
    expect(weak).toMatchObject({ version: '2', gate_passed: false });
    expect((await stagingMlflow.getModelVersionByAlias(modelName, staging.mlflow.scoringAlias)).version).toBe('1');
    expect(prodUri).not.toBe(stagingUri);
  });

  it('shows the plan of a dry run and changes nothing in prod or the record store', async () => {
    const { code, io } = await promote(deps, servers());
    expect(code).toBe(ExitCode.usage);
    const plan = io.stdout.join('\n');
    expect(plan).toContain(`source   staging: ${modelName} version 1 (@challenger), READY, auc 0.8`);
    expect(plan).toMatch(/files 5 \(.*\): MLmodel, conda\.yaml, model\.onnx, python_env\.yaml, requirements\.txt/);
    expect(plan).toContain('now (no version yet)');
    expect(plan).toContain("action   copy version 1 into prod's registry");
    expect(plan).toMatch(/ok {3}gate {7}gate\.passed=true/);
    expect(plan).toMatch(/ok {3}threshold {2}auc 0\.8\d+ >= prod's quality-gate threshold 0\.8/);
    expect(plan).toContain('@champion: (none) -> the new version (the copy)');
    expect(io.stderr.join('\n')).toContain('Dry run: nothing changed');
    expect(await prodVersions()).toEqual([]);
    expect(await promotionRecords(bucket, modelName)).toEqual([]);
  });

  it('refuses the version whose quality gate failed, and changes nothing', async () => {
    const { code, io } = await promote(deps, [...servers(), '--version', weak.version, '--yes']);
    expect(code).toBe(ExitCode.usage);
    expect(io.stdout.join('\n')).toMatch(/FAIL gate {7}gate\.passed=false \(auc 0\.\d+ < threshold 0\.7|FAIL gate {7}gate\.passed=false \(.*champion/);
    expect(io.stderr.join('\n')).toMatch(/^Refused: gate: gate\.passed=false/);
    expect(io.stderr.join('\n')).not.toContain('--force');
    expect(await prodVersions()).toEqual([]);
    expect(await promotionRecords(bucket, modelName)).toEqual([]);
  });

  it('registers nothing when the copy fails half-way: the alias stays, the unfinished run and logged model are marked FAILED', async () => {
    // The target's artifact store fails after the first file, as a full disk or a lost connection would.
    let uploads = 0;
    const failing: typeof fetch = async (input, init) => {
      if (init?.method === 'PUT' && ++uploads > 1) return new Response('{"error_code":"INTERNAL_ERROR","message":"disk full"}', { status: 500 });
      return fetch(input, init);
    };
    const broken: PromoteDeps = { ...deps, connect: (target) => connect(target, target.env === 'prod' ? { fetchImpl: failing, retries: 0 } : {}) };
    const { code, io } = await promote(broken, [...servers(), '--yes']);
    expect(code).toBe(ExitCode.failed);
    const message = io.stderr.join('\n');
    expect(message).toMatch(/Copying staging .* version 1 into prod's registry failed; no version was registered, the alias did not move\. The unfinished run (\w+) and logged model (m-\w+) are marked FAILED\. Rerun to try again\./);
    expect(message).toContain('disk full');
    const [, runId, modelId] = /run (\w+) and logged model (m-\w+)/.exec(message)!;
    const run = await prodMlflow.transport.json<{ run: { info: { status: string } } }>('GET', '/api/2.0/mlflow/runs/get', { query: { run_id: runId } });
    expect(run.run.info.status).toBe('FAILED');
    const model = await prodMlflow.transport.json<{ model: { info: { status: string } } }>('GET', `/api/2.0/mlflow/logged-models/${modelId}`);
    expect(model.model.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
    expect(await prodVersions()).toEqual([]);
    expect(await promotionRecords(bucket, modelName)).toEqual([]);
  });

  it('copies the version into prod, moves champion to the copy, records it, and the scorer loads it from prod by alias', async () => {
    const { code, io } = await promote(deps, [...servers(), '--from-alias', 'challenger', '--yes']);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(ExitCode.ok);
    expect(io.stdout.join('\n')).toMatch(/Promoted: staging .* version 1 -> prod .* version 1 @champion \(copied\)/);

    const champion = await championOfProd();
    expect(champion.version).toBe('1');
    const source = await stagingMlflow.getModelVersion(modelName, '1');
    expect(tags(champion)).toMatchObject({
      'lineage.source_env': 'staging',
      'lineage.source_server': stagingUri,
      'lineage.source_model': modelName,
      'lineage.source_version': '1',
      'lineage.source_run_id': source.run_id,
      'lineage.source_model_uri': source.source,
      'lineage.copied_by': 'int-test',
      'gate.passed': 'true',
      'metric.auc': tags(source)['metric.auc'],
      git_sha: 'abc1234',
      promoted_by: 'int-test',
      promoted_to: 'prod:champion',
      promoted_from: `staging:${modelName}/1@challenger`,
    });
    // Identities of the source registry stay with the source: the copy has its own run and logged model.
    expect(tags(champion)).not.toHaveProperty('run_id');
    expect(champion.run_id).not.toBe(source.run_id);
    expect(champion.source).toMatch(/^models:\/m-[0-9a-f]+$/);

    // Byte-for-byte the same files (MLmodel with its signature and feature schema, model.onnx, environment files).
    const sourceFiles = await fileHashes(stagingMlflow, '1', path.join(work, 'source-files'));
    expect(await fileHashes(prodMlflow, '1', path.join(work, 'copied-files'))).toEqual(sourceFiles);
    expect(readFileSync(path.join(work, 'copied-files', 'MLmodel'), 'utf8')).toMatch(/signature:\n {2}inputs:/);

    // The run in prod carries the source run's params and metrics (evaluation's holdout metrics included).
    const run = (await prodMlflow.transport.json<{ run: { data: { metrics: { key: string; value: number }[]; params: { key: string }[] } } }>('GET', '/api/2.0/mlflow/runs/get', { query: { run_id: champion.run_id! } })).run;
    expect(run.data.metrics.map((m) => m.key)).toEqual(expect.arrayContaining(['auc', 'holdout_auc']));
    expect(run.data.metrics.find((m) => m.key === 'holdout_auc')!.value).toBeCloseTo(Number(tags(source)['metric.auc']), 12);
    expect(run.data.params.map((p) => p.key)).toEqual(expect.arrayContaining(['n_estimators', 'max_depth']));

    // What the nightly inference does in prod: alias → version → download URI → MLmodel + model.onnx, then ONNX Runtime.
    const resolved = await resolveModel(prodMlflow, { name: modelName, alias: 'champion' }, path.join(work, 'scorer-cache'), silentLogger);
    expect(resolved).toMatchObject({ version: '1', alias: 'champion', onnxFile: 'model.onnx', mlflowRunId: champion.run_id });
    const fromStaging = await resolveModel(stagingMlflow, { name: modelName, version: '1' }, path.join(work, 'staging-cache'), silentLogger);
    expect(resolved.featureSchema).toEqual(fromStaging.featureSchema);
    const onnx = await OnnxModel.load(resolved.onnxPath, resolved.featureSchema);
    const width = resolved.featureSchema.features.length;
    const scored = await onnx.score(new Float32Array(2 * width).fill(1), 2);
    await onnx.close();
    expect(scored.probabilities).toHaveLength(2 * resolved.featureSchema.class_labels.length);

    const records = await promotionRecords(bucket, modelName);
    expect(records).toHaveLength(1);
    const [{ key, record }] = records;
    expect(tags(await championOfProd()).promoted_record).toBe(`s3://${bucket}/${key}`);
    expect(key).toMatch(new RegExp(`^promotions/${modelName}/champion/\\d{8}T\\d{6}Z-staging-v1-to-v1\\.json$`));
    expect(record).toMatchObject({
      schema: 'ml-platform/promotion-record@1',
      promotedBy: 'int-test',
      route: 'copy',
      reason: null,
      overridden: [],
      metric: { name: 'auc', source: Number(tags(source)['metric.auc']), replaced: null, threshold: 0.8 },
      source: { env: 'staging', trackingServer: stagingUri, model: modelName, version: '1', selectedBy: { alias: 'challenger' }, runId: source.run_id },
      target: { env: 'prod', trackingServer: prodUri, model: modelName, version: '1', alias: 'champion', replacedVersion: null, runId: champion.run_id },
    });
    expect(Object.fromEntries(record.files.map((f) => [f.path, f.sha256]))).toEqual(sourceFiles);
  });

  it('is a no-op when rerun: "already promoted as version 1", no new version, no new record', async () => {
    const { code, io } = await promote(deps, [...servers(), '--yes', '--by', 'someone-else']);
    expect(code).toBe(ExitCode.ok);
    expect(io.stdout.join('\n')).toContain(`Nothing to do: staging ${modelName} version 1 is already promoted as version 1`);
    expect((await prodVersions()).map((v) => v.version)).toEqual(['1']);
    expect(await promotionRecords(bucket, modelName)).toHaveLength(1);
    expect(tags(await championOfProd()).promoted_by).toBe('int-test');
  });

  it('promotes a better staging version as a new copy that replaces champion', async () => {
    better = await registerFixtureModel(stagingUri, modelName, undefined, 'churn', { 'gate.passed': 'true', 'metric.auc': '0.99' });
    const { code, io } = await promote(deps, [...servers(), '--version', better, '--yes']);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(ExitCode.ok);
    expect(io.stdout.join('\n')).toMatch(/ok {3}not worse {2}auc 0\.9900 >= 0\.848\d of version 1 \(@champion\)/);
    const champion = await championOfProd();
    expect(champion.version).toBe('2');
    expect(tags(champion)).toMatchObject({ 'lineage.source_version': better, promoted_replaced_version: '1', 'metric.auc': '0.99' });
  });

  it('refuses a version worse than champion; --force --reason promotes it (reusing its earlier copy) and records why', async () => {
    const refused = await promote(deps, [...servers(), '--version', strong.version, '--yes']);
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.io.stderr.join('\n')).toMatch(/Refused: not-worse: auc 0\.848\d < 0\.9900 of version 2 \(@champion\): worse than what it would replace/);
    expect(refused.io.stderr.join('\n')).toContain('--force --reason');
    expect((await championOfProd()).version).toBe('2');

    const forced = await promote(deps, [...servers(), '--version', strong.version, '--force', '--reason', 'rollback: version 2 misbehaves', '--yes']);
    expect(forced.io.stderr).toEqual([]);
    expect(forced.code).toBe(ExitCode.ok);
    expect(forced.io.stdout.join('\n')).toContain(`reuse prod version 1, already a copy of staging version ${strong.version}`);
    expect(forced.io.stdout.join('\n')).toContain('(overridden: --force)');
    expect((await prodVersions()).map((v) => v.version).sort()).toEqual(['1', '2']);
    const champion = await championOfProd();
    expect(champion.version).toBe('1');
    expect(tags(champion)).toMatchObject({ promoted_reason: 'rollback: version 2 misbehaves', promoted_overrode: 'not-worse', promoted_replaced_version: '2' });

    const records = await promotionRecords(bucket, modelName);
    expect(records).toHaveLength(3);
    const last = records.find((r) => r.record.target.replacedVersion === '2' && r.record.target.version === '1')!.record;
    expect(last).toMatchObject({ route: 'reuse-copy', reason: 'rollback: version 2 misbehaves', overridden: ['not-worse'], metric: { replaced: 0.99 }, files: [] });
    expect(last.checks.find((check) => check.id === 'not-worse')).toMatchObject({ ok: false });
  });

  it("lets prod's own nightly training compare its candidate with the promoted champion (the trainer downloads the copy)", async () => {
    const champion = await championOfProd();
    const ws = await trainerWorkspace(path.join(work, 'prod-trainer'), prodUri, modelName, prod.mlflow.trainingAlias, prod.mlflow.compareAlias ?? 'champion');
    const evaluation = await trainAndEvaluate(ws, 'nightly', FAST_HYPERPARAMETERS);
    // Same data and seed as the staging model the champion is a copy of: the rescored copy scores exactly the same.
    expect(evaluation.champion).toMatchObject({ alias: 'champion', version: champion.version });
    expect(evaluation.champion.metrics.auc.value).toBeCloseTo(Number(tags(champion)['metric.auc']), 9);
    expect(evaluation.gate.reason).toMatch(/>= champion 0\.8\d{3}$/);
  });
});
