// Planning a promotion: read everything it depends on from both registries (no writes), then decide, as pure
// functions of what was read, which route it takes (move an alias, copy, or reuse an earlier copy), which
// checks pass, and whether it may go ahead.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ArtifactFile, ModelVersion } from '../../apps/scorer/src/mlflow';
import { parseMlmodel } from '../../apps/scorer/src/model/feature-schema';
import { CliError } from '../cli/errors';
import { GATE_PASSED_TAG, GATE_REASON_TAG, SourceIdentity, findCopy, metricValue, promotionTagKeys, tagMap } from './lineage';
import { RegistryConnection, RegistryTarget, sameRegistry } from './registry-target';

/** What to promote: a version number, an alias's current version, or both (then they must agree). */
export interface SourceSelection {
  version?: string;
  alias?: string;
}

export type Route =
  /** One registry, one model: the target alias moves to the source version itself. */
  | { kind: 'alias-move' }
  /** The source version is copied into the target registry as a new version. */
  | { kind: 'copy' }
  /** An earlier promotion already copied this source version: the alias moves to that copy. */
  | { kind: 'reuse-copy'; copy: ModelVersion };

export interface SourceModel {
  downloadUri: string;
  files: ArtifactFile[];
  /** From the MLmodel file, as the scorer reads it; or why the scorer could not. */
  loadable: { ok: true; onnxFile: string; features: number } | { ok: false; problem: string };
}

export interface PromotionPlan {
  from: RegistryTarget;
  to: RegistryTarget;
  selection: SourceSelection;
  source: ModelVersion;
  sourceTags: Record<string, string>;
  sourceModel: SourceModel;
  route: Route;
  /** The version the target alias points at now, with its tags. */
  current?: ModelVersion;
}

export interface Check {
  id: 'loadable' | 'gate' | 'threshold' | 'not-worse';
  ok: boolean;
  detail: string;
  /** Only the comparison with the current alias holder can be overridden (--force --reason). */
  forceable: boolean;
}

export type PlanState =
  /** The alias already points at the candidate and the promotion is recorded: nothing to do. */
  | 'done'
  /** The alias already points at the candidate but the record is missing (an interrupted run): write it. */
  | 'record-missing'
  | 'pending';

export function sourceIdentity(plan: Pick<PromotionPlan, 'from' | 'source'>): SourceIdentity {
  return {
    env: plan.from.env,
    server: plan.from.trackingUri,
    model: plan.source.name,
    version: plan.source.version,
    ...(plan.source.run_id ? { runId: plan.source.run_id } : {}),
    ...(plan.source.source ? { modelUri: plan.source.source } : {}),
  };
}

/** The version the alias will point at, when it exists already (not for a new copy). */
export function candidateOf(plan: PromotionPlan): ModelVersion | undefined {
  if (plan.route.kind === 'alias-move') return plan.source;
  if (plan.route.kind === 'reuse-copy') return plan.route.copy;
  return undefined;
}

export function planState(plan: PromotionPlan): PlanState {
  const candidate = candidateOf(plan);
  if (!candidate || plan.current?.version !== candidate.version) return 'pending';
  const tags = tagMap(plan.current);
  const recorded = tags[promotionTagKeys.to] === `${plan.to.env}:${plan.to.alias}` && Boolean(tags[promotionTagKeys.record]);
  return recorded ? 'done' : 'record-missing';
}

export function evaluateChecks(plan: PromotionPlan): Check[] {
  const { metric, threshold } = plan.to.qualityGate;
  const value = metricValue(plan.sourceTags, metric);
  const checks: Check[] = [];
  checks.push(
    plan.sourceModel.loadable.ok
      ? { id: 'loadable', ok: true, forceable: false, detail: `MLmodel names ${plan.sourceModel.loadable.onnxFile} and a feature schema of ${plan.sourceModel.loadable.features} features` }
      : { id: 'loadable', ok: false, forceable: false, detail: `the scorer could not load it: ${plan.sourceModel.loadable.problem}` },
  );
  const gate = plan.sourceTags[GATE_PASSED_TAG];
  const reason = plan.sourceTags[GATE_REASON_TAG];
  checks.push({
    id: 'gate',
    ok: gate === 'true',
    forceable: false,
    detail: `${GATE_PASSED_TAG}=${gate ?? '(not recorded: not registered by the trainer\'s Register step?)'}${reason ? ` (${reason})` : ''}`,
  });
  checks.push(
    value === undefined
      ? { id: 'threshold', ok: false, forceable: false, detail: `no metric.${metric} tag on the source version: its ${metric} is unknown` }
      : {
          id: 'threshold',
          ok: value >= threshold,
          forceable: false,
          detail: `${metric} ${fmt(value)} ${value >= threshold ? '>=' : '<'} ${plan.to.env}'s quality-gate threshold ${threshold}`,
        },
  );
  checks.push(notWorse(plan, metric, value));
  return checks;
}

function notWorse(plan: PromotionPlan, metric: string, value: number | undefined): Check {
  const base = { id: 'not-worse' as const, forceable: true };
  const current = plan.current;
  if (!current) return { ...base, ok: true, detail: `no version holds @${plan.to.alias} yet` };
  if (current.version === candidateOf(plan)?.version) return { ...base, ok: true, detail: `@${plan.to.alias} already points at version ${current.version}` };
  const held = metricValue(tagMap(current), metric);
  if (held === undefined) return { ...base, ok: false, detail: `cannot compare: version ${current.version} (@${plan.to.alias}) has no metric.${metric} tag` };
  if (value === undefined) return { ...base, ok: false, detail: `cannot compare: the source version has no metric.${metric} tag` };
  return {
    ...base,
    ok: value >= held,
    detail: `${metric} ${fmt(value)} ${value >= held ? '>=' : '<'} ${fmt(held)} of version ${current.version} (@${plan.to.alias})${value >= held ? '' : ': worse than what it would replace'}`,
  };
}

export type Decision =
  | { kind: 'done' }
  | { kind: 'complete-record'; checks: Check[] }
  | { kind: 'refused'; failed: Check[]; checks: Check[] }
  | { kind: 'go'; overridden: Check[]; checks: Check[] };

export function decide(plan: PromotionPlan, options: { force: boolean }): Decision {
  const state = planState(plan);
  if (state === 'done') return { kind: 'done' };
  const checks = evaluateChecks(plan);
  // The alias already moved in an earlier, interrupted run: only its record is missing.
  if (state === 'record-missing') return { kind: 'complete-record', checks };
  const failed = checks.filter((check) => !check.ok && !(check.forceable && options.force));
  if (failed.length > 0) return { kind: 'refused', failed, checks };
  return { kind: 'go', overridden: checks.filter((check) => !check.ok), checks };
}

export const fmt = (value: number) => value.toFixed(4);

/** Reads both registries; writes nothing. */
export async function gatherPlan(source: RegistryConnection, target: RegistryConnection, selection: SourceSelection): Promise<PromotionPlan> {
  const from = source.target;
  const to = target.target;
  const version = await resolveSource(source, selection);
  if (version.status !== undefined && version.status !== 'READY') {
    throw new CliError(`Version ${version.version} of ${version.name} (${from.env}) is ${version.status}, not READY; it cannot be promoted yet.`, {
      retryable: version.status === 'PENDING_REGISTRATION',
    });
  }
  const sourceModel = await inspectSourceModel(source, version);
  const current = await optional(`the ${to.alias} alias of ${to.modelName} (${to.env})`, () => target.client.getModelVersionByAlias(to.modelName, to.alias));
  const plan: PromotionPlan = { from, to, selection, source: version, sourceTags: tagMap(version), sourceModel, route: { kind: 'copy' }, ...(current ? { current } : {}) };
  if (sameRegistry(from, to) && from.modelName === to.modelName) return { ...plan, route: { kind: 'alias-move' } };
  const versions = await read(`the versions of ${to.modelName} (${to.env})`, () => target.client.searchModelVersions(`name='${to.modelName.replace(/'/g, "\\'")}'`));
  const copy = findCopy(versions, sourceIdentity(plan));
  return copy ? { ...plan, route: { kind: 'reuse-copy', copy } } : plan;
}

async function resolveSource(source: RegistryConnection, selection: SourceSelection): Promise<ModelVersion> {
  const { env, modelName } = source.target;
  let byAlias: ModelVersion | undefined;
  if (selection.alias !== undefined) {
    byAlias = await optional(`the ${selection.alias} alias of ${modelName} (${env})`, () => source.client.getModelVersionByAlias(modelName, selection.alias!));
    if (!byAlias) throw new CliError(`${modelName}@${selection.alias} does not exist in ${env}'s registry: nothing to promote.`, { exitCode: 2 });
    if (selection.version !== undefined && byAlias.version !== selection.version) {
      throw new CliError(
        `--version ${selection.version} is not what ${env}'s ${modelName}@${selection.alias} points at (version ${byAlias.version}). Promote that version, or move ${env}'s alias first.`,
        { exitCode: 2 },
      );
    }
  }
  const number = selection.version ?? byAlias!.version;
  const version = await optional(`version ${number} of ${modelName} (${env})`, () => source.client.getModelVersion(modelName, number));
  if (!version) throw new CliError(`${env}'s registry has no version ${number} of ${modelName}.`, { exitCode: 2 });
  return version;
}

/** Lists the version's files through its download URI and reads its MLmodel the way the scorer does. */
async function inspectSourceModel(source: RegistryConnection, version: ModelVersion): Promise<SourceModel> {
  const what = `the files of ${version.name} version ${version.version} (${source.target.env})`;
  const downloadUri = await read(what, () => source.client.getDownloadUri(version.name, version.version));
  const files = await read(what, () => source.client.artifacts.listTree(downloadUri));
  if (!files.some((file) => file.path === 'MLmodel')) {
    return { downloadUri, files, loadable: { ok: false, problem: `no MLmodel file under ${downloadUri}` } };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'promote-mlmodel-'));
  try {
    await read(what, () => source.client.downloadArtifact(downloadUri, 'MLmodel', path.join(dir, 'MLmodel')));
    const info = parseMlmodel(await readFile(path.join(dir, 'MLmodel'), 'utf8'));
    if (!files.some((file) => file.path === info.onnxFile)) {
      return { downloadUri, files, loadable: { ok: false, problem: `MLmodel names ${info.onnxFile}, which is not among its files` } };
    }
    return { downloadUri, files, loadable: { ok: true, onnxFile: info.onnxFile, features: info.featureSchema.features.length } };
  } catch (error) {
    if (error instanceof CliError) throw error;
    return { downloadUri, files, loadable: { ok: false, problem: error instanceof Error ? error.message : String(error) } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new CliError(`Reading ${what} from MLflow failed`, { cause: error, retryable: isRetryable(error) });
  }
}

/** Like read, but "not found" is an answer (undefined), not a failure. */
async function optional<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if ((error as { notFound?: boolean }).notFound === true) return undefined;
    throw new CliError(`Reading ${what} from MLflow failed`, { cause: error, retryable: isRetryable(error) });
  }
}

export function isRetryable(error: unknown): boolean {
  return (error as { retryable?: boolean }).retryable === true;
}
