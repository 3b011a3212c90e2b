import { ExitCode } from '../../scripts/cli/errors';
import { formatResult } from '../../scripts/pipelines/progress';
import { ExecutionState, StepState } from '../../scripts/pipelines/runs';
import { WatchDeps, WatchEvent, outcomeExitCode, watchExecution } from '../../scripts/pipelines/watch-execution';

const arn = 'arn:aws:sagemaker:eu-central-1:111111111111:pipeline/mlp-staging-training/execution/abc';

/** A scripted execution: poll i returns states[i] (the last one repeats); time advances only in sleep. */
function scripted(states: Array<{ status: ExecutionState['status']; failureReason?: string; steps?: StepState[] | Error }>) {
  let poll = 0;
  let clock = 0;
  const sleeps: number[] = [];
  const deps: WatchDeps = {
    describe: async () => {
      const state = states[Math.min(poll, states.length - 1)]!;
      return { arn, status: state.status, ...(state.failureReason ? { failureReason: state.failureReason } : {}) };
    },
    listSteps: async () => {
      const steps = states[Math.min(poll, states.length - 1)]!.steps ?? [];
      poll += 1;
      if (steps instanceof Error) throw steps;
      return steps;
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    now: () => clock,
  };
  return { deps, sleeps };
}

describe('watching a pipeline execution', () => {
  it('reports each status and step change once and ends Succeeded with exit code 0', async () => {
    const { deps, sleeps } = scripted([
      { status: 'Executing', steps: [{ name: 'Train', status: 'Executing' }] },
      { status: 'Executing', steps: [{ name: 'Train', status: 'Executing' }] },
      { status: 'Executing', steps: [{ name: 'Train', status: 'Succeeded' }, { name: 'Evaluate', status: 'Executing' }] },
      { status: 'Succeeded', steps: [{ name: 'Train', status: 'Succeeded' }, { name: 'Evaluate', status: 'Succeeded' }] },
    ]);
    const events: WatchEvent[] = [];
    const result = await watchExecution(arn, { timeoutMs: 60_000, pollMs: 1_000 }, deps, (event) => events.push(event));
    expect(result.outcome).toBe('Succeeded');
    expect(outcomeExitCode(result.outcome)).toBe(ExitCode.ok);
    expect(sleeps).toEqual([1_000, 1_000, 1_000]);
    const lines = events.map((e) => (e.type === 'status' ? `status ${e.execution.status}` : e.type === 'step' ? `${e.step.name} ${e.step.status}` : e.type));
    expect(lines).toEqual(['status Executing', 'Train Executing', 'Train Succeeded', 'Evaluate Executing', 'status Succeeded', 'Evaluate Succeeded']);
  });

  it('ends Failed with exit code 1 and the failed step\'s reason when the execution gives none', async () => {
    const { deps } = scripted([
      { status: 'Executing', steps: [{ name: 'Train', status: 'Executing' }] },
      { status: 'Failed', steps: [{ name: 'Train', status: 'Failed', failureReason: 'ClientError: AlgorithmError: no rows' }] },
    ]);
    const result = await watchExecution(arn, { timeoutMs: 60_000, pollMs: 10 }, deps);
    expect(result.outcome).toBe('Failed');
    expect(result.failureReason).toBe('ClientError: AlgorithmError: no rows');
    expect(outcomeExitCode(result.outcome)).toBe(ExitCode.failed);
    expect(formatResult(result).join('\n')).toMatch(/Failure reason: ClientError: AlgorithmError: no rows[\s\S]*Train\s+Failed/);
  });

  it('prefers the execution\'s own failure reason', async () => {
    const { deps } = scripted([{ status: 'Failed', failureReason: 'Step Register failed', steps: [{ name: 'Register', status: 'Failed', failureReason: 'detail' }] }]);
    await expect(watchExecution(arn, { timeoutMs: 1, pollMs: 1 }, deps)).resolves.toMatchObject({ failureReason: 'Step Register failed' });
  });

  it('maps Stopped to exit code 3', async () => {
    const { deps } = scripted([{ status: 'Stopped' }]);
    const result = await watchExecution(arn, { timeoutMs: 1_000, pollMs: 100 }, deps);
    expect(outcomeExitCode(result.outcome)).toBe(ExitCode.stopped);
  });

  it('gives up at the timeout with exit code 4 while the execution is still running, and says how to watch again', async () => {
    const { deps, sleeps } = scripted([{ status: 'Executing', steps: [] }]);
    const result = await watchExecution(arn, { timeoutMs: 5_000, pollMs: 2_000 }, deps);
    expect(result.outcome).toBe('TimedOut');
    expect(result.execution.status).toBe('Executing');
    expect(sleeps).toEqual([2_000, 2_000]);
    expect(outcomeExitCode(result.outcome)).toBe(ExitCode.timedOut);
    expect(formatResult(result).join('\n')).toContain(`npm run pipeline:watch -- --arn ${arn}`);
  });

  it('reports missing step states once with the reason and still follows the status', async () => {
    const missing = new Error('the endpoint does not implement this API');
    const { deps } = scripted([
      { status: 'Executing', steps: missing },
      { status: 'Executing', steps: missing },
      { status: 'Succeeded', steps: missing },
    ]);
    const events: WatchEvent[] = [];
    const result = await watchExecution(arn, { timeoutMs: 60_000, pollMs: 10 }, deps, (event) => events.push(event));
    expect(result.outcome).toBe('Succeeded');
    expect(events.filter((e) => e.type === 'steps-unavailable')).toHaveLength(1);
    expect(result.stepsUnavailable).toContain('does not implement this API');
    expect(formatResult(result).join('\n')).toContain('No step states: Error: the endpoint does not implement this API');
  });

  it('does not swallow a failure to describe the execution', async () => {
    const { deps } = scripted([{ status: 'Executing' }]);
    deps.describe = async () => {
      throw new Error('AccessDenied');
    };
    await expect(watchExecution(arn, { timeoutMs: 1_000, pollMs: 10 }, deps)).rejects.toThrow('AccessDenied');
  });
});
