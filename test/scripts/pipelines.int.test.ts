// pipeline:start / pipeline:watch / pipeline:list against the AWS emulator, on pipelines created from the
// synthesized staging stack. The emulator records executions but runs no steps: it reports every execution
// Succeeded at once and does not implement ListPipelineExecutionSteps; the tests pin down that the CLIs say so.
import {
  CreatePipelineCommand,
  DeletePipelineCommand,
  ListPipelineExecutionsCommand,
  ListPipelineParametersForExecutionCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { loadEnvironment, platformNames } from '../../environments';
import { ExitCode } from '../../scripts/cli/errors';
import { listCommand } from '../../scripts/pipelines/list';
import { startCommand } from '../../scripts/pipelines/start';
import { watchCommand } from '../../scripts/pipelines/watch';
import { captureIo } from './support';
import { synthesizedPipelines } from './synthesized-pipelines';

jest.setTimeout(60_000);

const staging = loadEnvironment('staging');
const names = platformNames(staging);
const client = new SageMakerClient({ region: staging.account.region });

async function executionArns(pipelineName: string): Promise<string[]> {
  const response = await client.send(new ListPipelineExecutionsCommand({ PipelineName: pipelineName }));
  return (response.PipelineExecutionSummaries ?? []).map((s) => s.PipelineExecutionArn!);
}

function arnFrom(output: string): string {
  const match = /Execution ARN: (\S+)/.exec(output);
  if (!match) throw new Error(`no execution ARN in:\n${output}`);
  return match[1]!;
}

beforeAll(async () => {
  expect(process.env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  for (const pipeline of synthesizedPipelines(staging)) {
    await client.send(new DeletePipelineCommand({ PipelineName: pipeline.name })).catch(() => undefined);
    await client.send(new CreatePipelineCommand({ PipelineName: pipeline.name, RoleArn: pipeline.roleArn, PipelineDefinition: pipeline.definition }));
  }
});

afterAll(() => client.destroy());

describe('pipeline CLIs against the AWS emulator', () => {
  it('creates the pipelines from the synthesized staging stack under the names the scripts resolve', async () => {
    const created = synthesizedPipelines(staging).map((p) => p.name).sort();
    expect(created).toEqual([names.inferencePipeline, names.trainingPipeline].sort());
  });

  it('starts the training pipeline with an override, waits, and exits 0 on the reported Succeeded, saying step states are unavailable', async () => {
    const io = captureIo();
    const code = await startCommand(['--env', 'staging', '--pipeline', 'training', '--param', 'RunDate=2026-11-23', '--wait', '--poll', '1s', '--timeout', '30s'], undefined, io);
    expect(code).toBe(ExitCode.ok);
    const arn = arnFrom(io.text());
    expect(arn).toContain(`:pipeline/${names.trainingPipeline}/execution/`);
    expect(io.text()).toMatch(/execution\s+Succeeded/);
    expect(io.text()).toMatch(/No step states: Listing the steps of .* the endpoint answered HTTP 500 with a non-AWS response; it probably does not implement this API/);
    const parameters = await client.send(new ListPipelineParametersForExecutionCommand({ PipelineExecutionArn: arn }));
    expect(parameters.PipelineParameters).toEqual([{ Name: 'RunDate', Value: '2026-11-23' }]);
  });

  it('refuses a parameter the synthesized definition does not declare, and starts nothing', async () => {
    const before = await executionArns(names.inferencePipeline);
    const io = captureIo();
    const code = await startCommand(['--env', 'staging', '--pipeline', 'inference', '--param', 'ModelAlas=champion'], undefined, io);
    expect(code).toBe(ExitCode.usage);
    expect(io.stderr.join('\n')).toMatch(/--param ModelAlas: pipeline mlp-staging-inference declares no such parameter; it declares: .*ModelAlias/);
    expect(await executionArns(names.inferencePipeline)).toEqual(before);
  });

  it('starts the inference pipeline without waiting, then watches it by ARN to its outcome', async () => {
    const start = captureIo();
    await expect(startCommand(['--env', 'staging', '--pipeline', 'inference', '--param', 'ModelAlias=champion'], undefined, start)).resolves.toBe(ExitCode.ok);
    const arn = arnFrom(start.text());
    expect(start.text()).toContain(`npm run pipeline:watch -- --arn ${arn}`);
    const watch = captureIo();
    await expect(watchCommand(['--arn', arn, '--poll', '1s', '--timeout', '30s'], undefined, watch)).resolves.toBe(ExitCode.ok);
    expect(watch.stdout.join('\n')).toContain(`Succeeded after watching`);
  });

  it('lists the recent executions of both pipelines, newest first', async () => {
    const io = captureIo();
    await expect(listCommand(['--env', 'staging', '--max', '5'], undefined, io)).resolves.toBe(ExitCode.ok);
    const text = io.stdout.join('\n');
    expect(text).toContain(`Recent executions of ${names.trainingPipeline}`);
    expect(text).toContain(`Recent executions of ${names.inferencePipeline}`);
    for (const section of text.split('Recent executions of ').slice(1)) {
      const times = [...section.matchAll(/^ {2}(\S+Z)\s+Succeeded/gm)].map((m) => Date.parse(m[1]!));
      expect(times.length).toBeGreaterThanOrEqual(1);
      expect(times).toEqual([...times].sort((a, b) => b - a));
    }
  });

  it('fails with exit 1 and the API\'s reason when watching an execution that does not exist', async () => {
    const io = captureIo();
    const missing = `arn:aws:sagemaker:${staging.account.region}:123456789012:pipeline/${names.trainingPipeline}/execution/doesnotexist1`;
    await expect(watchCommand(['--arn', missing, '--poll', '1s', '--timeout', '5s'], undefined, io)).resolves.toBe(ExitCode.failed);
    expect(io.stderr.join('\n')).toContain(`Describing execution ${missing} failed`);
  });
});
