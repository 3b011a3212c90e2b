import { MLFLOW_ACTIONS, MLFLOW_READ_ACTIONS } from '../../stacks/mlflow-reference';
import {
  asArray,
  policyStatements,
  reference,
  resource,
  resourcesOf,
  rolePolicies,
  statement,
  synthConfig,
  synthEnvironment,
  variant,
  type Statement,
} from './support/synthesized';

// The only statements allowed a "*" resource: APIs without resource-level permissions (see stacks/iam/).
const UNSCOPABLE_STATEMENTS = ['GetRegistryToken', 'PutJobMetrics', 'DescribeJobNetwork'];
const allStatements = (policies: Record<string, Statement[]>) => Object.values(policies).flat();
const allActions = (policies: Record<string, Statement[]>) => allStatements(policies).flatMap((s) => s.Action);

describe.each(['staging', 'prod'])('IAM of %s', (name) => {
  const synth = synthEnvironment(name);
  const account = synth.config.account.id;
  const region = synth.config.account.region;
  const bucket = `arn:aws:s3:::mlp-${name}-${account}-${region}-data`;
  const keyArn = reference(synth, 'aws_kms_key', (k) => k.description.startsWith('Data, models'), 'arn');
  const roles = { training: `mlp-${name}-sagemaker-execution`, scoring: `mlp-${name}-scoring`, scheduler: `mlp-${name}-scheduler` };
  const training = rolePolicies(synth, roles.training);
  const scoring = rolePolicies(synth, roles.scoring);
  const scheduler = rolePolicies(synth, roles.scheduler);
  const trustOf = (roleName: string) => policyStatements(synth, resource(synth, 'aws_iam_role', (r) => r.name === roleName).assume_role_policy);

  it('has exactly one role per job kind: training steps, scoring step, scheduler', () => {
    expect(Object.values(resourcesOf(synth, 'aws_iam_role')).map((r) => r.name).sort()).toEqual(Object.values(roles).sort());
  });

  it.each([
    ['training', 'sagemaker.amazonaws.com'],
    ['scoring', 'sagemaker.amazonaws.com'],
    ['scheduler', 'scheduler.amazonaws.com'],
  ] as const)('lets only its service assume the %s role, only for this account', (kind, service) => {
    expect(trustOf(roles[kind])).toEqual([
      {
        Effect: 'Allow',
        Sid: 'TrustService',
        Principal: { Service: service },
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

  it('gives each job role one inline policy per concern, Kafka only to scoring', () => {
    const common = ['data-access', 'images', 'logs-and-metrics', 'mlflow-access', 'pipeline-jobs', ...(synth.config.vpc ? ['vpc-networking'] : [])];
    expect(Object.keys(training).sort()).toEqual(common.sort());
    expect(Object.keys(scoring).sort()).toEqual([...common, 'kafka'].sort());
  });

  it('lets training read its inputs and runs/training/, write runs/training/ and use the bucket key', () => {
    expect(training['data-access']).toEqual([
      { Effect: 'Allow', Sid: 'ListDataBucket', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: bucket },
      {
        Effect: 'Allow',
        Sid: 'ReadInputsAndRunOutputs',
        Action: ['s3:GetObject'],
        Resource: [`${bucket}/input/training/*`, `${bucket}/input/evaluation/*`, `${bucket}/runs/training/*`],
      },
      { Effect: 'Allow', Sid: 'WriteRunOutputs', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: `${bucket}/runs/training/*` },
      { Effect: 'Allow', Sid: 'UseArtifactKey', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], Resource: keyArn },
      {
        Effect: 'Allow',
        Sid: 'GrantArtifactKeyToJobVolumes',
        Action: ['kms:CreateGrant'],
        Resource: keyArn,
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      },
    ]);
  });

  it('lets scoring read only the scoring input and write only runs/inference/', () => {
    expect(statement(scoring['data-access']!, 'ReadInputsAndRunOutputs').Resource).toBe(`${bucket}/input/scoring/*`);
    expect(statement(scoring['data-access']!, 'WriteRunOutputs').Resource).toBe(`${bucket}/runs/inference/*`);
  });

  it('pulls only the image of its own job kind', () => {
    const repository = (image: string) => `arn:aws:ecr:${region}:${account}:repository/mlp-${name}/${image}`;
    expect(statement(training.images!, 'PullPlatformImages').Resource).toBe(repository('trainer'));
    expect(statement(scoring.images!, 'PullPlatformImages').Resource).toBe(repository('scorer'));
  });

  it('writes logs only to the log groups of its own job types', () => {
    const logGroup = (jobs: string) => `arn:aws:logs:${region}:${account}:log-group:/aws/sagemaker/${jobs}:*`;
    expect(statement(training['logs-and-metrics']!, 'WriteJobLogs').Resource).toEqual([logGroup('TrainingJobs'), logGroup('ProcessingJobs')]);
    expect(statement(scoring['logs-and-metrics']!, 'WriteJobLogs').Resource).toBe(logGroup('ProcessingJobs'));
  });

  it('runs only its own kinds of pipeline job and passes only itself to SageMaker', () => {
    const job = (kind: string) => `arn:aws:sagemaker:${region}:${account}:${kind}/pipelines-*`;
    expect(statement(training['pipeline-jobs']!, 'RunPipelineJobs').Resource).toEqual([job('training-job'), job('processing-job')]);
    expect(statement(scoring['pipeline-jobs']!, 'RunPipelineJobs')).toMatchObject({
      Action: ['sagemaker:AddTags', 'sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob'],
      Resource: job('processing-job'),
    });
    for (const [policies, roleName] of [[training, roles.training], [scoring, roles.scoring]] as const) {
      expect(statement(policies['pipeline-jobs']!, 'PassSelfToJobs')).toEqual({
        Effect: 'Allow',
        Sid: 'PassSelfToJobs',
        Action: ['iam:PassRole'],
        Resource: `arn:aws:iam::${account}:role/${roleName}`,
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      });
    }
  });

  it('lets training use MLflow read-write on the configured tracking server and artifact prefix only', () => {
    const server = `arn:aws:sagemaker:${region}:${account}:mlflow-tracking-server/mlp-${name}`;
    const mlflow = training['mlflow-access']!;
    expect(statement(mlflow, 'UseTrackingServer')).toEqual({ Effect: 'Allow', Sid: 'UseTrackingServer', Action: [...MLFLOW_ACTIONS], Resource: server });
    expect(MLFLOW_ACTIONS.every((action) => action.startsWith('sagemaker-mlflow:'))).toBe(true);
    expect(statement(mlflow, 'DescribeTrackingServer')).toMatchObject({ Action: ['sagemaker:DescribeMlflowTrackingServer'], Resource: server });
    expect(statement(mlflow, 'ReadWriteArtifacts').Resource).toBe(`arn:aws:s3:::mlp-mlflow-artifacts-${account}/${name}/*`);
    expect(statement(mlflow, 'ListArtifactStore').Resource).toBe(`arn:aws:s3:::mlp-mlflow-artifacts-${account}`);
  });

  it('lets scoring only read from MLflow: it can never register a version or move an alias', () => {
    // Positive control: the action that moves aliases exists, and the training role has it.
    expect(allActions(training)).toContain('sagemaker-mlflow:SetRegisteredModelAlias');
    const actions = allActions(scoring);
    expect(actions).not.toContain('sagemaker-mlflow:SetRegisteredModelAlias');
    expect(actions.filter((action) => /^sagemaker-mlflow:(?!Get|List)/.test(action))).toEqual([]);
    expect(statement(scoring['mlflow-access']!, 'UseTrackingServer').Action).toEqual([...MLFLOW_READ_ACTIONS]);
    // Nothing else of SageMaker than describing the server and running its own processing jobs.
    expect(actions.filter((action) => action.startsWith('sagemaker:')).sort()).toEqual([
      'sagemaker:AddTags',
      'sagemaker:CreateProcessingJob',
      'sagemaker:DescribeMlflowTrackingServer',
      'sagemaker:DescribeProcessingJob',
      'sagemaker:StopProcessingJob',
    ]);
    expect(statement(scoring['mlflow-access']!, 'ReadArtifacts')).toMatchObject({ Action: ['s3:GetObject'] });
  });

  it('keeps Kafka away from the training role: no secret, no key, no cluster', () => {
    const kafkaActions = (actions: string[]) => actions.filter((action) => /^(secretsmanager|kafka-cluster):/.test(action));
    // Positive control: scoring does get them.
    expect(kafkaActions(allActions(scoring)).length).toBeGreaterThan(0);
    expect(kafkaActions(allActions(training))).toEqual([]);
    const auth = synth.config.kafka.auth;
    const secretResources = auth.type === 'sasl-scram' ? [auth.secretArn, auth.secretKmsKeyArn] : auth.type === 'msk-iam' ? [auth.clusterArn] : [];
    for (const s of allStatements(training)) for (const arn of secretResources) expect(asArray(s.Resource)).not.toContain(arn);
  });

  it('allows "*" resources only for the APIs that cannot be scoped', () => {
    const withStar = [training, scoring, scheduler].flatMap(allStatements).filter((s) => asArray(s.Resource).includes('*'));
    expect(withStar.length).toBeGreaterThan(0);
    for (const s of withStar) expect(UNSCOPABLE_STATEMENTS).toContain(s.Sid);
    expect(statement(training.images!, 'GetRegistryToken')).toMatchObject({ Action: ['ecr:GetAuthorizationToken'], Resource: '*' });
    expect(statement(training['logs-and-metrics']!, 'PutJobMetrics')).toMatchObject({
      Action: ['cloudwatch:PutMetricData'],
      Condition: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
    });
  });

  it('writes every policy of the stack as a policy document with no wildcard actions (only the TLS deny may be broad)', () => {
    const attributes = [
      ...Object.values(resourcesOf(synth, 'aws_iam_role_policy')).map((p) => p.policy),
      ...Object.values(resourcesOf(synth, 'aws_iam_role')).map((r) => r.assume_role_policy),
      ...Object.values(resourcesOf(synth, 'aws_kms_key')).map((k) => k.policy),
      ...Object.values(resourcesOf(synth, 'aws_s3_bucket_policy')).map((p) => p.policy),
      ...Object.values(resourcesOf(synth, 'aws_sns_topic_policy')).map((p) => p.policy),
    ];
    expect(attributes.length).toBeGreaterThan(15);
    for (const attribute of attributes) {
      for (const s of policyStatements(synth, attribute)) {
        if (s.Effect === 'Deny') continue;
        expect(s.Action.filter((action) => action.includes('*'))).toEqual([]);
      }
    }
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
    expect(resource(synth, 'aws_cloudwatch_event_rule').name).toBe(`mlp-${name}-pipeline-failed`);
    expect(resource(synth, 'aws_cloudwatch_metric_alarm').alarm_name).toBe(`mlp-${name}-schedule-start-failed`);
  });
});

describe('Kafka credentials', () => {
  it('lets staging scoring read the SASL/SCRAM secret by ARN and decrypt it with its key, only through Secrets Manager', () => {
    const synth = synthEnvironment('staging');
    const auth = synth.config.kafka.auth;
    if (auth.type !== 'sasl-scram') throw new Error('staging is expected to use SASL/SCRAM');
    expect(rolePolicies(synth, 'mlp-staging-scoring').kafka).toEqual([
      { Effect: 'Allow', Sid: 'ReadKafkaCredentials', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: auth.secretArn },
      {
        Effect: 'Allow',
        Sid: 'DecryptKafkaCredentials',
        Action: ['kms:Decrypt'],
        Resource: auth.secretKmsKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com' } },
      },
    ]);
    expect(synth.raw).not.toMatch(/aws_secretsmanager_secret_version|data\.aws_secretsmanager/);
  });

  it('lets prod scoring connect with MSK IAM to its cluster, its three topics (predictions, dead letters, end-of-run records) and its transactional ids', () => {
    const synth = synthEnvironment('prod');
    const cluster = 'arn:aws:kafka:eu-central-1:222222222222:cluster/mlp-prod/6f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c-2';
    const topic = (t: string) => `arn:aws:kafka:eu-central-1:222222222222:topic/mlp-prod/6f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c-2/${t}`;
    expect(rolePolicies(synth, 'mlp-prod-scoring').kafka).toEqual([
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
        Resource: [topic('prod.predictions'), topic('prod.predictions.dlq'), topic('prod.predictions.runs')],
      },
      {
        Effect: 'Allow',
        Sid: 'UseTransactions',
        Action: ['kafka-cluster:AlterTransactionalId', 'kafka-cluster:DescribeTransactionalId'],
        Resource: 'arn:aws:kafka:eu-central-1:222222222222:transactional-id/mlp-prod/6f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c-2/*',
      },
    ]);
  });

  it('grants no Kafka permissions when the brokers need no authentication', () => {
    const synth = synthConfig(variant('staging', (raw) => (raw.kafka.auth = { type: 'none' })));
    expect(Object.keys(rolePolicies(synth, 'mlp-staging-scoring'))).not.toContain('kafka');
    expect(synth.raw).not.toContain('secretsmanager:');
  });
});

describe('VPC networking', () => {
  it('scopes the network-interface calls of both prod job roles to its subnets and security groups', () => {
    const synth = synthEnvironment('prod');
    const ec2 = (resource: string) => `arn:aws:ec2:eu-central-1:222222222222:${resource}`;
    const subnets = [ec2('subnet/subnet-0a1b2c3d4e5f60718'), ec2('subnet/subnet-0b1c2d3e4f5a60719')];
    for (const role of ['mlp-prod-sagemaker-execution', 'mlp-prod-scoring']) {
      expect(rolePolicies(synth, role)['vpc-networking']).toEqual([
        {
          Effect: 'Allow',
          Sid: 'CreateJobNetworkInterfaces',
          Action: ['ec2:CreateNetworkInterface'],
          Resource: [ec2('network-interface/*'), ...subnets, ec2('security-group/sg-0c1d2e3f4a5b60712')],
        },
        {
          Effect: 'Allow',
          Sid: 'ManageJobNetworkInterfaces',
          Action: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
          Resource: ec2('network-interface/*'),
          Condition: { ArnEquals: { 'ec2:Subnet': subnets } },
        },
        {
          Effect: 'Allow',
          Sid: 'DescribeJobNetwork',
          Action: ['ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs'],
          Resource: '*',
        },
      ]);
    }
  });

  it('gives staging (no VPC) no networking permissions', () => {
    const synth = synthEnvironment('staging');
    expect(rolePolicies(synth, 'mlp-staging-sagemaker-execution')['vpc-networking']).toBeUndefined();
    expect(synth.raw).not.toContain('ec2:');
  });
});
