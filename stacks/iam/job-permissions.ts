// Statements a SageMaker job role needs, built per job kind from exact ARNs: the training role and the scoring
// role each call these with only their own prefixes, repository, job types and log groups.
import type { EnvironmentConfig } from '../../environments';
import { UNSCOPABLE, type PolicyStatement } from './policy-document';

export type SageMakerJobKind = 'training-job' | 'processing-job';

export interface AccountScope {
  readonly accountId: string;
  readonly region: string;
}

export interface DataAccess {
  readonly bucketArn: string;
  /** Key prefixes (ending "/") the jobs read: their inputs and earlier steps' outputs. */
  readonly readPrefixes: readonly string[];
  /** Key prefix the jobs write their run outputs under. */
  readonly writePrefix: string;
  /** The bucket's KMS key: objects, job volumes and job outputs are encrypted with it. */
  readonly keyArn: string;
}

export function dataAccessStatements(data: DataAccess): PolicyStatement[] {
  const objects = (prefix: string) => `${data.bucketArn}/${prefix}*`;
  return [
    { Sid: 'ListDataBucket', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: data.bucketArn },
    { Sid: 'ReadInputsAndRunOutputs', Action: ['s3:GetObject'], Resource: [...new Set(data.readPrefixes)].map(objects) },
    { Sid: 'WriteRunOutputs', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: objects(data.writePrefix) },
    { Sid: 'UseArtifactKey', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], Resource: data.keyArn },
    {
      // Jobs encrypt their ML storage volumes with the key: SageMaker creates a grant for the volume.
      Sid: 'GrantArtifactKeyToJobVolumes',
      Action: ['kms:CreateGrant'],
      Resource: data.keyArn,
      Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
    },
  ];
}

export function imagePullStatements(repositoryArns: readonly string[]): PolicyStatement[] {
  return [
    {
      Sid: 'PullPlatformImages',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: [...repositoryArns],
    },
    // UNSCOPABLE: ecr:GetAuthorizationToken has no resource-level permissions (the token is registry-wide).
    { Sid: 'GetRegistryToken', Action: ['ecr:GetAuthorizationToken'], Resource: UNSCOPABLE },
  ];
}

const LOG_GROUPS: Record<SageMakerJobKind, string> = { 'training-job': 'TrainingJobs', 'processing-job': 'ProcessingJobs' };

export function logsAndMetricsStatements(account: AccountScope, kinds: readonly SageMakerJobKind[]): PolicyStatement[] {
  const logGroup = (kind: SageMakerJobKind) =>
    `arn:aws:logs:${account.region}:${account.accountId}:log-group:/aws/sagemaker/${LOG_GROUPS[kind]}:*`;
  return [
    {
      Sid: 'WriteJobLogs',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      Resource: kinds.map(logGroup),
    },
    {
      // UNSCOPABLE: cloudwatch:PutMetricData has no resource-level permissions; limited to SageMaker's namespaces.
      Sid: 'PutJobMetrics',
      Action: ['cloudwatch:PutMetricData'],
      Resource: UNSCOPABLE,
      Condition: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
    },
  ];
}

const JOB_ACTIONS: Record<SageMakerJobKind, readonly string[]> = {
  'training-job': ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'],
  'processing-job': ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob'],
};

/**
 * The pipeline runs as the same role as its steps: it creates, watches and stops only its own kinds of job
 * (SageMaker names pipeline jobs "pipelines-<execution>-<step>-…") and passes only this role to them.
 */
export function pipelineJobStatements(account: AccountScope, kinds: readonly SageMakerJobKind[], roleArn: string): PolicyStatement[] {
  const job = (kind: SageMakerJobKind) => `arn:aws:sagemaker:${account.region}:${account.accountId}:${kind}/pipelines-*`;
  return [
    {
      Sid: 'RunPipelineJobs',
      Action: ['sagemaker:AddTags', ...kinds.flatMap((kind) => JOB_ACTIONS[kind])].sort(),
      Resource: kinds.map(job),
    },
    {
      Sid: 'PassSelfToJobs',
      Action: ['iam:PassRole'],
      Resource: roleArn,
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    },
  ];
}

/**
 * SageMaker attaches a job to the configured subnets by creating network interfaces with the job's role. The
 * interface calls are scoped to this account's and region's network interfaces in the configured subnets and
 * security groups (resource types and condition keys as the EC2 service authorization reference lists them:
 * CreateNetworkInterface authorizes the subnet and security group ARNs; the calls on an existing interface carry
 * ec2:Subnet). Only the Describe* calls, which have no resource-level permissions, keep "*".
 */
export function vpcNetworkingStatements(account: AccountScope, vpc: NonNullable<EnvironmentConfig['vpc']>): PolicyStatement[] {
  const ec2 = (resource: string) => `arn:aws:ec2:${account.region}:${account.accountId}:${resource}`;
  const subnets = vpc.subnetIds.map((id) => ec2(`subnet/${id}`));
  return [
    {
      Sid: 'CreateJobNetworkInterfaces',
      Action: ['ec2:CreateNetworkInterface'],
      Resource: [ec2('network-interface/*'), ...subnets, ...vpc.securityGroupIds.map((id) => ec2(`security-group/${id}`))],
    },
    {
      Sid: 'ManageJobNetworkInterfaces',
      Action: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
      Resource: ec2('network-interface/*'),
      Condition: { ArnEquals: { 'ec2:Subnet': subnets } },
    },
    {
      // UNSCOPABLE: the EC2 Describe* calls have no resource-level permissions.
      Sid: 'DescribeJobNetwork',
      Action: [
        'ec2:DescribeDhcpOptions',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcs',
      ],
      Resource: UNSCOPABLE,
    },
  ];
}
