// model:promote within one MLflow server (--tracking-uri for both environments): the alias moves to the source
// version itself, nothing is copied; guarded and recorded like a copy. Versions are real logged models
// (test/scorer/fixtures/model_fixture.py) with the tags the trainer's Register step writes.
import { MlflowClient } from '../../apps/scorer/src/mlflow';
import { loadEnvironment } from '../../environments';
import { ExitCode } from '../../scripts/cli/errors';
import { PromoteDeps, promoteCommand } from '../../scripts/models/promote';
import { connect } from '../../scripts/models/registry-target';
import { registerFixtureModel } from '../scorer/support/mlflow-fixture';
import { mlflowTrackingUri, uniqueName } from '../support/services';
import { ensureDataBucket, promote, promoteDeps, promotionRecords } from './promotion-support';
import { captureIo } from './support';

jest.setTimeout(180_000);

const trackingUri = mlflowTrackingUri();
const modelName = uniqueName('promote-one-server');
const staging = loadEnvironment('staging');
const prod = loadEnvironment('prod');
const mlflow = new MlflowClient({ trackingUri, auth: { kind: 'none' } });
const deps = promoteDeps(modelName);
const oneServer = ['--tracking-uri', trackingUri];
let bucket: string;

beforeAll(async () => {
  bucket = await ensureDataBucket('prod');
  // Version 1: prod's current champion; version 2: staging's challenger, better; both passed their gates.
  await registerFixtureModel(trackingUri, modelName, prod.mlflow.scoringAlias, 'tiny', { 'gate.passed': 'true', 'metric.auc': '0.85' });
  await registerFixtureModel(trackingUri, modelName, staging.mlflow.scoringAlias, 'tiny', { 'gate.passed': 'true', 'metric.auc': '0.91', git_sha: 'abc1234' });
});

describe('model:promote within one MLflow server', () => {
  it('plans an alias move (nothing copied) and changes nothing without --yes', async () => {
    const { code, io } = await promote(deps, oneServer);
    expect(code).toBe(ExitCode.usage);
    const plan = io.stdout.join('\n');
    expect(plan).toContain(`source   staging: ${modelName} version 2 (@${staging.mlflow.scoringAlias}), READY, auc 0.9100`);
    expect(plan).toContain('now version 1, auc 0.8500, gate.passed=true');
    expect(plan).toContain('action   move @champion to version 2 (one registry and one model: nothing is copied)');
    expect(plan).toContain('ok   not worse  auc 0.9100 >= 0.8500 of version 1 (@champion)');
    expect(plan).toContain('@champion: version 1 -> version 2');
    expect((await mlflow.getModelVersionByAlias(modelName, prod.mlflow.scoringAlias)).version).toBe('1');
  });

  it('refuses --version 1 with --from-alias challenger: the alias points at version 2', async () => {
    const { code, io } = await promote(deps, [...oneServer, '--version', '1', '--from-alias', staging.mlflow.scoringAlias, '--yes']);
    expect(code).toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain(`${modelName}@${staging.mlflow.scoringAlias} points at (version 2)`);
    expect((await mlflow.getModelVersionByAlias(modelName, prod.mlflow.scoringAlias)).version).toBe('1');
  });

  it('with --yes moves prod\'s alias to version 2, records it as tags and as a JSON record, and a rerun is a no-op', async () => {
    const { code, io } = await promote(deps, [...oneServer, '--yes']);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(ExitCode.ok);
    const promoted = await mlflow.getModelVersionByAlias(modelName, prod.mlflow.scoringAlias);
    expect(promoted.version).toBe('2');
    const tags = Object.fromEntries((promoted.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      promoted_by: 'int-test',
      promoted_from: `staging:${modelName}/2@${staging.mlflow.scoringAlias}`,
      promoted_to: `prod:${prod.mlflow.scoringAlias}`,
      promoted_replaced_version: '1',
      'metric.auc': '0.91',
    });
    expect(tags).not.toHaveProperty('lineage.source_version');
    expect(Date.now() - Date.parse(tags.promoted_at!)).toBeLessThan(60_000);
    const records = await promotionRecords(bucket, modelName);
    expect(records.map((r) => `s3://${bucket}/${r.key}`)).toEqual([tags.promoted_record]);
    expect(records[0].record).toMatchObject({ route: 'alias-move', target: { version: '2', replacedVersion: '1' }, files: [] });

    const again = await promote(deps, [...oneServer, '--yes']);
    expect(again.code).toBe(ExitCode.ok);
    expect(again.io.stdout.join('\n')).toContain('is already promoted as version 2');
    expect(await promotionRecords(bucket, modelName)).toHaveLength(1);
  });

  it('says the alias moved when writing the record fails, and a rerun writes the record of that same promotion', async () => {
    await registerFixtureModel(trackingUri, modelName, staging.mlflow.scoringAlias, 'tiny', { 'gate.passed': 'true', 'metric.auc': '0.95' });
    const unwritable: PromoteDeps = {
      ...deps,
      records: () => ({
        put: async () => {
          throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
        },
      }),
    };
    const failed = await promote(unwritable, [...oneServer, '--yes', '--reason', 'weekly release']);
    expect(failed.code).toBe(ExitCode.failed);
    expect(failed.io.stderr.join('\n')).toMatch(/prod .*@champion now points at version 3, but writing the promotion record to s3:\/\/.*\/promotions\/ failed; rerun the same command to write it\.\n {2}caused by AccessDenied: Access Denied/);
    const moved = await mlflow.getModelVersionByAlias(modelName, prod.mlflow.scoringAlias);
    expect(moved.version).toBe('3');
    const before = Object.fromEntries((moved.tags ?? []).map((t) => [t.key, t.value]));
    expect(before).not.toHaveProperty('promoted_record');

    const rerun = await promote(deps, [...oneServer, '--yes', '--by', 'someone-else']);
    expect(rerun.io.stderr).toEqual([]);
    expect(rerun.code).toBe(ExitCode.ok);
    expect(rerun.io.stdout.join('\n')).toContain('write the missing record: @champion already points at version 3');
    const records = await promotionRecords(bucket, modelName);
    const record = records.find((r) => r.record.target.version === '3')!;
    // The record of the promotion that moved the alias: its time, its operator, its reason, what it replaced.
    expect(record.record).toMatchObject({ promotedBy: 'int-test', promotedAt: before.promoted_at, reason: 'weekly release', target: { replacedVersion: '2' } });
    const after = Object.fromEntries(((await mlflow.getModelVersion(modelName, '3')).tags ?? []).map((t) => [t.key, t.value]));
    expect(after.promoted_record).toBe(`s3://${bucket}/${record.key}`);
  });

  it('reports an unreachable server as a retryable failure (exit 1)', async () => {
    const io = captureIo();
    const unreachable: PromoteDeps = { ...deps, connect: (target) => connect(target, { retries: 0, timeoutMs: 2_000 }) };
    await expect(promoteCommand(['--tracking-uri', 'http://127.0.0.1:9'], unreachable, io)).resolves.toBe(ExitCode.failed);
    expect(io.stderr.join('\n')).toMatch(/Reading the .* alias of .* from MLflow failed[\s\S]*unreachable[\s\S]*retrying may help/);
  });
});
