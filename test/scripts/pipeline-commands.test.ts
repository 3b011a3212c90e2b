import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ExitCode } from '../../scripts/cli/errors';
import { parseExecutionArn } from '../../scripts/pipelines/client';
import { StartDeps, startCommand } from '../../scripts/pipelines/start';
import { watchCommand } from '../../scripts/pipelines/watch';
import { captureIo } from './support';

const arn = 'arn:aws:sagemaker:eu-central-1:111111111111:pipeline/mlp-staging-training/execution/abc123';

/** A SageMaker client double that answers by command name and records what was sent. */
function fakeClient(answers: Record<string, (input: Record<string, unknown>) => unknown>) {
  const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      sent.push({ command: name, input: command.input });
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer(command.input);
    },
  } as unknown as SageMakerClient;
  return { client, sent };
}

const definition = JSON.stringify({ Parameters: [{ Name: 'RunDate', Type: 'String' }, { Name: 'InputDataUri', Type: 'String' }] });

function deps(client: SageMakerClient): StartDeps {
  let now = Date.parse('2026-11-23T19:00:00Z');
  return {
    resolveTarget: async (env, kind) => ({ env, region: 'eu-central-1', pipelineName: `mlp-${env}-${kind}` }),
    clientFor: () => client,
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
  };
}

describe('pipeline:start', () => {
  it('starts the environment\'s pipeline with the overrides and a display name, and exits 0 without --wait', async () => {
    const { client, sent } = fakeClient({
      DescribePipelineCommand: () => ({ PipelineDefinition: definition }),
      StartPipelineExecutionCommand: () => ({ PipelineExecutionArn: arn }),
    });
    const io = captureIo();
    const code = await startCommand(['--env', 'staging', '--pipeline', 'training', '--param', 'RunDate=2026-11-23'], deps(client), io);
    expect(code).toBe(ExitCode.ok);
    const start = sent.find((s) => s.command === 'StartPipelineExecutionCommand')!;
    expect(start.input).toEqual({
      PipelineName: 'mlp-staging-training',
      PipelineParameters: [{ Name: 'RunDate', Value: '2026-11-23' }],
      PipelineExecutionDisplayName: 'started-by-cli-20261123190000',
    });
    expect(io.stdout.join('\n')).toContain(`Execution ARN: ${arn}`);
  });

  it('refuses an unknown parameter before starting anything', async () => {
    const { client, sent } = fakeClient({ DescribePipelineCommand: () => ({ PipelineDefinition: definition }) });
    const io = captureIo();
    const code = await startCommand(['--env', 'staging', '--pipeline', 'training', '--param', 'Threshold=0.9'], deps(client), io);
    expect(code).toBe(ExitCode.usage);
    expect(sent.map((s) => s.command)).toEqual(['DescribePipelineCommand']);
    expect(io.stderr.join('\n')).toContain('declares: RunDate, InputDataUri');
  });

  it.each([
    [['--pipeline', 'training'], '--env: is required'],
    [['--env', 'staging', '--pipeline', 'scoring'], '--pipeline: expected training or inference'],
    [['--env', 'staging', '--pipeline', 'training', '--timeout', 'forever'], '--timeout: expected a duration'],
  ])('exits 2 with a message naming the flag for %j', async (argv, message) => {
    const io = captureIo();
    await expect(startCommand(argv, deps(fakeClient({}).client), io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain(message);
  });

  it('with --wait follows the execution and exits with its outcome (Failed: 1)', async () => {
    let polls = 0;
    const { client } = fakeClient({
      DescribePipelineCommand: () => ({ PipelineDefinition: definition }),
      StartPipelineExecutionCommand: () => ({ PipelineExecutionArn: arn }),
      DescribePipelineExecutionCommand: () => ({ PipelineExecutionStatus: ++polls < 3 ? 'Executing' : 'Failed', FailureReason: polls < 3 ? '' : 'Step Evaluate failed' }),
      ListPipelineExecutionStepsCommand: () => ({ PipelineExecutionSteps: [{ StepName: 'Evaluate', StepStatus: polls < 3 ? 'Executing' : 'Failed' }] }),
    });
    const io = captureIo();
    const code = await startCommand(['-e', 'staging', '-p', 'training', '--wait', '--poll', '5s'], deps(client), io);
    expect(code).toBe(ExitCode.failed);
    expect(io.text()).toMatch(/execution\s+Executing[\s\S]*step Evaluate\s+Executing[\s\S]*execution\s+Failed\s+reason: Step Evaluate failed/);
  });
});

describe('pipeline:watch', () => {
  it('reads the region from the execution ARN', () => {
    expect(parseExecutionArn(arn)).toEqual({ region: 'eu-central-1', account: '111111111111', pipelineName: 'mlp-staging-training', executionId: 'abc123' });
  });

  it('exits 2 for something that is not an execution ARN', async () => {
    const io = captureIo();
    await expect(watchCommand(['--arn', 'mlp-staging-training'], { clientFor: () => fakeClient({}).client, clock: { now: () => 0, sleep: async () => {} } }, io)).resolves.toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toContain('expected a pipeline execution ARN');
  });

  it('exits 4 when the execution is still running at --timeout', async () => {
    let now = 0;
    const { client } = fakeClient({
      DescribePipelineExecutionCommand: () => ({ PipelineExecutionStatus: 'Executing' }),
      ListPipelineExecutionStepsCommand: () => ({ PipelineExecutionSteps: [] }),
    });
    const io = captureIo();
    const code = await watchCommand(['--arn', arn, '--timeout', '1m', '--poll', '10s'], { clientFor: () => client, clock: { now: () => now, sleep: async (ms) => void (now += ms) } }, io);
    expect(code).toBe(ExitCode.timedOut);
    expect(io.stderr.join('\n')).toMatch(/Still Executing after 60\.0s \(timeout\)/);
  });
});
