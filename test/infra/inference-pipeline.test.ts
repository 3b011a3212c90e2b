import { buildInferenceDefinition, kafkaEnvironment } from '../../stacks/inference-pipeline';
import { pipelineDefinition, reference, resource, synthConfig, synthEnvironment, variant, type Json } from './support/synthesized';

describe.each(['staging', 'prod'])('inference pipeline of %s', (name) => {
  const synth = synthEnvironment(name);
  const { config } = synth;
  const bucket = `mlp-${name}-${config.account.id}-eu-central-1-data`;
  const roleArn = reference(synth, 'aws_iam_role', (r) => r.name === `mlp-${name}-scoring`, 'arn');
  const keyArn = reference(synth, 'aws_kms_key', (k) => k.description.startsWith('Data, models'), 'arn');
  const definition = pipelineDefinition(synth, `mlp-${name}-inference`);
  const score = definition.Steps[0] as Json;

  it('is an aws_sagemaker_pipeline with a single Score processing step, pipeline and step run as the scoring role', () => {
    expect(resource(synth, 'aws_sagemaker_pipeline', (p) => p.pipeline_name === `mlp-${name}-inference`).role_arn).toBe(roleArn);
    expect(definition.Steps.map((step: Json) => [step.Name, step.Type])).toEqual([['Score', 'Processing']]);
    expect(score.Arguments.RoleArn).toBe(roleArn);
  });

  it('declares the input, model alias, run date and minimum-rows parameters', () => {
    expect(definition.Parameters).toEqual([
      { Name: 'InputDataUri', Type: 'String', DefaultValue: `s3://${bucket}/input/scoring/` },
      { Name: 'ModelAlias', Type: 'String', DefaultValue: config.mlflow.scoringAlias },
      { Name: 'RunDate', Type: 'String', DefaultValue: '' },
      { Name: 'MinRows', Type: 'Integer', DefaultValue: 1 },
    ]);
  });

  it('runs the scorer image as "node dist/main.js" on the configured instances', () => {
    expect(score.Arguments.AppSpecification).toEqual({
      ImageUri: `${config.account.id}.dkr.ecr.eu-central-1.amazonaws.com/mlp-${name}/scorer:${config.images.scorer}`,
      ContainerEntrypoint: ['node', 'dist/main.js'],
    });
    expect(score.Arguments.ProcessingResources.ClusterConfig).toEqual({
      InstanceType: config.steps.score.instanceType,
      InstanceCount: config.steps.score.instanceCount,
      VolumeSizeInGB: config.steps.score.volumeSizeGb,
      VolumeKmsKeyId: keyArn,
    });
    expect(score.Arguments.StoppingCondition).toEqual({ MaxRuntimeInSeconds: config.steps.score.maxRuntimeSeconds });
    expect(score.RetryPolicies).toHaveLength(2);
  });

  it('shards the input by S3 key exactly when more than one instance scores', () => {
    const input = score.Arguments.ProcessingInputs[0];
    expect(input.S3Input).toMatchObject({ S3Uri: { Get: 'Parameters.InputDataUri' }, LocalPath: '/opt/ml/processing/input/data', S3DataType: 'S3Prefix' });
    expect(input.S3Input.S3DataDistributionType).toBe(config.steps.score.instanceCount > 1 ? 'ShardedByS3Key' : 'FullyReplicated');
  });

  it('writes the run manifest and rejected rows under the run\'s output prefix, encrypted', () => {
    expect(score.Arguments.ProcessingOutputConfig).toEqual({
      Outputs: [
        {
          OutputName: 'output',
          AppManaged: false,
          S3Output: {
            S3Uri: { 'Std:Join': { On: '/', Values: [`s3://${bucket}/runs/inference`, { Get: 'Execution.PipelineExecutionId' }, 'output'] } },
            LocalPath: '/opt/ml/processing/output',
            S3UploadMode: 'EndOfJob',
          },
        },
      ],
      KmsKeyId: keyArn,
    });
  });

  it('passes the MLflow, Kafka and run settings as environment variables', () => {
    const auth = config.kafka.auth;
    expect(score.Arguments.Environment).toEqual({
      AWS_REGION: 'eu-central-1',
      INPUT_PATH: '/opt/ml/processing/input/data',
      OUTPUT_PATH: '/opt/ml/processing/output',
      MLFLOW_TRACKING_URI: `arn:aws:sagemaker:eu-central-1:${config.account.id}:mlflow-tracking-server/mlp-${name}`,
      MLFLOW_EXPERIMENT_NAME: config.mlflow.experimentName,
      MODEL_NAME: 'churn-classifier',
      MODEL_ALIAS: { Get: 'Parameters.ModelAlias' },
      KAFKA_BROKERS: config.kafka.brokers.join(','),
      KAFKA_TOPIC: `${name}.predictions`,
      KAFKA_DLQ_TOPIC: `${name}.predictions.dlq`,
      KAFKA_TLS: 'true',
      KAFKA_AUTH: auth.type === 'sasl-scram' ? 'scram-sha-512' : 'msk-iam',
      ...(auth.type === 'sasl-scram' ? { KAFKA_SASL_SECRET_ARN: auth.secretArn } : {}),
      RUN_ID: { Get: 'Execution.PipelineExecutionId' },
      RUN_DATE: { Get: 'Parameters.RunDate' },
      MAX_REJECTED_RATIO: String(config.scoring.maxRejectedRatio),
      MIN_ROWS: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.MinRows' }] } },
    });
  });

  it('runs inside the VPC only when one is configured', () => {
    expect(score.Arguments.NetworkConfig).toEqual(
      config.vpc ? { VpcConfig: { Subnets: config.vpc.subnetIds, SecurityGroupIds: config.vpc.securityGroupIds } } : undefined,
    );
  });
});

describe('inference pipeline variants', () => {
  it('passes plain Kafka settings without a secret when auth is none', () => {
    expect(kafkaEnvironment({ brokers: ['localhost:9092'], topic: 'dev.predictions', deadLetterTopic: 'dev.dlq', tls: false, auth: { type: 'none' } })).toEqual({
      KAFKA_BROKERS: 'localhost:9092',
      KAFKA_TOPIC: 'dev.predictions',
      KAFKA_DLQ_TOPIC: 'dev.dlq',
      KAFKA_TLS: 'false',
      KAFKA_AUTH: 'none',
    });
  });

  it('passes a self-hosted tracking URI and grants no sagemaker-mlflow actions for it', () => {
    const config = variant('staging', (raw) => {
      raw.mlflow.server = { type: 'self-hosted', trackingUri: 'https://mlflow.internal.example.com' };
    });
    const synth = synthConfig(config);
    const score = pipelineDefinition(synth, 'mlp-staging-inference').Steps[0];
    expect(score.Arguments.Environment.MLFLOW_TRACKING_URI).toBe('https://mlflow.internal.example.com');
    expect(synth.raw).not.toContain('sagemaker-mlflow:');
    expect(synth.raw).toContain('ReadWriteArtifacts');
  });

  it('keeps a single instance unsharded and shards two', () => {
    const config = variant('staging', () => undefined);
    const build = (instanceCount: number) =>
      buildInferenceDefinition({
        pipelineName: 'p',
        job: { roleArn: 'arn:aws:iam::111111111111:role/r', kmsKeyArn: 'arn:aws:kms:eu-central-1:111111111111:key/k', region: 'eu-central-1' },
        scorerImage: 'scorer:1',
        mlflow: { scoringAlias: 'champion', environment: {} } as never,
        kafka: config.kafka,
        score: { ...config.steps.score, instanceCount },
        maxRejectedRatio: 0.01,
        inferenceInputUri: 's3://b/in/',
        runsUri: 's3://b/runs/inference',
      }).Steps[0] as Json;
    expect(build(1).Arguments.ProcessingInputs[0].S3Input.S3DataDistributionType).toBe('FullyReplicated');
    expect(build(2).Arguments.ProcessingInputs[0].S3Input.S3DataDistributionType).toBe('ShardedByS3Key');
  });
});
