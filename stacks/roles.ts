// Least-privilege roles: the SageMaker execution role the pipelines and their jobs run as, and the role
// EventBridge Scheduler assumes to start the pipelines. Every policy lists exact actions; resources are this
// environment's ARNs (derived from platformArns, so they are exact at synth time). "*" appears only through
// UNSCOPABLE for APIs without resource-level permissions, each marked below.
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { EnvironmentConfig, PlatformArns } from '../environments';
import { policyDocument, serviceTrustPolicy, UNSCOPABLE, type PolicyStatement } from './iam/policy-document';

export interface RolesProps {
  readonly accountId: string;
  readonly region: string;
  readonly executionRoleName: string;
  readonly schedulerRoleName: string;
  readonly arns: PlatformArns;
  readonly artifactKeyArn: string;
  /** Key prefixes in the data bucket the jobs read (inputs and earlier steps' outputs). */
  readonly readPrefixes: readonly string[];
  /** Key prefix the jobs write run outputs under. */
  readonly writePrefix: string;
  readonly kafka: EnvironmentConfig['kafka'];
  readonly inVpc: boolean;
}

export class Roles extends Construct {
  readonly executionRole: IamRole;
  readonly schedulerRole: IamRole;

  constructor(scope: Construct, id: string, props: RolesProps) {
    super(scope, id);
    const { arns } = props;

    this.executionRole = new IamRole(this, 'execution-role', {
      name: props.executionRoleName,
      description: 'SageMaker pipelines and their training and processing jobs',
      assumeRolePolicy: serviceTrustPolicy('sagemaker.amazonaws.com', props.accountId),
      maxSessionDuration: 43200,
    });
    const executionPolicy = (policyId: string, statements: readonly PolicyStatement[]) =>
      new IamRolePolicy(this, policyId, { name: policyId, role: this.executionRole.id, policy: policyDocument(statements) });

    const objects = (prefix: string) => `${arns.dataBucket}/${prefix}*`;
    executionPolicy('data-access', [
      { Sid: 'ListDataBucket', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: arns.dataBucket },
      { Sid: 'ReadInputsAndRunOutputs', Action: ['s3:GetObject'], Resource: [...new Set(props.readPrefixes)].map(objects) },
      { Sid: 'WriteRunOutputs', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: objects(props.writePrefix) },
      {
        Sid: 'UseArtifactKey',
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: props.artifactKeyArn,
      },
      {
        // Jobs encrypt their ML storage volumes with the key: SageMaker creates a grant for the volume.
        Sid: 'GrantArtifactKeyToJobVolumes',
        Action: ['kms:CreateGrant'],
        Resource: props.artifactKeyArn,
        Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
      },
    ]);

    executionPolicy('images', [
      {
        Sid: 'PullPlatformImages',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        Resource: [arns.trainerRepository, arns.scorerRepository],
      },
      // UNSCOPABLE: ecr:GetAuthorizationToken has no resource-level permissions (the token is registry-wide).
      { Sid: 'GetRegistryToken', Action: ['ecr:GetAuthorizationToken'], Resource: UNSCOPABLE },
    ]);

    const logGroup = (jobs: string) => `arn:aws:logs:${props.region}:${props.accountId}:log-group:/aws/sagemaker/${jobs}`;
    executionPolicy('logs-and-metrics', [
      {
        Sid: 'WriteJobLogs',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        Resource: [`${logGroup('TrainingJobs')}:*`, `${logGroup('ProcessingJobs')}:*`],
      },
      {
        // UNSCOPABLE: cloudwatch:PutMetricData has no resource-level permissions; limited to SageMaker's namespaces.
        Sid: 'PutJobMetrics',
        Action: ['cloudwatch:PutMetricData'],
        Resource: UNSCOPABLE,
        Condition: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      },
    ]);

    // Pipeline executions create their jobs as this role; SageMaker names them "pipelines-<execution>-<step>-…".
    const job = (kind: string) => `arn:aws:sagemaker:${props.region}:${props.accountId}:${kind}/pipelines-*`;
    executionPolicy('pipeline-jobs', [
      {
        Sid: 'RunPipelineJobs',
        Action: [
          'sagemaker:AddTags',
          'sagemaker:CreateProcessingJob',
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeProcessingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopProcessingJob',
          'sagemaker:StopTrainingJob',
        ],
        Resource: [job('training-job'), job('processing-job')],
      },
      {
        Sid: 'PassSelfToJobs',
        Action: ['iam:PassRole'],
        Resource: arns.executionRole,
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
    ]);

    const kafkaStatements = kafkaAccess(props.kafka);
    if (kafkaStatements.length > 0) executionPolicy('kafka', kafkaStatements);

    if (props.inVpc) {
      executionPolicy('vpc-networking', [
        {
          // UNSCOPABLE: SageMaker attaches network interfaces in the configured subnets on the job's behalf;
          // the EC2 Describe* calls have no resource-level permissions and SageMaker documents these with "*".
          Sid: 'AttachJobsToVpc',
          Action: [
            'ec2:CreateNetworkInterface',
            'ec2:CreateNetworkInterfacePermission',
            'ec2:DeleteNetworkInterface',
            'ec2:DeleteNetworkInterfacePermission',
            'ec2:DescribeDhcpOptions',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
          ],
          Resource: UNSCOPABLE,
        },
      ]);
    }

    this.schedulerRole = new IamRole(this, 'scheduler-role', {
      name: props.schedulerRoleName,
      description: 'EventBridge Scheduler: start the nightly pipelines',
      assumeRolePolicy: serviceTrustPolicy('scheduler.amazonaws.com', props.accountId),
    });
    // The schedules' DLQ is encrypted with a key whose key policy names this role (nightly-schedules), so
    // this policy holds exactly the two permissions a schedule needs.
    new IamRolePolicy(this, 'start-pipelines', {
      name: 'start-pipelines',
      role: this.schedulerRole.id,
      policy: policyDocument([
        {
          Sid: 'StartNightlyPipelines',
          Action: ['sagemaker:StartPipelineExecution'],
          Resource: [arns.trainingPipeline, arns.inferencePipeline],
        },
        { Sid: 'SendFailedStartsToDeadLetterQueue', Action: ['sqs:SendMessage'], Resource: arns.scheduleDeadLetterQueue },
      ]),
    });
  }
}

/** Kafka credentials: the SASL/SCRAM secret by ARN (its value never reaches Terraform), or MSK IAM on the topics. */
function kafkaAccess(kafka: EnvironmentConfig['kafka']): PolicyStatement[] {
  const auth = kafka.auth;
  if (auth.type === 'none') return [];
  if (auth.type === 'sasl-scram') {
    const statements: PolicyStatement[] = [
      { Sid: 'ReadKafkaCredentials', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: auth.secretArn },
    ];
    if (auth.secretKmsKeyArn) {
      const region = auth.secretArn.split(':')[3];
      statements.push({
        Sid: 'DecryptKafkaCredentials',
        Action: ['kms:Decrypt'],
        Resource: auth.secretKmsKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      });
    }
    return statements;
  }
  // arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> → topic/… and transactional-id/… of the same cluster.
  const clusterPath = auth.clusterArn.split(':cluster/')[1];
  const base = auth.clusterArn.split(':cluster/')[0];
  return [
    {
      Sid: 'ConnectToCluster',
      Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
      Resource: auth.clusterArn,
    },
    {
      Sid: 'PublishPredictions',
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      Resource: [kafka.topic, kafka.deadLetterTopic].map((topic) => `${base}:topic/${clusterPath}/${topic}`),
    },
    {
      // Transactions make a run all-or-nothing for read_committed consumers; ids are per topic and shard.
      Sid: 'UseTransactions',
      Action: ['kafka-cluster:AlterTransactionalId', 'kafka-cluster:DescribeTransactionalId'],
      Resource: `${base}:transactional-id/${clusterPath}/*`,
    },
  ];
}
