import { pipelineDefinition, reference, resource, synthEnvironment, type Json } from './support/synthesized';

// SageMaker's retry policy contract ("Retry Policy for Pipeline Steps"): what each exception type means, and the
// service's limits on a policy. Only transient failures are worth retrying; the job's own errors (our code, bad
// data) are not among the types, so a failing trainer is never rerun.
const STEP_EXCEPTIONS = ['Step.SERVICE_FAULT', 'Step.THROTTLING'];
const JOB_EXCEPTIONS = ['SageMaker.JOB_INTERNAL_ERROR', 'SageMaker.CAPACITY_ERROR', 'SageMaker.RESOURCE_LIMIT'];
const LIMITS = { maxAttempts: [1, 20], intervalSeconds: [1, 43_200] } as const;

/** Longest time one step can spend waiting between retries under its policies (every attempt failing). */
function worstCaseRetryWaitSeconds(policies: readonly Json[]): number {
  return policies.reduce((total, policy) => {
    let wait = 0;
    for (let attempt = 0; attempt < policy.MaxAttempts; attempt += 1) wait += policy.IntervalSeconds * policy.BackoffRate ** attempt;
    return total + wait;
  }, 0);
}

/** What a job step's retry policies must do, asserted on the synthesized definition. */
function expectTransientRetries(step: Json): void {
  const policies: Json[] = step.RetryPolicies;
  const types: string[] = policies.flatMap((policy) => policy.ExceptionType);
  // Every transient failure is retried, each by exactly one policy, and nothing else is.
  expect([...types].sort()).toEqual([...STEP_EXCEPTIONS, ...JOB_EXCEPTIONS].sort());
  for (const policy of policies) {
    expect(policy.MaxAttempts).toBeGreaterThanOrEqual(LIMITS.maxAttempts[0]);
    expect(policy.MaxAttempts).toBeLessThanOrEqual(LIMITS.maxAttempts[1]);
    expect(policy.IntervalSeconds).toBeGreaterThanOrEqual(LIMITS.intervalSeconds[0]);
    expect(policy.IntervalSeconds).toBeLessThanOrEqual(LIMITS.intervalSeconds[1]);
    // Backing off: each retry waits at least as long as the one before.
    expect(policy.BackoffRate).toBeGreaterThanOrEqual(1);
  }
  // Capacity and internal errors of a training job wait at least a minute: a new job right away meets the same shortage.
  const jobPolicy = policies.find((policy) => policy.ExceptionType.includes('SageMaker.CAPACITY_ERROR'));
  expect(jobPolicy.IntervalSeconds).toBeGreaterThanOrEqual(60);
  // Retrying cannot push a night's run past the next night: at most an hour of waiting per step.
  expect(worstCaseRetryWaitSeconds(policies)).toBeLessThanOrEqual(3_600);
}

const RUN_ID = { Get: 'Execution.PipelineExecutionId' };
const runUri = (bucket: string, output: string) => ({ 'Std:Join': { On: '/', Values: [`s3://${bucket}/runs/training`, RUN_ID, output] } });

describe.each(['staging', 'prod'])('training pipeline of %s', (name) => {
  const synth = synthEnvironment(name);
  const { config } = synth;
  const bucket = `mlp-${name}-${config.account.id}-eu-central-1-data`;
  const image = `${config.account.id}.dkr.ecr.eu-central-1.amazonaws.com/mlp-${name}/trainer:${config.images.trainer}`;
  // The training role keeps the name of the execution role it was split from (stacks/roles.ts).
  const roleArn = reference(synth, 'aws_iam_role', (r) => r.name === `mlp-${name}-sagemaker-execution`, 'arn');
  const keyArn = reference(synth, 'aws_kms_key', (k) => k.description.startsWith('Data, models'), 'arn');
  const definition = pipelineDefinition(synth, `mlp-${name}-training`);
  const [train, evaluate, gate] = definition.Steps as Json[];
  const register = gate.Arguments.IfSteps[0];
  const fail = gate.Arguments.ElseSteps[0];
  const vpc = config.vpc ? { Subnets: config.vpc.subnetIds, SecurityGroupIds: config.vpc.securityGroupIds } : undefined;

  it('is an aws_sagemaker_pipeline run by the training role, as are all its job steps', () => {
    expect(resource(synth, 'aws_sagemaker_pipeline', (p) => p.pipeline_name === `mlp-${name}-training`)).toMatchObject({
      pipeline_display_name: `mlp-${name}-training`,
      role_arn: roleArn,
    });
    expect(definition.Version).toBe('2020-12-01');
    expect([train, evaluate, register].map((step) => step.Arguments.RoleArn)).toEqual([roleArn, roleArn, roleArn]);
  });

  it('embeds the definition inline, with every cdktf token resolved to a Terraform reference, within the 100 KB limit', () => {
    const inline: string = resource(synth, 'aws_sagemaker_pipeline', (p) => p.pipeline_name === `mlp-${name}-training`).pipeline_definition;
    expect(inline).not.toMatch(/TfToken|\$\{Token/);
    expect([...new Set(inline.match(/\$\{[^}]+\}/g))].sort()).toEqual([keyArn, roleArn].sort());
    expect(Buffer.byteLength(inline)).toBeLessThan(100 * 1024);
  });

  it('declares the input data, test data, run date and threshold parameters with defaults from config', () => {
    expect(definition.Parameters).toEqual([
      { Name: 'InputDataUri', Type: 'String', DefaultValue: `s3://${bucket}/input/training/` },
      { Name: 'TestDataUri', Type: 'String', DefaultValue: `s3://${bucket}/input/evaluation/` },
      { Name: 'RunDate', Type: 'String', DefaultValue: '' },
      { Name: 'QualityThreshold', Type: 'Float', DefaultValue: config.qualityGate.threshold },
    ]);
  });

  it('runs Train → Evaluate → QualityGate → Register, else QualityGateFailed', () => {
    expect(definition.Steps.map((step: Json) => [step.Name, step.Type])).toEqual([
      ['Train', 'Training'],
      ['Evaluate', 'Processing'],
      ['QualityGate', 'Condition'],
    ]);
    expect([register.Name, register.Type]).toEqual(['Register', 'Processing']);
    expect(gate.Arguments.IfSteps).toHaveLength(1);
    expect([fail.Name, fail.Type]).toEqual(['QualityGateFailed', 'Fail']);
    expect(gate.Arguments.ElseSteps).toHaveLength(1);
    // Only job steps retry: a condition or a Fail step has nothing transient to retry.
    expect(gate.RetryPolicies).toBeUndefined();
    expect(fail.RetryPolicies).toBeUndefined();
  });

  it('trains with the trainer image\'s "train" entrypoint on the configured instances', () => {
    expect(train.Arguments).toMatchObject({
      AlgorithmSpecification: { TrainingImage: image, TrainingInputMode: 'File', ContainerEntrypoint: ['train'] },
      RoleArn: roleArn,
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: { Get: 'Parameters.InputDataUri' }, S3DataDistributionType: 'FullyReplicated' } },
        },
      ],
      OutputDataConfig: { S3OutputPath: runUri(bucket, 'model'), KmsKeyId: keyArn },
      ResourceConfig: {
        InstanceType: config.steps.train.instanceType,
        InstanceCount: config.steps.train.instanceCount,
        VolumeSizeInGB: config.steps.train.volumeSizeGb,
        VolumeKmsKeyId: keyArn,
      },
      StoppingCondition: { MaxRuntimeInSeconds: config.steps.train.maxRuntimeSeconds },
    });
    expect(train.Arguments.VpcConfig).toEqual(vpc);
    expectTransientRetries(train);
  });

  it('passes the MLflow, alias, gate and run settings to every trainer step', () => {
    const expected = {
      MLFLOW_TRACKING_URI: `arn:aws:sagemaker:eu-central-1:${config.account.id}:mlflow-tracking-server/mlp-${name}`,
      MLFLOW_EXPERIMENT_NAME: config.mlflow.experimentName,
      MODEL_NAME: 'churn-classifier',
      TARGET_ALIAS: 'challenger',
      COMPARE_ALIAS: 'champion',
      QUALITY_METRIC: 'auc',
      QUALITY_THRESHOLD: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.QualityThreshold' }] } },
      RUN_ID,
      RUN_DATE: { Get: 'Parameters.RunDate' },
      DATA_URI: { Get: 'Parameters.InputDataUri' },
      AWS_REGION: 'eu-central-1',
    };
    for (const step of [train, evaluate, register]) expect(step.Arguments.Environment).toEqual(expected);
  });

  it('evaluates with "python -m trainer evaluate" and publishes evaluation.json as a property file', () => {
    expect(evaluate.Arguments).toMatchObject({
      AppSpecification: { ImageUri: image, ContainerEntrypoint: ['python', '-m', 'trainer', 'evaluate'] },
      RoleArn: roleArn,
      ProcessingResources: {
        ClusterConfig: {
          InstanceType: config.steps.evaluate.instanceType,
          InstanceCount: config.steps.evaluate.instanceCount,
          VolumeSizeInGB: config.steps.evaluate.volumeSizeGb,
          VolumeKmsKeyId: keyArn,
        },
      },
      StoppingCondition: { MaxRuntimeInSeconds: config.steps.evaluate.maxRuntimeSeconds },
    });
    expect(evaluate.Arguments.ProcessingInputs.map((input: Json) => [input.InputName, input.S3Input.S3Uri, input.S3Input.LocalPath])).toEqual([
      ['model', { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, '/opt/ml/processing/model'],
      ['test', { Get: 'Parameters.TestDataUri' }, '/opt/ml/processing/test'],
    ]);
    expect(evaluate.Arguments.ProcessingOutputConfig).toEqual({
      Outputs: [
        { OutputName: 'evaluation', AppManaged: false, S3Output: { S3Uri: runUri(bucket, 'evaluation'), LocalPath: '/opt/ml/processing/evaluation', S3UploadMode: 'EndOfJob' } },
      ],
      KmsKeyId: keyArn,
    });
    expect(evaluate.PropertyFiles).toEqual([{ PropertyFileName: 'EvaluationReport', OutputName: 'evaluation', FilePath: 'evaluation.json' }]);
    expect(evaluate.Arguments.NetworkConfig).toEqual(vpc ? { VpcConfig: vpc } : undefined);
    expectTransientRetries(evaluate);
  });

  it('gates on the metric against the threshold and against the compared alias, read with Std:JsonGet', () => {
    const metric = { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: 'metrics.auc.value' } };
    expect(gate.Arguments.Conditions).toEqual([
      { Type: 'GreaterThanOrEqualTo', LeftValue: metric, RightValue: { Get: 'Parameters.QualityThreshold' } },
      {
        Type: 'GreaterThanOrEqualTo',
        LeftValue: metric,
        RightValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: 'champion.metrics.auc.value' } },
      },
    ]);
  });

  it('registers with "python -m trainer register" from the model and the evaluation output', () => {
    expect(register.Arguments.AppSpecification).toEqual({ ImageUri: image, ContainerEntrypoint: ['python', '-m', 'trainer', 'register'] });
    expect(register.Arguments.ProcessingInputs.map((input: Json) => [input.InputName, input.S3Input.S3Uri, input.S3Input.LocalPath])).toEqual([
      ['model', { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, '/opt/ml/processing/model'],
      ['evaluation', { Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" }, '/opt/ml/processing/evaluation'],
    ]);
    expect(register.Arguments.ProcessingOutputConfig.Outputs[0].S3Output).toEqual({
      S3Uri: runUri(bucket, 'registration'),
      LocalPath: '/opt/ml/processing/output',
      S3UploadMode: 'EndOfJob',
    });
    expect(register.Arguments.ProcessingResources.ClusterConfig.InstanceType).toBe(config.steps.register.instanceType);
    expectTransientRetries(register);
    // One retry behaviour for every job step of the pipeline.
    expect(register.RetryPolicies).toEqual(train.RetryPolicies);
    expect(evaluate.RetryPolicies).toEqual(train.RetryPolicies);
  });

  it('fails with the gate\'s reason when the model is rejected', () => {
    expect(fail.Arguments.ErrorMessage).toEqual({
      'Std:Join': {
        On: ' ',
        Values: [
          'Model rejected by the quality gate:',
          { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: 'gate.reason' } },
          '- no model version was registered.',
        ],
      },
    });
  });
});
