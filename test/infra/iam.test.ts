import { MLFLOW_ACTIONS } from '../../stacks/mlflow-reference';
import { asArray, reference, resource, resourcesOf, rolePolicies, statement, synthConfig, synthEnvironment, variant, type Statement } from './support/synthesized';

// The only statements allowed a "*" resource: APIs without resource-level permissions (see stacks/roles.ts).
const UNSCOPABLE_STATEMENTS = ['GetRegistryToken', 'PutJobMetrics', 'AttachJobsToVpc'];

describe.each(['staging', 'prod'])('IAM of %s', (name) => {
  const synth = synthEnvironment(name);
  const account = synth.config.account.id;
  const region = synth.config.account.region;
  const bucket = `arn:aws:s3:::mlp-${name}-${account}-${region}-data`;
  const keyArn = reference(synth, 'aws_kms_key', (k) => k.description.startsWith('Data, models'), 'arn');
  const execution = rolePolicies(synth, `mlp-${name}-sagemaker-execution`);
  const scheduler = rolePolicies(synth, `mlp-${name}-scheduler`);
  const allStatements = (policies: Record<string, Statement[]>) => Object.values(policies).flat();

  it('lets only SageMaker assume the execution role, only for this account', () => {
    const role = resource(synth, 'aws_iam_role', (r) => r.name === `mlp-${name}-sagemaker-execution`);
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: 'Allow',
        Sid: 'TrustService',
        Principal: { Service: 'sagemaker.amazonaws.com' },
        Action: ['sts:AssumeRole'],
        Condition: { StringEquals: { 'aws:SourceAccount': account } },
      },
    ]);
  });

  it('attaches no managed policies at all (so no *FullAccess policy)', () => {
    expect(resourcesOf(synth, 'aws_iam_role_policy_attachment')).toEqual({});
    expect(synth.raw).not.toMatch(/FullAccess/);
    for (const role of Object.values(resourcesOf(synth, 'aws_iam_role'))) expect(role.managed_policy_arns).toBeUndefined();
  });

  it('gives the execution role one inline policy per concern', () => {
    const expected = ['data-access', 'images', 'kafka', 'logs-and-metrics', 'mlflow-access', 'pipeline-jobs'];
    if (synth.config.vpc) expected.push('vpc-networking');
    expect(Object.keys(execution).sort()).toEqual(expected.sort());
  });

  it('scopes data access to the bucket, its input and run prefixes, and its key', () => {
    expect(execution['data-access']).toEqual([
      { Effect: 'Allow', Sid: 'ListDataBucket', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: bucket },
      {
        Effect: 'Allow',
        Sid: 'ReadInputsAndRunOutputs',
        Action: ['s3:GetObject'],
        Resource: [`${bucket}/input/training/*`, `${bucket}/input/evaluation/*`, `${bucket}/input/scoring/*`, `${bucket}/runs/*`],
      },
      { Effect: 'Allow', Sid: 'WriteRunOutputs', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: `${bucket}/runs/*` },
      { Effect: 'Allow', Sid: 'UseArtifactKey', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], Resource: keyArn },
      {
        Effect: 'Allow',
        Sid: 'GrantArtifactKeyToJobVolumes',
        Action: ['kms:CreateGrant'],
        Resource: keyArn,
        Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
      },
    ]);
  });

  it('pulls only this environment\'s two repositories', () => {
    expect(statement(execution.images!, 'PullPlatformImages')).toMatchObject({
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: [`arn:aws:ecr:${region}:${account}:repository/mlp-${name}/trainer`, `arn:aws:ecr:${region}:${account}:repository/mlp-${name}/scorer`],
    });
  });

  it('writes logs only to the SageMaker job log groups', () => {
    expect(statement(execution['logs-and-metrics']!, 'WriteJobLogs')).toMatchObject({
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      Resource: [
        `arn:aws:logs:${region}:${account}:log-group:/aws/sagemaker/TrainingJobs:*`,
        `arn:aws:logs:${region}:${account}:log-group:/aws/sagemaker/ProcessingJobs:*`,
      ],
    });
  });

  it('runs only pipeline-created jobs and passes only itself to SageMaker', () => {
    expect(statement(execution['pipeline-jobs']!, 'RunPipelineJobs').Resource).toEqual([
      `arn:aws:sagemaker:${region}:${account}:training-job/pipelines-*`,
      `arn:aws:sagemaker:${region}:${account}:processing-job/pipelines-*`,
    ]);
    expect(statement(execution['pipeline-jobs']!, 'PassSelfToJobs')).toEqual({
      Effect: 'Allow',
      Sid: 'PassSelfToJobs',
      Action: ['iam:PassRole'],
      Resource: `arn:aws:iam::${account}:role/mlp-${name}-sagemaker-execution`,
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
  });

  it('uses MLflow on the configured tracking server only, and its artifact store prefix', () => {
    const server = `arn:aws:sagemaker:${region}:${account}:mlflow-tracking-server/mlp-${name}`;
    const mlflow = execution['mlflow-access']!;
    expect(statement(mlflow, 'UseTrackingServer')).toEqual({ Effect: 'Allow', Sid: 'UseTrackingServer', Action: [...MLFLOW_ACTIONS], Resource: server });
    expect(MLFLOW_ACTIONS.every((action) => action.startsWith('sagemaker-mlflow:'))).toBe(true);
    expect(statement(mlflow, 'DescribeTrackingServer')).toMatchObject({ Action: ['sagemaker:DescribeMlflowTrackingServer'], Resource: server });
    expect(statement(mlflow, 'ReadWriteArtifacts').Resource).toBe(`arn:aws:s3:::mlp-mlflow-artifacts-${account}/${name}/*`);
    expect(statement(mlflow, 'ListArtifactStore').Resource).toBe(`arn:aws:s3:::mlp-mlflow-artifacts-${account}`);
  });

  it('allows "*" resources only for the APIs that cannot be scoped', () => {
    const withStar = [...allStatements(execution), ...allStatements(scheduler)].filter((s) => asArray(s.Resource).includes('*'));
    for (const s of withStar) expect(UNSCOPABLE_STATEMENTS).toContain(s.Sid);
    expect(statement(execution.images!, 'GetRegistryToken')).toMatchObject({ Action: ['ecr:GetAuthorizationToken'], Resource: '*' });
    expect(statement(execution['logs-and-metrics']!, 'PutJobMetrics')).toMatchObject({
      Action: ['cloudwatch:PutMetricData'],
      Condition: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
    });
  });

  it('allows no wildcard actions in any policy of the stack (only the TLS deny may be broad)', () => {
    const documents = [
      ...Object.values(resourcesOf(synth, 'aws_iam_role_policy')).map((p) => p.policy),
      ...Object.values(resourcesOf(synth, 'aws_iam_role')).map((r) => r.assume_role_policy),
      ...Object.values(resourcesOf(synth, 'aws_kms_key')).map((k) => k.policy),
      ...Object.values(resourcesOf(synth, 'aws_s3_bucket_policy')).map((p) => p.policy),
      ...Object.values(resourcesOf(synth, 'aws_sns_topic_policy')).map((p) => p.policy),
    ];
    expect(documents.length).toBeGreaterThan(10);
    for (const document of documents) {
      for (const s of JSON.parse(document).Statement) {
        if (s.Effect === 'Deny') continue;
        expect(asArray<string>(s.Action).filter((action) => action.includes('*'))).toEqual([]);
      }
    }
  });

  it('lets only EventBridge Scheduler assume the scheduler role', () => {
    const role = resource(synth, 'aws_iam_role', (r) => r.name === `mlp-${name}-scheduler`);
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: 'Allow',
        Sid: 'TrustService',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: ['sts:AssumeRole'],
        Condition: { StringEquals: { 'aws:SourceAccount': account } },
      },
    ]);
  });

  it('allows the scheduler role exactly to start the two pipelines and to dead-letter failed starts', () => {
    expect(scheduler).toEqual({
      'start-pipelines': [
        {
          Effect: 'Allow',
          Sid: 'StartNightlyPipelines',
          Action: ['sagemaker:StartPipelineExecution'],
          Resource: [
            `arn:aws:sagemaker:${region}:${account}:pipeline/mlp-${name}-training`,
            `arn:aws:sagemaker:${region}:${account}:pipeline/mlp-${name}-inference`,
          ],
        },
        {
          Effect: 'Allow',
          Sid: 'SendFailedStartsToDeadLetterQueue',
          Action: ['sqs:SendMessage'],
          Resource: `arn:aws:sqs:${region}:${account}:mlp-${name}-schedules-dlq`,
        },
      ],
    });
  });

  it('names the policy ARNs the way the resources are actually named', () => {
    // The policies use ARNs derived from names; the resources must carry exactly those names.
    expect(resource(synth, 'aws_sagemaker_pipeline', (p) => p.pipeline_name === `mlp-${name}-training`)).toBeDefined();
    expect(resource(synth, 'aws_sqs_queue').name).toBe(`mlp-${name}-schedules-dlq`);
  });
});

describe('Kafka credentials', () => {
  it('lets staging read the SASL/SCRAM secret by ARN, and never reads its value into Terraform', () => {
    const synth = synthEnvironment('staging');
    const auth = synth.config.kafka.auth;
    if (auth.type !== 'sasl-scram') throw new Error('staging is expected to use SASL/SCRAM');
    expect(rolePolicies(synth, 'mlp-staging-sagemaker-execution').kafka).toEqual([
      { Effect: 'Allow', Sid: 'ReadKafkaCredentials', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: auth.secretArn },
    ]);
    expect(synth.json.data ?? {}).toEqual({});
    expect(synth.raw).not.toMatch(/aws_secretsmanager_secret_version/);
  });

  it('lets prod connect with MSK IAM to its cluster, its two topics and its transactional ids', () => {
    const synth = synthEnvironment('prod');
    const cluster = 'arn:aws:kafka:eu-central-1:222222222222:cluster/mlp-prod/6f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c-2';
    const topic = (t: string) => `arn:aws:kafka:eu-central-1:222222222222:topic/mlp-prod/6f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c-2/${t}`;
    expect(rolePolicies(synth, 'mlp-prod-sagemaker-execution').kafka).toEqual([
      {
        Effect: 'Allow',
        Sid: 'ConnectToCluster',
        Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
        Resource: cluster,
      },
      {
        Effect: 'Allow',
        Sid: 'PublishPredictions',
        Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        Resource: [topic('prod.predictions'), topic('prod.predictions.dlq')],
      },
      {
        Effect: 'Allow',
        Sid: 'UseTransactions',
        Action: ['kafka-cluster:AlterTransactionalId', 'kafka-cluster:DescribeTransactionalId'],
        Resource: 'arn:aws:kafka:eu-central-1:222222222222:transactional-id/mlp-prod/6f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c-2/*',
      },
    ]);
  });

  it('lets the role decrypt the secret with its customer-managed key, only through Secrets Manager', () => {
    const keyArn = 'arn:aws:kms:eu-central-1:111111111111:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const synth = synthConfig(variant('staging', (raw) => (raw.kafka.auth.secretKmsKeyArn = keyArn)));
    expect(statement(rolePolicies(synth, 'mlp-staging-sagemaker-execution').kafka!, 'DecryptKafkaCredentials')).toEqual({
      Effect: 'Allow',
      Sid: 'DecryptKafkaCredentials',
      Action: ['kms:Decrypt'],
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com' } },
    });
  });

  it('grants no Kafka permissions when the brokers need no authentication', () => {
    const synth = synthConfig(variant('staging', (raw) => (raw.kafka.auth = { type: 'none' })));
    expect(Object.keys(rolePolicies(synth, 'mlp-staging-sagemaker-execution'))).not.toContain('kafka');
    expect(synth.raw).not.toContain('secretsmanager:');
  });

  it('lets prod jobs attach to its VPC, and staging (no VPC) not', () => {
    expect(rolePolicies(synthEnvironment('prod'), 'mlp-prod-sagemaker-execution')['vpc-networking']).toHaveLength(1);
    expect(rolePolicies(synthEnvironment('staging'), 'mlp-staging-sagemaker-execution')['vpc-networking']).toBeUndefined();
  });
});
