// Carrying out a planned, allowed promotion, in an order a rerun can always finish: (1) the version the alias
// will point at (a new copy, an earlier copy, or the source itself), (2) its promoted_* tags, (3) the alias,
// (4) the JSON record, (5) the promoted_record tag, which marks the promotion complete. Each failure says what already happened and that
// rerunning the same command completes it (planning then finds the copy, the moved alias, the missing record).
import type { ModelVersion } from '../../apps/scorer/src/mlflow';
import { CliError } from '../cli/errors';
import { promotionTagKeys, tagMap } from './lineage';
import { CopyOptions, CopyResult, copyModelVersion } from './model-copy';
import { Check, PromotionPlan, candidateOf, isRetryable } from './promotion-plan';
import { CopiedFile, RecordStore, buildRecord } from './promotion-record';
import type { RegistryConnection } from './registry-target';

export interface ApplyDeps {
  source: RegistryConnection;
  target: RegistryConnection;
  records: RecordStore;
  log: (line: string) => void;
  signal?: AbortSignal;
  copy?: (plan: PromotionPlan, source: RegistryConnection, target: RegistryConnection, options: CopyOptions) => Promise<CopyResult>;
}

export interface Who {
  by: string;
  at: Date;
  reason?: string;
}

export interface Applied {
  version: ModelVersion;
  copied: boolean;
  recordUri: string;
  tags: Record<string, string>;
}

/** A promotion that may go ahead (decide() said go), with the checks as evaluated. */
export async function applyPromotion(plan: PromotionPlan, checks: { all: Check[]; overridden: Check[] }, who: Who, deps: ApplyDeps): Promise<Applied> {
  const { to } = plan;
  let version = candidateOf(plan);
  let files: CopiedFile[] = [];
  if (!version) {
    deps.log(`Copying ${plan.from.env} ${plan.source.name} version ${plan.source.version} into ${to.env}'s registry (${plan.sourceModel.files.length} files)…`);
    const copied = await (deps.copy ?? copyModelVersion)(plan, deps.source, deps.target, { by: who.by, at: who.at, log: deps.log, ...(deps.signal ? { signal: deps.signal } : {}) });
    version = copied.version;
    files = copied.files;
    deps.log(`Registered ${to.env} ${to.modelName} version ${version.version} (run ${copied.runId}, logged model ${copied.modelId}).`);
  }
  const replaced = plan.current && plan.current.version !== version.version ? plan.current : undefined;
  const made = plan.route.kind === 'copy' ? ` The copy is registered as ${to.env} version ${version.version}.` : '';
  // Tags first, the record tag of any earlier promotion of this version removed: should this run stop after the
  // alias moved, the rerun finds these tags without a record and writes exactly this promotion's record.
  const tags = promotionTags(plan, replaced, checks.overridden, who);
  await tagVersion(deps.target, plan, version, tags, staleTags(version, tags), `the alias did not move.${made}`);
  if (deps.signal?.aborted) throw new CliError(`Interrupted before moving ${to.env} ${to.modelName}@${to.alias}; the alias did not move.${made} Rerun to finish.`);
  try {
    await deps.target.client.setAlias(to.modelName, to.alias, version.version);
  } catch (error) {
    throw new CliError(`Moving ${to.env} ${to.modelName}@${to.alias} to version ${version.version} failed; the alias did not move.${made} Rerun to try again.`, {
      cause: error,
      retryable: isRetryable(error),
    });
  }
  deps.log(`Moved ${to.env} ${to.modelName}@${to.alias}: ${replaced ? `version ${replaced.version}` : '(none)'} -> version ${version.version}.`);
  return record(plan, version, { checks: checks.all, overridden: checks.overridden, files, ...(replaced ? { replaced } : {}) }, who, deps, tags);
}

/**
 * The alias already points at the candidate but an earlier run stopped before its record: write the record from
 * the tags that run left (who, when, what it replaced), filling in only what is missing.
 */
export async function completeRecord(plan: PromotionPlan, checks: Check[], who: Who, deps: ApplyDeps): Promise<Applied> {
  const version = candidateOf(plan)!;
  const earlier = tagMap(version);
  const replacedNumber = earlier[promotionTagKeys.replaced];
  const replaced = replacedNumber ? await versionIfExists(deps.target, plan.to.modelName, replacedNumber) : undefined;
  const original: Who = {
    by: earlier[promotionTagKeys.by] ?? who.by,
    at: earlier[promotionTagKeys.at] ? new Date(earlier[promotionTagKeys.at]) : who.at,
    ...((earlier[promotionTagKeys.reason] ?? who.reason) ? { reason: earlier[promotionTagKeys.reason] ?? who.reason } : {}),
  };
  const wanted = promotionTags(plan, replaced, [], original);
  const missing = Object.fromEntries(Object.entries(wanted).filter(([key]) => earlier[key] === undefined));
  await tagVersion(deps.target, plan, version, missing, [], `${plan.to.env} ${plan.to.modelName}@${plan.to.alias} points at version ${version.version}.`);
  const overridden = checks.filter((check) => (earlier[promotionTagKeys.overrode] ?? '').split(',').includes(check.id));
  return record(plan, version, { checks, overridden, files: [], ...(replaced ? { replaced } : {}) }, original, deps, { ...wanted, ...pick(earlier, Object.keys(wanted)) });
}

function promotionTags(plan: PromotionPlan, replaced: ModelVersion | undefined, overridden: Check[], who: Who): Record<string, string> {
  const { from, to, selection } = plan;
  return {
    [promotionTagKeys.by]: who.by,
    [promotionTagKeys.at]: who.at.toISOString(),
    [promotionTagKeys.from]: `${from.env}:${plan.source.name}/${plan.source.version}${selection.alias ? `@${selection.alias}` : ''}`,
    [promotionTagKeys.to]: `${to.env}:${to.alias}`,
    ...(replaced ? { [promotionTagKeys.replaced]: replaced.version } : {}),
    ...(who.reason ? { [promotionTagKeys.reason]: who.reason } : {}),
    ...(overridden.length > 0 ? { [promotionTagKeys.overrode]: overridden.map((check) => check.id).join(',') } : {}),
  };
}

/** promoted_* tags of an earlier promotion of the same version that this one does not set (e.g. its reason). */
function staleTags(version: ModelVersion, tags: Record<string, string>): string[] {
  const ours = new Set<string>(Object.values(promotionTagKeys));
  return Object.keys(tagMap(version)).filter((key) => ours.has(key) && !(key in tags));
}

/**
 * The version's promoted_* tags become exactly those of this promotion (one set per version: the latest); stale
 * ones go first. `state` says where the promotion stands if a write fails.
 */
async function tagVersion(
  target: RegistryConnection,
  plan: PromotionPlan,
  version: ModelVersion,
  tags: Record<string, string>,
  stale: string[],
  state: string,
): Promise<void> {
  const writes: [string, () => Promise<void>][] = [
    ...stale.map((key): [string, () => Promise<void>] => [key, () => target.client.deleteModelVersionTag(plan.to.modelName, version.version, key)]),
    ...Object.entries(tags).map(([key, value]): [string, () => Promise<void>] => [key, () => target.client.setModelVersionTag(plan.to.modelName, version.version, key, value)]),
  ];
  for (const [key, write] of writes) {
    try {
      await write();
    } catch (error) {
      throw new CliError(`Writing tag ${key} on ${plan.to.env} ${plan.to.modelName} version ${version.version} failed; ${state} Rerun the same command to finish the promotion.`, {
        cause: error,
        retryable: isRetryable(error),
      });
    }
  }
}

async function record(
  plan: PromotionPlan,
  version: ModelVersion,
  outcome: { checks: Check[]; overridden: Check[]; files: CopiedFile[]; replaced?: ModelVersion },
  who: Who,
  deps: ApplyDeps,
  tags: Record<string, string>,
): Promise<Applied> {
  const body = buildRecord(plan, { version, ...outcome }, who);
  let recordUri: string;
  try {
    recordUri = await deps.records.put(body);
  } catch (error) {
    throw new CliError(
      `${plan.to.env} ${plan.to.modelName}@${plan.to.alias} now points at version ${version.version}, but writing the promotion record to ${plan.to.recordsUri} failed; rerun the same command to write it.`,
      { cause: error, retryable: isRetryable(error) || isAwsRetryable(error) },
    );
  }
  await tagVersion(deps.target, plan, version, { [promotionTagKeys.record]: recordUri }, [], `${plan.to.env} ${plan.to.modelName}@${plan.to.alias} points at version ${version.version} and the record is written (${recordUri}).`);
  deps.log(`Recorded ${recordUri}`);
  return { version, copied: plan.route.kind === 'copy', recordUri, tags: { ...tags, [promotionTagKeys.record]: recordUri } };
}

/** The version an earlier run replaced; it may have been deleted since (then the record just lacks its metric). */
async function versionIfExists(target: RegistryConnection, name: string, version: string): Promise<ModelVersion | undefined> {
  try {
    return await target.client.getModelVersion(name, version);
  } catch (error) {
    if ((error as { notFound?: boolean }).notFound === true) return undefined;
    throw new CliError(`Reading version ${version} of ${name} (${target.target.env}) failed`, { cause: error, retryable: isRetryable(error) });
  }
}

function pick(record: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((key) => record[key] !== undefined).map((key) => [key, record[key]]));
}

function isAwsRetryable(error: unknown): boolean {
  return (error as { $retryable?: unknown }).$retryable !== undefined;
}
