// Human-readable lines for the watch events and the final result; one line per change, timestamped.
import { RunSummary } from './runs';
import { WatchEvent, WatchResult } from './watch-execution';

export function formatEvent(event: WatchEvent, at: Date): string {
  const time = at.toISOString().slice(11, 19);
  switch (event.type) {
    case 'status':
      return `${time}  execution  ${event.execution.status}${event.execution.failureReason ? `  reason: ${event.execution.failureReason}` : ''}`;
    case 'step':
      return `${time}  step ${event.step.name}  ${event.step.status}${event.step.failureReason ? `  reason: ${event.step.failureReason}` : ''}`;
    case 'steps-unavailable':
      return `${time}  step states unavailable: ${event.reason}`;
  }
}

export function formatResult(result: WatchResult): string[] {
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  const lines = [`${result.outcome === 'TimedOut' ? `Still ${result.execution.status} after ${seconds}s (timeout)` : `${result.outcome} after watching ${seconds}s`}: ${result.execution.arn}`];
  if (result.failureReason) lines.push(`Failure reason: ${result.failureReason}`);
  if (result.steps.length > 0) {
    lines.push('Steps:');
    for (const step of result.steps) lines.push(`  ${step.name.padEnd(24)} ${step.status}${step.failureReason ? `  (${step.failureReason})` : ''}`);
  } else if (result.stepsUnavailable) {
    lines.push(`No step states: ${result.stepsUnavailable}`);
  }
  if (result.outcome === 'TimedOut') lines.push(`The execution goes on; watch it again with: npm run pipeline:watch -- --arn ${result.execution.arn}`);
  return lines;
}

export function formatRuns(pipelineName: string, runs: readonly RunSummary[]): string[] {
  if (runs.length === 0) return [`No executions of ${pipelineName} yet.`];
  const lines = [`Recent executions of ${pipelineName} (newest first):`];
  for (const run of runs) {
    const when = run.startedAt ? run.startedAt.toISOString().replace('.000', '') : '?';
    lines.push(`  ${when}  ${run.status.padEnd(10)} ${run.arn}${run.failureReason ? `  reason: ${run.failureReason}` : ''}`);
  }
  return lines;
}
