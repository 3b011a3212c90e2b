// Polls one pipeline execution until it ends or the timeout passes, reporting only what changed (status,
// each step's state, failure reasons). The API calls, clock and sleep are injected so the loop is testable.
import { ExitCode, describeError } from '../cli/errors';
import { ExecutionState, StepState } from './runs';

export type WatchEvent =
  | { type: 'status'; execution: ExecutionState }
  | { type: 'step'; step: StepState }
  | { type: 'steps-unavailable'; reason: string };

export type Outcome = 'Succeeded' | 'Failed' | 'Stopped' | 'TimedOut';

export interface WatchResult {
  outcome: Outcome;
  execution: ExecutionState;
  /** Last known step states; empty when the API never returned any. */
  steps: StepState[];
  /** Why step states could not be read (e.g. an emulator that does not implement the API), if so. */
  stepsUnavailable?: string;
  /** The first failure reason found: the execution's own, else the first failed step's. */
  failureReason?: string;
  elapsedMs: number;
}

export interface WatchDeps {
  describe: (arn: string) => Promise<ExecutionState>;
  listSteps: (arn: string) => Promise<StepState[]>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

const terminal: Record<string, Outcome | undefined> = { Succeeded: 'Succeeded', Failed: 'Failed', Stopped: 'Stopped' };

export async function watchExecution(
  arn: string,
  settings: { timeoutMs: number; pollMs: number },
  deps: WatchDeps,
  onEvent: (event: WatchEvent) => void = () => {},
): Promise<WatchResult> {
  const started = deps.now();
  let lastStatus: string | undefined;
  let lastUnavailable: string | undefined;
  const lastStepKey = new Map<string, string>();
  let steps: StepState[] = [];

  for (;;) {
    // A failed describe is not swallowed: it ends the watch with the API's error (the caller maps it).
    const execution = await deps.describe(arn);
    if (execution.status !== lastStatus) {
      lastStatus = execution.status;
      onEvent({ type: 'status', execution });
    }
    try {
      steps = await deps.listSteps(arn);
      lastUnavailable = undefined;
      for (const step of steps) {
        const key = `${step.status}|${step.failureReason ?? ''}`;
        if (lastStepKey.get(step.name) !== key) {
          lastStepKey.set(step.name, key);
          onEvent({ type: 'step', step });
        }
      }
    } catch (error) {
      // Step states are progress detail, not the outcome: report why they are missing (once per reason) and go on.
      const reason = describeError(error).split('\n')[0] ?? 'unknown error';
      if (reason !== lastUnavailable) {
        lastUnavailable = reason;
        onEvent({ type: 'steps-unavailable', reason });
      }
    }

    const elapsedMs = deps.now() - started;
    const outcome = terminal[execution.status];
    if (outcome) return result(outcome, execution, steps, lastUnavailable, elapsedMs);
    if (elapsedMs + settings.pollMs > settings.timeoutMs) return result('TimedOut', execution, steps, lastUnavailable, elapsedMs);
    await deps.sleep(settings.pollMs);
  }
}

function result(outcome: Outcome, execution: ExecutionState, steps: StepState[], stepsUnavailable: string | undefined, elapsedMs: number): WatchResult {
  const failureReason = execution.failureReason ?? steps.find((step) => step.failureReason)?.failureReason;
  return {
    outcome,
    execution,
    steps,
    elapsedMs,
    ...(stepsUnavailable ? { stepsUnavailable } : {}),
    ...(failureReason ? { failureReason } : {}),
  };
}

export function outcomeExitCode(outcome: Outcome): ExitCode {
  switch (outcome) {
    case 'Succeeded':
      return ExitCode.ok;
    case 'Failed':
      return ExitCode.failed;
    case 'Stopped':
      return ExitCode.stopped;
    case 'TimedOut':
      return ExitCode.timedOut;
  }
}

export const exitCodeNotes = [
  'Exit codes: 0 the execution Succeeded (or, without --wait, was started), 1 Failed or an error,',
  '            2 bad usage, 3 Stopped, 4 still running when --timeout passed (the execution goes on).',
];
