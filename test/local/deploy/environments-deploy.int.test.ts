// Every environment deploys: the staging and prod stacks, as synthesized, are applied with real terraform into an
// AWS emulator of their own account; a second plan shows no changes; what was applied reads back as the stack
// says (pipelines with resolved definitions, schedules with their targets, role policies); destroy removes it.
import { IAMClient, GetRolePolicyCommand, ListRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { DescribePipelineCommand, ListPipelinesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnvironment, platformNames } from '../../../environments';
import type { DeployResult } from '../../../scripts/local/deploy/deploy';
import { prepareLocalDeployment, type LocalDeployment } from '../../../scripts/local/deploy/local-deployment';
import { AWS_TEST_CREDENTIALS } from '../../../scripts/local/services/aws';
import { startServices, type RunningServices } from '../../../scripts/local/services';

jest.setTimeout(600_000);

type Json = any;

interface Deployed {
  readonly name: string;
  readonly services: RunningServices;
  readonly deployment: LocalDeployment;
  readonly result: DeployResult;
  readonly stack: Json;
  readonly client: <T>(make: (config: Json) => T) => T;
}

/**
 * The synthesized value as a matcher of the applied one: Terraform references (`${aws_kms_key.x.arn}`) become
 * "some concrete value in their place", everything else must be equal.
 */
function resolvedLike(synthesized: Json): Json {
  if (typeof synthesized === 'string' && synthesized.includes('${')) {
    const pattern = synthesized.split(/\$\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')).join('[^${}]+');
    return expect.stringMatching(new RegExp(`^${pattern}$`));
  }
  if (Array.isArray(synthesized)) return synthesized.map(resolvedLike);
  if (synthesized !== null && typeof synthesized === 'object') return Object.fromEntries(Object.entries(synthesized).map(([k, v]) => [k, resolvedLike(v)]));
  return synthesized;
}

const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-envs-'));
const deployed = new Map<string, Deployed>();
const lines: string[] = [];

async function deploy(name: string): Promise<Deployed> {
  const config = loadEnvironment(name);
  const services = await startServices({ only: ['aws'], awsAccountId: config.account.id, log: () => undefined });
  const emulator = { endpointUrl: services.endpoints.aws!.endpointUrl, credentials: AWS_TEST_CREDENTIALS };
  const deployment = await prepareLocalDeployment({
    environment: name,
    emulator,
    workDir: path.join(workRoot, name),
    log: (line) => lines.push(`[${name}] ${line}`),
  });
  const result = await deployment.deploy();
  const stack = JSON.parse(fs.readFileSync(deployment.target.stackFile, 'utf8'));
  const client = <T>(make: (c: Json) => T) => make({ endpoint: emulator.endpointUrl, region: config.account.region, credentials: AWS_TEST_CREDENTIALS });
  return { name, services, deployment, result, stack, client };
}

beforeAll(async () => {
  // Both at once: an apply mostly waits for the provider's consistency checks, not for the CPU.
  const results = await Promise.all(['staging', 'prod'].map(deploy));
  for (const d of results) deployed.set(d.name, d);
});

afterAll(async () => {
  await Promise.all([...deployed.values()].map((d) => d.services.stop()));
  fs.rmSync(workRoot, { recursive: true, force: true });
});

const each = describe.each(['staging', 'prod']);

each('the %s stack applied into the emulator', (name) => {
  const get = () => deployed.get(name)!;

  it('applies every resource of the stack and reports its outputs', () => {
    const { result, stack } = get();
    const resourceCount = Object.values(stack.resource as Record<string, object>).reduce((n, byName) => n + Object.keys(byName).length, 0);
    expect(lines.filter((line) => line.startsWith(`[${name}] Apply complete`))).toEqual([`[${name}] Apply complete! Resources: ${resourceCount} added, 0 changed, 0 destroyed.`]);
    const names = platformNames(loadEnvironment(name));
    expect(result.outputs.training_pipeline_name).toBe(names.trainingPipeline);
    expect(result.outputs.data_bucket).toBe(names.dataBucket);
  });

  it('says which provider version it used when the mirror lacks the pinned one', () => {
    const { result } = get();
    expect(result.provider.pinned).toBe(get().stack.terraform.required_providers.aws.version);
    if (result.provider.version !== result.provider.pinned) {
      expect(lines).toContainEqual(expect.stringContaining(`the stacks pin ${result.provider.pinned}, which it does not have`));
    }
  });

  it('shows no changes on a second plan', async () => {
    const { changed, plan } = await get().deployment.hasChanges();
    expect({ changed, plan: changed ? plan : '' }).toEqual({ changed: false, plan: '' });
  });

  it('stores both pipeline definitions with every reference resolved, as synthesized', async () => {
    const d = get();
    const sagemaker = d.client((c) => new SageMakerClient(c));
    try {
      for (const pipeline of Object.values(d.stack.resource.aws_sagemaker_pipeline as Record<string, Json>)) {
        const described = await sagemaker.send(new DescribePipelineCommand({ PipelineName: pipeline.pipeline_name }));
        const definition = described.PipelineDefinition ?? '';
        expect(definition).not.toMatch(/\$\{/); // no Terraform token left unresolved
        expect(JSON.parse(definition)).toEqual(resolvedLike(JSON.parse(pipeline.pipeline_definition)));
        expect(described.RoleArn).toMatch(new RegExp(`^arn:aws:iam::${loadEnvironment(name).account.id}:role/`));
        expect(described.ParallelismConfiguration?.MaxParallelExecutionSteps).toBe(pipeline.parallelism_configuration.max_parallel_execution_steps);
      }
    } finally {
      sagemaker.destroy();
    }
  });

  it('schedules both pipelines with the target parameters of the configuration', async () => {
    const d = get();
    const config = loadEnvironment(name);
    const names = platformNames(config);
    const scheduler = d.client((c) => new SchedulerClient(c));
    try {
      const training = await scheduler.send(new GetScheduleCommand({ GroupName: names.scheduleGroup, Name: names.trainingSchedule }));
      expect(training.ScheduleExpression).toBe(`cron(${config.schedules.training.cron})`);
      expect(training.ScheduleExpressionTimezone).toBe(config.schedules.training.timezone);
      expect(training.Target?.Arn).toBe(d.result.outputs.training_pipeline_arn);
      const parameters = (s: typeof training) => Object.fromEntries((s.Target?.SageMakerPipelineParameters?.PipelineParameterList ?? []).map((p) => [p.Name, p.Value]));
      expect(parameters(training)).toEqual(expect.objectContaining({ InputDataUri: names.trainingInputUri, TestDataUri: names.evaluationInputUri }));
      const inference = await scheduler.send(new GetScheduleCommand({ GroupName: names.scheduleGroup, Name: names.inferenceSchedule }));
      expect(inference.Target?.Arn).toBe(d.result.outputs.inference_pipeline_arn);
      expect(parameters(inference)).toEqual(expect.objectContaining({ InputDataUri: names.inferenceInputUri, ModelAlias: config.mlflow.scoringAlias }));
      expect(inference.Target?.DeadLetterConfig?.Arn).toMatch(/:sqs:/);
    } finally {
      scheduler.destroy();
    }
  });

  it('gives every role exactly the inline policies the stack declares', async () => {
    const d = get();
    const iam = d.client((c) => new IAMClient(c));
    try {
      const declared = Object.values(d.stack.resource.aws_iam_role_policy as Record<string, Json>);
      const roles = (await iam.send(new ListRolesCommand({}))).Roles ?? [];
      const applied: Record<string, Json> = {};
      for (const role of roles) {
        for (const policyName of (await iam.send(new ListRolePoliciesCommand({ RoleName: role.RoleName }))).PolicyNames ?? []) {
          const policy = await iam.send(new GetRolePolicyCommand({ RoleName: role.RoleName, PolicyName: policyName }));
          applied[`${role.RoleName}:${policyName}`] = JSON.parse(decodeURIComponent(policy.PolicyDocument ?? '{}'));
        }
      }
      expect(Object.keys(applied).length).toBe(declared.length);
      for (const policy of declared) {
        if (/\$\{/.test(policy.policy)) continue; // refers to other resources' ARNs: compared by name only
        expect(Object.values(applied)).toContainEqual(JSON.parse(policy.policy));
      }
    } finally {
      iam.destroy();
    }
  });
});

describe('destroying a deployed stack', () => {
  it('removes what the apply created', async () => {
    const d = deployed.get('staging')!;
    await d.deployment.destroy();
    const sagemaker = d.client((c) => new SageMakerClient(c));
    try {
      const pipelines = await sagemaker.send(new ListPipelinesCommand({}));
      expect(pipelines.PipelineSummaries ?? []).toEqual([]);
    } finally {
      sagemaker.destroy();
    }
    expect(lines).toContainEqual(expect.stringMatching(/^\[staging\] Destroy complete! Resources: \d+ destroyed\.$/));
  });
});
