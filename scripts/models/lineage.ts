// The tags a promotion writes, in one place. Two kinds:
// - lineage.*   on a copied version, set when it is created (atomically with it): where it came from, who copied
//               it and when. They are also how a rerun finds an earlier copy of the same source version.
// - promoted_*  on the version an alias was moved to, one set per promotion: who, when, from, to, what it
//               replaced, why (when forced), and where the JSON record is.
import type { ModelVersion } from '../../apps/scorer/src/mlflow';

export const lineageTagKeys = {
  sourceEnv: 'lineage.source_env',
  sourceServer: 'lineage.source_server',
  sourceModel: 'lineage.source_model',
  sourceVersion: 'lineage.source_version',
  sourceRunId: 'lineage.source_run_id',
  sourceModelUri: 'lineage.source_model_uri',
  copiedBy: 'lineage.copied_by',
  copiedAt: 'lineage.copied_at',
} as const;

export const promotionTagKeys = {
  by: 'promoted_by',
  at: 'promoted_at',
  from: 'promoted_from',
  to: 'promoted_to',
  replaced: 'promoted_replaced_version',
  reason: 'promoted_reason',
  overrode: 'promoted_overrode',
  record: 'promoted_record',
} as const;

/** The trainer's Register step records evaluation metrics as `metric.<name>` and the gate as `gate.passed`. */
export const metricTag = (metric: string) => `metric.${metric}`;
export const GATE_PASSED_TAG = 'gate.passed';
export const GATE_REASON_TAG = 'gate.reason';

/**
 * Source version tags that describe the source registry itself (its run, its logged model, the version number of
 * its champion) or an earlier promotion: meaningless, or wrong, on the copy. The record keeps all of them.
 */
const notCopied = (key: string) =>
  ['run_id', 'model_uri', 'champion_version'].includes(key) || key.startsWith('lineage.') || key.startsWith('promoted_') || key.startsWith('mlflow.');

export function tagMap(version: Pick<ModelVersion, 'tags'>): Record<string, string> {
  return Object.fromEntries((version.tags ?? []).map((tag) => [tag.key, tag.value]));
}

export interface SourceIdentity {
  env: string;
  server: string;
  model: string;
  version: string;
  runId?: string;
  modelUri?: string;
}

/** Where a copy came from, who made it and when (on the copy's version, run and logged model). */
export function lineageTags(source: SourceIdentity, by: string, at: Date): Record<string, string> {
  const lineage: Record<string, string | undefined> = {
    [lineageTagKeys.sourceEnv]: source.env,
    [lineageTagKeys.sourceServer]: source.server,
    [lineageTagKeys.sourceModel]: source.model,
    [lineageTagKeys.sourceVersion]: source.version,
    [lineageTagKeys.sourceRunId]: source.runId,
    [lineageTagKeys.sourceModelUri]: source.modelUri,
    [lineageTagKeys.copiedBy]: by,
    [lineageTagKeys.copiedAt]: at.toISOString(),
  };
  return Object.fromEntries(Object.entries(lineage).filter((entry): entry is [string, string] => Boolean(entry[1])));
}

/** The tags a copy's version is created with: the source version's own (metrics, gate, data, git sha) plus lineage. */
export function copyTags(sourceTags: Record<string, string>, source: SourceIdentity, by: string, at: Date): Record<string, string> {
  const kept = Object.fromEntries(Object.entries(sourceTags).filter(([key]) => !notCopied(key)));
  return { ...kept, ...lineageTags(source, by, at) };
}

/**
 * An earlier copy of the same source version among the target's versions: same model and version number, and the
 * same source run (a run id is unique across servers); without a run id, the same source server. The oldest wins.
 */
export function findCopy(versions: readonly ModelVersion[], source: SourceIdentity): ModelVersion | undefined {
  const copies = versions.filter((candidate) => {
    const tags = tagMap(candidate);
    if (tags[lineageTagKeys.sourceModel] !== source.model || tags[lineageTagKeys.sourceVersion] !== source.version) return false;
    if (candidate.status !== undefined && candidate.status !== 'READY') return false;
    return source.runId ? tags[lineageTagKeys.sourceRunId] === source.runId : tags[lineageTagKeys.sourceServer] === source.server;
  });
  return copies.sort((a, b) => Number(a.version) - Number(b.version))[0];
}

/** A number from a `metric.<name>` tag, or undefined when absent or not a finite number. */
export function metricValue(tags: Record<string, string>, metric: string): number | undefined {
  const raw = tags[metricTag(metric)];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
