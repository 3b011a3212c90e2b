// Promoting a model version from one environment's alias to another's, in one MLflow registry: check that the
// source alias really points at the version the operator named, show what would change, then move the alias
// and record who/when/from as tags on the version.
import { CliError, UsageError } from '../cli/errors';
import { RegistryClient, RegistryTarget } from './registry-target';
import type { ModelVersion } from '../../apps/scorer/src/mlflow';

export interface PromotionPlan {
  version: ModelVersion;
  from: RegistryTarget;
  to: RegistryTarget;
  /** The version the target alias points at now, if any. */
  currentTarget?: ModelVersion;
  alreadyPromoted: boolean;
}

const metricTagPrefix = 'metric.';

export const promotionTagKeys = { by: 'promoted_by', at: 'promoted_at', from: 'promoted_from', to: 'promoted_to', replaced: 'promoted_replaced_version' } as const;

export async function planPromotion(client: RegistryClient, from: RegistryTarget, to: RegistryTarget, version: string): Promise<PromotionPlan> {
  if (from.trackingUri !== to.trackingUri) {
    // Different servers (as in separate staging and prod accounts) mean a copy of the model files into the
    // other registry's artifact store; this script does not copy, it only moves aliases inside one registry.
    throw new UsageError(
      `${from.env} and ${to.env} use different MLflow tracking servers (${from.trackingUri} vs ${to.trackingUri}); promotion moves an alias within one registry. ` +
        'Register the model in the target registry first (e.g. run its training pipeline), or pass --tracking-uri when both environments share one server.',
    );
  }
  if (from.modelName !== to.modelName) {
    throw new UsageError(`${from.env} registers ${from.modelName} but ${to.env} scores ${to.modelName}; an alias can only move within one registered model.`);
  }
  const source = await lookup(`the ${from.alias} alias of ${from.modelName}`, () => client.getModelVersionByAlias(from.modelName, from.alias));
  if (!source) throw new CliError(`${from.modelName}@${from.alias} (${from.env}) does not exist: nothing to promote.`);
  if (source.version !== version) {
    throw new CliError(
      `--version ${version} is not what ${from.env} scores with: ${from.modelName}@${from.alias} points at version ${source.version}. Promote that version, or move ${from.env}'s alias first.`,
      { exitCode: 2 },
    );
  }
  const versionDetail = await lookup(`version ${version} of ${from.modelName}`, () => client.getModelVersion(from.modelName, version));
  if (!versionDetail) throw new CliError(`Version ${version} of ${from.modelName} disappeared while planning; try again.`, { retryable: true });
  if (versionDetail.status !== undefined && versionDetail.status !== 'READY') {
    throw new CliError(`Version ${version} of ${from.modelName} is ${versionDetail.status}, not READY; it cannot be promoted yet.`, { retryable: versionDetail.status === 'PENDING_REGISTRATION' });
  }
  const currentTarget = await lookup(`the ${to.alias} alias of ${to.modelName}`, () => client.getModelVersionByAlias(to.modelName, to.alias));
  return {
    version: versionDetail,
    from,
    to,
    ...(currentTarget ? { currentTarget } : {}),
    // Already done only when the record is there too: a promotion whose tagging failed is completed by a rerun.
    alreadyPromoted:
      currentTarget?.version === version && (versionDetail.tags ?? []).some((tag) => tag.key === promotionTagKeys.to && tag.value === `${to.env}:${to.alias}`),
  };
}

export async function applyPromotion(client: RegistryClient, plan: PromotionPlan, by: string, at: Date): Promise<Record<string, string>> {
  const { version, from, to } = plan;
  const tags: Record<string, string> = {
    [promotionTagKeys.by]: by,
    [promotionTagKeys.at]: at.toISOString(),
    [promotionTagKeys.from]: `${from.env}:${from.alias}`,
    [promotionTagKeys.to]: `${to.env}:${to.alias}`,
    ...(plan.currentTarget && plan.currentTarget.version !== version.version ? { [promotionTagKeys.replaced]: plan.currentTarget.version } : {}),
  };
  try {
    await client.setAlias(to.modelName, to.alias, version.version);
  } catch (error) {
    throw new CliError(`Moving ${to.modelName}@${to.alias} to version ${version.version} failed; nothing changed.`, { cause: error, retryable: isRetryable(error) });
  }
  for (const [key, value] of Object.entries(tags)) {
    try {
      await client.setModelVersionTag(to.modelName, version.version, key, value);
    } catch (error) {
      // The alias already moved: say so plainly, the record is what is missing.
      throw new CliError(
        `${to.modelName}@${to.alias} now points at version ${version.version}, but recording tag ${key} failed; rerun with the same flags to record the promotion.`,
        { cause: error, retryable: true },
      );
    }
  }
  return tags;
}

export function describePlan(plan: PromotionPlan): string[] {
  const { version, from, to } = plan;
  const lines = [
    `Model ${version.name} version ${version.version}${version.status ? ` (${version.status})` : ''}`,
    `  registry:  ${from.trackingUri}`,
    `  source:    ${version.source ?? '?'}`,
    `  run id:    ${version.run_id ?? '?'}`,
    `  aliases:   ${(version.aliases ?? []).join(', ') || '(none)'}`,
  ];
  // The trainer's Register step records the evaluation metrics as `metric.<name>` tags on the version.
  const tags = [...(version.tags ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const metrics = tags.filter((tag) => tag.key.startsWith(metricTagPrefix));
  const others = tags.filter((tag) => !tag.key.startsWith(metricTagPrefix));
  lines.push('  metrics:', ...(metrics.length ? metrics.map((tag) => `    ${tag.key.slice(metricTagPrefix.length)} = ${tag.value}`) : ['    (none recorded)']));
  lines.push('  tags:', ...(others.length ? others.map((tag) => `    ${tag.key} = ${tag.value}`) : ['    (none)']));
  lines.push(
    `Promotion: ${from.env} ${from.modelName}@${from.alias} -> ${to.env} ${to.modelName}@${to.alias}`,
    `  ${to.alias} now points at: ${plan.currentTarget ? `version ${plan.currentTarget.version}` : '(no version yet)'}`,
  );
  return lines;
}

async function lookup(what: string, call: () => Promise<ModelVersion>): Promise<ModelVersion | undefined> {
  try {
    return await call();
  } catch (error) {
    if ((error as { notFound?: boolean }).notFound === true) return undefined;
    throw new CliError(`Reading ${what} from MLflow failed`, { cause: error, retryable: isRetryable(error) });
  }
}

function isRetryable(error: unknown): boolean {
  return (error as { retryable?: boolean }).retryable === true;
}
