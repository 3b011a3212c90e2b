// The JSON record every promotion leaves in the target environment's data bucket (s3://<bucket>/promotions/…):
// the audit trail that outlives registry edits. The version's promoted_record tag points at it.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ModelVersion } from '../../apps/scorer/src/mlflow';
import type { Check, PromotionPlan, Route } from './promotion-plan';
import { metricValue, tagMap } from './lineage';

export const RECORD_SCHEMA = 'ml-platform/promotion-record@1';

export interface CopiedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface PromotionRecord {
  schema: typeof RECORD_SCHEMA;
  promotedAt: string;
  promotedBy: string;
  route: Route['kind'];
  reason: string | null;
  /** Checks that failed and were overridden with --force. */
  overridden: string[];
  checks: { id: string; ok: boolean; detail: string }[];
  metric: { name: string; source: number | null; replaced: number | null; threshold: number };
  source: {
    env: string;
    trackingServer: string;
    model: string;
    version: string;
    selectedBy: { alias?: string; version?: string };
    runId: string | null;
    modelUri: string | null;
    tags: Record<string, string>;
  };
  target: {
    env: string;
    trackingServer: string;
    model: string;
    version: string;
    alias: string;
    replacedVersion: string | null;
    runId: string | null;
  };
  /** The files copied, with their checksums (empty when nothing was copied). */
  files: CopiedFile[];
}

export function buildRecord(
  plan: PromotionPlan,
  outcome: { version: ModelVersion; checks: Check[]; overridden: Check[]; files: CopiedFile[]; replaced?: ModelVersion },
  who: { by: string; at: Date; reason?: string },
): PromotionRecord {
  const { from, to, source } = plan;
  const metric = to.qualityGate.metric;
  const replaced = outcome.replaced;
  return {
    schema: RECORD_SCHEMA,
    promotedAt: who.at.toISOString(),
    promotedBy: who.by,
    route: plan.route.kind,
    reason: who.reason ?? null,
    overridden: outcome.overridden.map((check) => check.id),
    checks: outcome.checks.map(({ id, ok, detail }) => ({ id, ok, detail })),
    metric: {
      name: metric,
      source: metricValue(plan.sourceTags, metric) ?? null,
      replaced: replaced ? (metricValue(tagMap(replaced), metric) ?? null) : null,
      threshold: to.qualityGate.threshold,
    },
    source: {
      env: from.env,
      trackingServer: from.trackingUri,
      model: source.name,
      version: source.version,
      selectedBy: plan.selection,
      runId: source.run_id || null,
      modelUri: source.source ?? null,
      tags: plan.sourceTags,
    },
    target: {
      env: to.env,
      trackingServer: to.trackingUri,
      model: to.modelName,
      version: outcome.version.version,
      alias: to.alias,
      replacedVersion: replaced?.version ?? null,
      runId: outcome.version.run_id || null,
    },
    files: outcome.files,
  };
}

/** promotions/<model>/<alias>/<time>-<source env>-v<source>-to-v<target>.json: sorted by time per alias. */
export function recordKey(record: PromotionRecord): string {
  const stamp = record.promotedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${safe(record.target.model)}/${safe(record.target.alias)}/${stamp}-${safe(record.source.env)}-v${record.source.version}-to-v${record.target.version}.json`;
}

export interface RecordStore {
  /** Writes the record and returns its s3:// URI. */
  put(record: PromotionRecord): Promise<string>;
}

export function s3RecordStore(s3: S3Client, recordsUri: string): RecordStore {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(recordsUri);
  if (!match) throw new Error(`promotion records location ${recordsUri} is not an s3:// URI`);
  const [, bucket, prefix] = match;
  return {
    async put(record) {
      const key = `${prefix.replace(/\/*$/, '/')}${recordKey(record)}`;
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${JSON.stringify(record, null, 2)}\n`, ContentType: 'application/json' }),
      );
      return `s3://${bucket}/${key}`;
    },
  };
}
