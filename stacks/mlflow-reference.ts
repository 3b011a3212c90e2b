// The existing MLflow tracking server of this environment: a SageMaker managed server (by ARN) or a
// self-hosted one (by URI). It is never created here. The construct says what access to the server and its
// artifact store each job kind gets (the roles attach it), and provides the tracking settings the pipeline
// steps pass to the containers.
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../environments';
import type { PolicyStatement } from './iam/policy-document';
import { secretReadStatements } from './iam/secret-permissions';

// The MLflow REST operations the trainer uses (log runs and models, register, move aliases), as
// sagemaker-mlflow IAM actions.
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

// What the scorer uses: resolve alias → version → download URI, and read the model's artifacts. Nothing that
// writes: the scoring role can never register a version or move an alias.
export const MLFLOW_READ_ACTIONS = [
  'sagemaker-mlflow:GetDownloadURIForModelVersionArtifacts',
  'sagemaker-mlflow:GetLoggedModel',
  'sagemaker-mlflow:GetModelVersion',
  'sagemaker-mlflow:GetModelVersionByAlias',
  'sagemaker-mlflow:GetRegisteredModel',
  'sagemaker-mlflow:ListArtifacts',
  'sagemaker-mlflow:ListLoggedModelArtifacts',
] as const satisfies readonly (typeof MLFLOW_ACTIONS)[number][];

export type MlflowAccess = 'read-write' | 'read-only';

export interface MlflowReferenceProps {
  readonly mlflow: EnvironmentConfig['mlflow'];
}

export class MlflowReference extends Construct {
  /** MLFLOW_TRACKING_URI: the server ARN (resolved by the sagemaker-mlflow plugin) or the self-hosted URL. */
  readonly trackingUri: string;
  readonly experimentName: string;
  readonly modelName: string;
  readonly scoringAlias: string;
  readonly trainingAlias: string;
  readonly compareAlias: string;
  /** A self-hosted server's credentials secret: its ARN reaches the steps, its value is read by the apps at start. */
  readonly credentialsSecretArn: string | undefined;

  private readonly mlflow: EnvironmentConfig['mlflow'];

  constructor(scope: Construct, id: string, props: MlflowReferenceProps) {
    super(scope, id);
    const { mlflow } = props;
    this.mlflow = mlflow;
    this.trackingUri = mlflow.server.type === 'sagemaker' ? mlflow.server.trackingServerArn : mlflow.server.trackingUri;
    this.experimentName = mlflow.experimentName;
    this.modelName = mlflow.modelName;
    this.scoringAlias = mlflow.scoringAlias;
    this.trainingAlias = mlflow.trainingAlias;
    this.compareAlias = mlflow.compareAlias ?? mlflow.trainingAlias;
    this.credentialsSecretArn = mlflow.server.type === 'self-hosted' ? mlflow.server.credentialsSecretArn : undefined;
  }

  /** The statements a role needs to use the server and its artifact store with this access. */
  accessStatements(access: MlflowAccess): PolicyStatement[] {
    return mlflowAccess(this.mlflow, access);
  }

  /** Environment variables every container that talks to MLflow gets (docs/container-interface.md). */
  get environment(): Record<'MLFLOW_TRACKING_URI' | 'MLFLOW_EXPERIMENT_NAME' | 'MODEL_NAME', string> & { MLFLOW_CREDENTIALS_SECRET_ARN?: string } {
    return {
      MLFLOW_TRACKING_URI: this.trackingUri,
      MLFLOW_EXPERIMENT_NAME: this.experimentName,
      MODEL_NAME: this.modelName,
      ...(this.credentialsSecretArn ? { MLFLOW_CREDENTIALS_SECRET_ARN: this.credentialsSecretArn } : {}),
    };
  }
}

function mlflowAccess(mlflow: EnvironmentConfig['mlflow'], access: MlflowAccess): PolicyStatement[] {
  // s3://bucket/prefix/ → bucket ARN and object ARNs under the prefix.
  const [bucket, ...rest] = mlflow.artifactStoreUri.slice('s3://'.length).split('/');
  const prefix = rest.join('/');
  const statements: PolicyStatement[] = [
    {
      Sid: 'ListArtifactStore',
      Action: ['s3:GetBucketLocation', 's3:ListBucket'],
      Resource: `arn:aws:s3:::${bucket}`,
    },
    access === 'read-write'
      ? { Sid: 'ReadWriteArtifacts', Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], Resource: `arn:aws:s3:::${bucket}/${prefix}*` }
      : { Sid: 'ReadArtifacts', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::${bucket}/${prefix}*` },
  ];
  if (mlflow.server.type === 'self-hosted' && mlflow.server.credentialsSecretArn) {
    const { credentialsSecretArn, credentialsSecretKmsKeyArn } = mlflow.server;
    statements.push(...secretReadStatements('Mlflow', credentialsSecretArn, credentialsSecretKmsKeyArn || undefined));
  }
  if (mlflow.server.type === 'sagemaker') {
    const arn = mlflow.server.trackingServerArn;
    statements.unshift(
      { Sid: 'UseTrackingServer', Action: access === 'read-write' ? MLFLOW_ACTIONS : MLFLOW_READ_ACTIONS, Resource: arn },
      // The sagemaker-mlflow plugin resolves the server's URL from its ARN.
      { Sid: 'DescribeTrackingServer', Action: ['sagemaker:DescribeMlflowTrackingServer'], Resource: arn },
    );
  }
  return statements;
}
