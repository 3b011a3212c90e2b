// The closing summary of a local nightly run: what ran, what came out, and where to look.
export interface NightlySummary {
  runId: string;
  model: string;
  gate: string;
  auc: number | undefined;
  counts: { read: number; scored: number; rejected: number; published: number; deadLettered: number };
  consumed: { ofThisRun: number; invalid: number };
  throughputRowsPerSecond: number;
  scoreSeconds: number;
  totalSeconds: number;
  outputs: { root: string; manifest: string; rejectedRows: string; logs: string };
  topics: { predictions: string; deadLetter: string };
  status: string;
  error: string | undefined;
}

const n = (value: number) => value.toLocaleString('en-US');

export function formatSummary(s: NightlySummary): string[] {
  const c = s.counts;
  const reconciled = c.read === c.published + c.rejected;
  return [
    '',
    `══ nightly run ${s.runId}: ${s.status.toUpperCase()} in ${s.totalSeconds.toFixed(1)} s`,
    `model          ${s.model}${s.auc === undefined ? '' : `, holdout AUC ${s.auc.toFixed(4)}`}`,
    `quality gate   ${s.gate}`,
    `rows           read ${n(c.read)} = published ${n(c.published)} + rejected ${n(c.rejected)}  ${reconciled ? '✓ reconciled' : '✗ DOES NOT RECONCILE'}`,
    `dead letters   ${n(c.deadLettered)} on ${s.topics.deadLetter}, with file, row and reason`,
    `consumed       ${n(s.consumed.ofThisRun)} messages of this run on ${s.topics.predictions} (read_committed), ${s.consumed.invalid} invalid against the contract`,
    `throughput     ${n(Math.round(s.throughputRowsPerSecond))} rows/s (scoring step ${s.scoreSeconds.toFixed(1)} s)`,
    ...(s.error ? [`error          ${s.error}`] : []),
    `outputs        ${s.outputs.root}`,
    `               manifest ${s.outputs.manifest}`,
    `               rejected rows ${s.outputs.rejectedRows}`,
    `               step logs ${s.outputs.logs}`,
  ];
}
