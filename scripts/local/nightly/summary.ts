// The closing summary of a local night: what was deployed, what each schedule started, every step with its
// status, attempts and time, the gate's decision, counts that reconcile, what consumers read and what alerted.
import type { StepRecord } from '../pipelines';
import type { Alert, InferenceOutcome, TrainingOutcome } from './outcome';
import type { ScheduledRun } from './night';

export interface NightSummary {
  readonly runId: string;
  readonly succeeded: boolean;
  readonly totalSeconds: number;
  readonly deployed: { readonly environment: string; readonly resources: number; readonly seconds: number; readonly provider: string };
  readonly runs: readonly ScheduledRun[];
  readonly skipped: readonly string[];
  readonly training?: TrainingOutcome;
  readonly inference?: InferenceOutcome;
  readonly consumed?: { readonly ofThisRun: number; readonly invalid: number; readonly topic: string };
  readonly alerts: readonly Alert[];
  readonly alertTopic: string;
  readonly problems: readonly string[];
  readonly folder: string;
}

const n = (value: number) => value.toLocaleString('en-US');
const seconds = (from?: string, to?: string) => (from && to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s` : '');
const executionId = (arn: string) => arn.split('/').pop() ?? arn;

function stepLines(step: StepRecord): string[] {
  const outcome = step.Metadata.Condition ? ` → ${step.Metadata.Condition.Outcome}` : '';
  const attempts = step.Local.Attempts.length > 0 ? `${step.AttemptCount} attempt${step.AttemptCount === 1 ? '' : 's'}` : '';
  const failure = step.FailureReason ? `  ${step.FailureReason.split('\n')[0]}` : '';
  const exitMessage = step.StepStatus === 'Failed' ? (step.Local.Properties?.ExitMessage as string | undefined) : undefined;
  return [
    `  ${step.StepName.padEnd(18)} ${step.StepStatus.padEnd(10)} ${attempts.padEnd(11)} ${seconds(step.StartTime, step.EndTime).padStart(8)}${outcome}${failure}`,
    ...(exitMessage ? [`  ${''.padEnd(18)} exit message: ${exitMessage.trim().replace(/\s*\n\s*/g, ' ')}`] : []),
  ];
}

function runLines(run: ScheduledRun): string[] {
  const e = run.execution;
  const s = run.pipeline.start.schedule;
  return [
    `${s.name}: ${s.expression} ${s.timezone} → started ${run.pipeline.pipelineName}`,
    `  execution ${executionId(e.PipelineExecutionArn)}: ${e.PipelineExecutionStatus.toUpperCase()} in ${seconds(e.Local.StartTime, e.Local.EndTime)}` +
      (e.FailureReason ? ` — ${e.FailureReason.split('\n')[0]}` : ''),
    ...[...run.steps].sort((a, b) => Date.parse(a.StartTime) - Date.parse(b.StartTime)).flatMap(stepLines),
  ];
}

function gateLines(t: TrainingOutcome): string[] {
  const reason = t.evaluation?.gate.reason;
  const metric = t.evaluation?.gate.metric;
  const value = metric ? t.evaluation?.metrics[metric]?.value : undefined;
  const registered = t.registration ? `${t.registration.model_name} v${t.registration.version}${t.registration.alias_moved ? ` → @${t.registration.alias}` : ''}` : 'nothing registered';
  return [
    `quality gate   ${t.gate}${reason ? `: ${reason}` : ''}${value === undefined ? '' : ` (holdout ${metric} ${value.toFixed(4)})`}`,
    `model          ${registered}`,
  ];
}

function inferenceLines(i: InferenceOutcome, consumed: NightSummary['consumed']): string[] {
  const c = i.counts;
  if (i.manifests.length === 0) return [`rows           no scorer manifest under ${i.outputUri ?? "the Score step's output"} nor in the job's folder (the scorer ended before writing one)`];
  const reconciled = c.read === c.scored + c.rejected;
  const failed = i.manifests.filter((m) => m.status !== 'succeeded');
  const lines = [
    ...(i.localFolder ? [`manifests      read from the failed job's folder ${i.localFolder} (a failed job's outputs are not uploaded)`] : []),
    `rows           read ${n(c.read)} = scored ${n(c.scored)} + rejected ${n(c.rejected)}  ${reconciled ? '✓ reconciled' : '✗ DOES NOT RECONCILE'} (${i.manifests.length} shard${i.manifests.length === 1 ? '' : 's'})`,
  ];
  if (i.manifests.length > 1) {
    for (const m of i.manifests) {
      const mc = m.counts;
      lines.push(`  shard ${m.shardId.padEnd(8)} read ${n(mc.read)} = scored ${n(mc.scored)} + rejected ${n(mc.rejected)}; published ${n(mc.published)} (${m.status})`);
    }
  }
  if (failed.length === 0) {
    lines.push(`published      ${n(c.published)} predictions; ${n(c.deadLettered)} dead letters on ${i.manifests[0]?.kafka.deadLetterTopic} with file, row and reason`);
  } else {
    for (const m of failed) lines.push(`aborted        shard ${m.shardId}: ${m.status} — ${m.error?.message ?? 'no reason recorded'}; its transaction was aborted, consumers see none of its rows`);
    lines.push(`published      ${n(c.published)} predictions (committed shards only)`);
  }
  if (consumed) {
    const matches = consumed.ofThisRun === c.published && consumed.invalid === 0;
    lines.push(`consumed       ${n(consumed.ofThisRun)} messages of this run on ${consumed.topic} (read_committed), ${consumed.invalid} invalid against the contract  ${matches ? '✓ = published' : '✗ ≠ published'}`);
  }
  return lines;
}

export function formatSummary(s: NightSummary): string[] {
  const lines = [
    '',
    `══ local night ${s.runId}: ${s.succeeded ? 'SUCCEEDED' : 'FAILED'} in ${s.totalSeconds.toFixed(1)} s`,
    `deployed       ${s.deployed.environment}: ${s.deployed.resources} resources into the AWS emulator with terraform in ${s.deployed.seconds.toFixed(1)} s (${s.deployed.provider})`,
  ];
  for (const run of s.runs) lines.push(...runLines(run));
  for (const skipped of s.skipped) lines.push(`skipped        ${skipped}`);
  if (s.training) lines.push(...gateLines(s.training));
  if (s.inference) lines.push(...inferenceLines(s.inference, s.consumed));
  lines.push(
    s.alerts.length === 0
      ? `alerts         none on ${s.alertTopic}`
      : `alerts         ${s.alerts.map((a) => `${a.status} ${a.pipelineArn.split('/').pop()} (${executionId(a.executionArn)})`).join(', ')} → ${s.alertTopic}, by the deployed rule`,
  );
  for (const problem of s.problems) lines.push(`problem        ${problem}`);
  lines.push(`outputs        ${s.folder} (data, deployment, logs); step records: npm run local:pipelines -- list`);
  return lines;
}
