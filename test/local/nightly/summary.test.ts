// The night's closing summary: a run the scorer aborted says so and why, and its counts still reconcile.
import type { InferenceOutcome, ScorerManifest } from '../../../scripts/local/nightly/outcome';
import { formatSummary, type NightSummary } from '../../../scripts/local/nightly/summary';

const manifest = (shardId: string, status: string, counts: ScorerManifest['counts'], error?: string): ScorerManifest => ({
  status,
  shardId,
  model: { name: 'churn-classifier', version: '1', alias: 'challenger' },
  kafka: { topic: 'local.predictions', deadLetterTopic: 'local.predictions.dlq' },
  counts,
  ...(error ? { error: { message: error } } : {}),
});

function summary(inference: Partial<InferenceOutcome>, consumed?: NightSummary['consumed']): string[] {
  const counts = { read: 0, scored: 0, rejected: 0, published: 0, deadLettered: 0 };
  for (const m of inference.manifests ?? []) for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += m.counts[k];
  return formatSummary({
    runId: 'r1',
    succeeded: false,
    totalSeconds: 1,
    deployed: { environment: 'local', resources: 50, seconds: 60, provider: 'provider hashicorp/aws 5.100.0' },
    runs: [],
    skipped: [],
    inference: { run: {} as InferenceOutcome['run'], manifests: [], counts, ...inference } as InferenceOutcome,
    consumed,
    alerts: [],
    alertTopic: 'mlp-local-pipeline-alerts',
    problems: [],
    folder: '/tmp/night',
  });
}

describe("the night's summary", () => {
  it('says a run with too many bad rows was aborted, and why, and reconciles read = scored + rejected', () => {
    const lines = summary({
      manifests: [manifest('algo-1', 'failed', { read: 20_000, scored: 19_000, rejected: 1_000, published: 0, deadLettered: 0 }, 'rejected ratio 0.05 above MAX_REJECTED_RATIO 0.01')],
    });
    expect(lines).toContain('rows           read 20,000 = scored 19,000 + rejected 1,000  ✓ reconciled (1 shard)');
    expect(lines).toContain(
      'aborted        shard algo-1: failed — rejected ratio 0.05 above MAX_REJECTED_RATIO 0.01; its transaction was aborted, consumers see none of its rows',
    );
    expect(lines).toContain('published      0 predictions (committed shards only)');
    expect(lines.some((l) => l.includes('DOES NOT RECONCILE'))).toBe(false);
  });

  it('reconciles every shard and compares what consumers read with what was published', () => {
    const lines = summary(
      {
        manifests: [
          manifest('algo-1', 'succeeded', { read: 10, scored: 9, rejected: 1, published: 9, deadLettered: 1 }),
          manifest('algo-2', 'succeeded', { read: 10, scored: 10, rejected: 0, published: 10, deadLettered: 0 }),
        ],
      },
      { ofThisRun: 18, invalid: 0, topic: 'local.predictions' },
    );
    expect(lines).toContain('rows           read 20 = scored 19 + rejected 1  ✓ reconciled (2 shards)');
    expect(lines).toContain('  shard algo-1   read 10 = scored 9 + rejected 1; published 9 (succeeded)');
    expect(lines).toContain('consumed       18 messages of this run on local.predictions (read_committed), 0 invalid against the contract  ✗ ≠ published');
  });

  it('flags counts that do not add up', () => {
    const lines = summary({ manifests: [manifest('algo-1', 'succeeded', { read: 10, scored: 8, rejected: 1, published: 8, deadLettered: 1 })] });
    expect(lines).toContain('rows           read 10 = scored 8 + rejected 1  ✗ DOES NOT RECONCILE (1 shard)');
  });
});
