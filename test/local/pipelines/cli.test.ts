import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { localPipelinesCli } from '../../../scripts/local/pipelines/cli';
import { definition } from './support/harness';

jest.setTimeout(30_000);

const dir = mkdtempSync(path.join(tmpdir(), 'pipelines-cli-'));
const storeDir = path.join(dir, 'store');
const env = { AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' };
const file = (name: string, json: string) => {
  const target = path.join(dir, name);
  writeFileSync(target, json);
  return target;
};

async function cli(args: string[], environment: NodeJS.ProcessEnv = env) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await localPipelinesCli(args, { out: (line) => out.push(line), err: (line) => err.push(line) }, environment);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const gate = file(
  'gate.json',
  definition(
    [
      {
        Name: 'Gate',
        Type: 'Condition',
        Arguments: {
          Conditions: [{ Type: 'GreaterThanOrEqualTo', LeftValue: { Get: 'Parameters.Score' }, RightValue: 0.5 }],
          IfSteps: [],
          ElseSteps: [{ Name: 'TooLow', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['score', { Get: 'Parameters.Score' }, 'is below 0.5'] } } } }],
        },
      },
    ],
    [{ Name: 'Score', Type: 'Float', DefaultValue: 0.9 }],
  ),
);

describe('npm run local:pipelines', () => {
  it('prints help for the tool and for each command', async () => {
    expect(await cli(['--help'])).toMatchObject({ code: 0, out: expect.stringContaining('Commands:') });
    expect(await cli(['run', '--help'])).toMatchObject({ code: 0, out: expect.stringContaining('--from-synth ENV:PIPELINE') });
    expect(await cli([])).toMatchObject({ code: 2 });
  });

  it.each([
    [['deploy'], /unknown command "deploy"/],
    [['run', '--definition', gate, '--colour'], /Unknown option '--colour'/],
    [['run'], /give exactly one of --definition FILE and --from-synth ENV:PIPELINE/],
    [['run', '--definition', gate, '--from-synth', 'local:training'], /give exactly one of/],
    [['run', '--definition', gate, '--param', 'Score'], /expected Name=Value/],
    [['run', '--definition', gate, '--param', 'Score=high'], /Parameter 'Score' is of type Float, but the value 'high' is not a valid Float/],
    [['run', '--from-synth', 'local:nightly'], /the local stack has no pipeline "nightly"; it has mlp-local-inference, mlp-local-training/],
    [['describe'], /describe needs the execution ARN/],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });

  it('needs the role credentials in the environment', async () => {
    const result = await cli(['run', '--definition', gate], { AWS_REGION: 'eu-central-1' });
    expect(result).toMatchObject({ code: 2, err: expect.stringContaining('AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY not set') });
  });

  it('runs a definition, exits with its outcome, and lists, describes and shows its steps', async () => {
    const passed = await cli(['run', '--definition', gate, '--store', storeDir]);
    expect(passed.code).toBe(0);
    expect(passed.out).toMatch(/Gate\s+Succeeded\s+attempts 1\s+\d+\.\d s\s+outcome True/);
    const failed = await cli(['run', '--definition', gate, '--store', storeDir, '--param', 'Score=0.2', '--display-name', 'low-score']);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('Failed: score 0.2 is below 0.5');
    const arn = /Execution ARN: (\S+)/.exec(failed.out)![1]!;
    expect(arn).toMatch(/^arn:aws:sagemaker:eu-central-1:000000000000:pipeline\/gate\/execution\/[a-z0-9]{12}$/);

    const list = await cli(['list', '--store', storeDir]);
    expect(list.out.split('\n')).toHaveLength(2);
    expect(list.out.split('\n')[0]).toContain(`Failed     low-score  ${arn}`);
    const described = JSON.parse((await cli(['describe', arn, '--store', storeDir])).out);
    expect(described).toMatchObject({ PipelineExecutionStatus: 'Failed', FailureReason: 'score 0.2 is below 0.5', PipelineParameters: [{ Name: 'Score', Value: '0.2' }] });
    const steps = await cli(['steps', arn, '--store', storeDir, '--json']);
    expect(JSON.parse(steps.out).map((s: { StepName: string; StepStatus: string }) => [s.StepName, s.StepStatus]).sort()).toEqual([['Gate', 'Succeeded'], ['TooLow', 'Failed']]);
    expect(await cli(['stop', arn, '--store', storeDir])).toMatchObject({ code: 0, out: `Failed: ${arn}` });
    expect(await cli(['describe', `${arn.slice(0, -12)}aaaaaaaaaaaa`, '--store', storeDir])).toMatchObject({ code: 1, err: expect.stringContaining('ResourceNotFound') });
  });
});
