// Shared by `pipeline:start --wait` and `pipeline:watch`: watch an execution, print progress and the result,
// and turn the outcome into the exit code.
import { CliIo } from '../cli/main';
import { ExitCode } from '../cli/errors';
import { formatEvent, formatResult } from './progress';
import type { SageMakerApi } from './client';
import { describeExecution, listExecutionSteps } from './runs';
import { WatchDeps, outcomeExitCode, watchExecution } from './watch-execution';

export interface Clock {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export const realClock: Clock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

export async function followExecution(
  client: SageMakerApi,
  arn: string,
  settings: { timeoutMs: number; pollMs: number },
  clock: Clock,
  io: CliIo,
): Promise<ExitCode> {
  const deps: WatchDeps = {
    describe: (executionArn) => describeExecution(client, executionArn),
    listSteps: (executionArn) => listExecutionSteps(client, executionArn),
    sleep: clock.sleep,
    now: clock.now,
  };
  const result = await watchExecution(arn, settings, deps, (event) => io.out(formatEvent(event, new Date(clock.now()))));
  for (const line of formatResult(result)) (result.outcome === 'Succeeded' ? io.out : io.err)(line);
  return outcomeExitCode(result.outcome);
}
