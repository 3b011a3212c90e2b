// The existing MLflow tracking server of this environment: a SageMaker managed server (by ARN) or a
// self-hosted one (by URI). It is never created here. The construct grants roles access to the server and
// its artifact store, and provides the tracking settings the pipeline steps pass to the containers.
import { Construct } from 'constructs';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { EnvironmentConfig } from '../environments';
import { policyDocument, type PolicyStatement } from './iam/policy-document';

// The MLflow REST operations the trainer (log runs and models, register, move aliases) and the scorer
// (resolve alias → version → artifacts) use, as sagemaker-mlflow IAM actions.
export const MLFLOW_ACTIONS = [
  'sagemaker-mlflow:CreateExperiment',
  'sagemaker-mlflow:CreateLoggedModel',
  'sagemaker-mlflow:CreateModelVersion',
  'sagemaker-mlflow:CreateRegisteredModel',
  'sagemaker-mlflow:CreateRun',
  'sagemaker-mlflow:FinalizeLoggedModel',
  'sagemaker-mlflow:GetDownloadURIForModelVersionArtifacts',
  'sagemaker-mlflow:GetExperiment',
  'sagemaker-mlflow:GetExperimentByName',
  'sagemaker-mlflow:GetLatestModelVersions',
  'sagemaker-mlflow:GetLoggedModel',
  'sagemaker-mlflow:GetMetricHistory',
  'sagemaker-mlflow:GetModelVersion',
  'sagemaker-mlflow:GetModelVersionByAlias',
  'sagemaker-mlflow:GetRegisteredModel',
  'sagemaker-mlflow:GetRun',
  'sagemaker-mlflow:ListArtifacts',
  'sagemaker-mlflow:ListLoggedModelArtifacts',
  'sagemaker-mlflow:LogBatch',
  'sagemaker-mlflow:LogInputs',
  'sagemaker-mlflow:LogLoggedModelParams',
  'sagemaker-mlflow:LogMetric',
  'sagemaker-mlflow:LogModel',
  'sagemaker-mlflow:LogOutputs',
  'sagemaker-mlflow:SearchExperiments',
  'sagemaker-mlflow:SearchLoggedModels',
  'sagemaker-mlflow:SearchModelVersions',
  'sagemaker-mlflow:SearchRegisteredModels',
  'sagemaker-mlflow:SearchRuns',
  'sagemaker-mlflow:SetLoggedModelTags',
  'sagemaker-mlflow:SetModelVersionTag',
  'sagemaker-mlflow:SetRegisteredModelAlias',
  'sagemaker-mlflow:SetRegisteredModelTag',
  'sagemaker-mlflow:SetTag',
  'sagemaker-mlflow:UpdateModelVersion',
  'sagemaker-mlflow:UpdateRun',
] as const;

export interface MlflowReferenceProps {
  readonly mlflow: EnvironmentConfig['mlflow'];
  /** Roles that talk to the server (the SageMaker execution role). */
  readonly grantees: readonly IamRole[];
}

export class MlflowReference extends Construct {
  /** MLFLOW_TRACKING_URI: the server ARN (resolved by the sagemaker-mlflow plugin) or the self-hosted URL. */
  readonly trackingUri: string;
  readonly experimentName: string;
  readonly modelName: string;
  readonly scoringAlias: string;
  readonly trainingAlias: string;
  readonly compareAlias: string;

  constructor(scope: Construct, id: string, props: MlflowReferenceProps) {
    super(scope, id);
    const { mlflow } = props;
    this.trackingUri = mlflow.server.type === 'sagemaker' ? mlflow.server.trackingServerArn : mlflow.server.trackingUri;
    this.experimentName = mlflow.experimentName;
    this.modelName = mlflow.modelName;
    this.scoringAlias = mlflow.scoringAlias;
    this.trainingAlias = mlflow.trainingAlias;
    this.compareAlias = mlflow.compareAlias ?? mlflow.trainingAlias;

    const policy = policyDocument(mlflowAccess(mlflow));
    props.grantees.forEach((role, index) => {
      new IamRolePolicy(this, `access-${index}`, { name: 'mlflow-access', role: role.id, policy });
    });
  }

  /** Environment variables every container that talks to MLflow gets (docs/container-interface.md). */
  get environment(): Record<'MLFLOW_TRACKING_URI' | 'MLFLOW_EXPERIMENT_NAME' | 'MODEL_NAME', string> {
    return { MLFLOW_TRACKING_URI: this.trackingUri, MLFLOW_EXPERIMENT_NAME: this.experimentName, MODEL_NAME: this.modelName };
  }
}

function mlflowAccess(mlflow: EnvironmentConfig['mlflow']): PolicyStatement[] {
  // s3://bucket/prefix/ → bucket ARN and object ARNs under the prefix.
  const [bucket, ...rest] = mlflow.artifactStoreUri.slice('s3://'.length).split('/');
  const prefix = rest.join('/');
  const statements: PolicyStatement[] = [
    {
      Sid: 'ListArtifactStore',
      Action: ['s3:GetBucketLocation', 's3:ListBucket'],
      Resource: `arn:aws:s3:::${bucket}`,
    },
    {
      Sid: 'ReadWriteArtifacts',
      Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
      Resource: `arn:aws:s3:::${bucket}/${prefix}*`,
    },
  ];
  if (mlflow.server.type === 'sagemaker') {
    const arn = mlflow.server.trackingServerArn;
    statements.unshift(
      { Sid: 'UseTrackingServer', Action: MLFLOW_ACTIONS, Resource: arn },
      // The sagemaker-mlflow plugin resolves the server's URL from its ARN.
      { Sid: 'DescribeTrackingServer', Action: ['sagemaker:DescribeMlflowTrackingServer'], Resource: arn },
    );
  }
  return statements;
}
