// Pieces both pipelines build their job steps from, so training and inference cannot drift apart:
// retry policies, instance settings, networking, run ids and the run-output layout.
import { SagemakerPipeline } from '@cdktf/provider-aws/lib/sagemaker-pipeline';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../environments';
import { execution, join, type PipelineDefinitionJson, type ProcessingInput, type ProcessingJobArguments, type ProcessingOutput, type RetryPolicy } from './pipeline-definition';

export type StepConfig = EnvironmentConfig['steps']['train'];
export type VpcSettings = EnvironmentConfig['vpc'];

/** Settings every job of an environment shares. */
export interface JobSettings {
  readonly roleArn: string;
  /** Encrypts job volumes and the outputs the jobs upload. */
  readonly kmsKeyArn: string;
  readonly region: string;
  readonly vpc?: VpcSettings;
}

/**
 * Transient failures only: SageMaker API faults and throttling, and job failures SageMaker itself marks
 * as internal or capacity problems. A container that exits non-zero (bad data, failed gate) is not retried.
 */
export const RETRY_POLICIES: readonly RetryPolicy[] = [
  { ExceptionType: ['Step.SERVICE_FAULT', 'Step.THROTTLING'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 5 },
  {
    ExceptionType: ['SageMaker.JOB_INTERNAL_ERROR', 'SageMaker.CAPACITY_ERROR', 'SageMaker.RESOURCE_LIMIT'],
    IntervalSeconds: 60,
    BackoffRate: 2,
    MaxAttempts: 3,
  },
];

/** The run id every step records: the pipeline execution id, the same for all steps of one run. */
export const RUN_ID = execution('PipelineExecutionId');

/** s3://<bucket>/<runs prefix>/<pipeline>/<execution id>/<output>: one folder per run, expired by the bucket lifecycle. */
export const runOutputUri = (runsUri: string, output: string) => join('/', [runsUri, RUN_ID, output]);

export function processingJob(
  settings: JobSettings,
  step: StepConfig,
  job: Pick<ProcessingJobArguments, 'AppSpecification' | 'ProcessingInputs' | 'Environment'> & { readonly outputs: readonly ProcessingOutput[] },
): ProcessingJobArguments {
  return {
    ProcessingResources: {
      ClusterConfig: {
        InstanceType: step.instanceType,
        InstanceCount: step.instanceCount,
        VolumeSizeInGB: step.volumeSizeGb,
        VolumeKmsKeyId: settings.kmsKeyArn,
      },
    },
    AppSpecification: job.AppSpecification,
    RoleArn: settings.roleArn,
    ProcessingInputs: job.ProcessingInputs,
    ProcessingOutputConfig: { Outputs: job.outputs, KmsKeyId: settings.kmsKeyArn },
    StoppingCondition: { MaxRuntimeInSeconds: step.maxRuntimeSeconds },
    Environment: { AWS_REGION: settings.region, ...job.Environment },
    NetworkConfig: settings.vpc ? { VpcConfig: vpcConfig(settings.vpc) } : undefined,
  };
}

export function vpcConfig(vpc: NonNullable<VpcSettings>) {
  return { Subnets: vpc.subnetIds, SecurityGroupIds: vpc.securityGroupIds };
}

export function processingInput(
  name: string,
  s3Uri: ProcessingInput['S3Input']['S3Uri'],
  localPath: string,
  distribution: ProcessingInput['S3Input']['S3DataDistributionType'] = 'FullyReplicated',
): ProcessingInput {
  return {
    InputName: name,
    AppManaged: false,
    S3Input: {
      S3Uri: s3Uri,
      LocalPath: localPath,
      S3DataType: 'S3Prefix',
      S3InputMode: 'File',
      S3DataDistributionType: distribution,
      S3CompressionType: 'None',
    },
  };
}

export function processingOutput(name: string, s3Uri: ProcessingOutput['S3Output']['S3Uri'], localPath: string): ProcessingOutput {
  return { OutputName: name, AppManaged: false, S3Output: { S3Uri: s3Uri, LocalPath: localPath, S3UploadMode: 'EndOfJob' } };
}

/**
 * The RunDate parameter. SageMaker parameter defaults must be literals, so "the date this execution started"
 * is spelled as the empty default: the steps pass RUN_DATE through unchanged and the containers treat an
 * empty RUN_DATE as unset, i.e. the current UTC date when they start (docs/container-interface.md), which
 * is the execution's start date for a nightly run. The schedules leave it empty; a rerun of an earlier night
 * passes RunDate=YYYY-MM-DD explicitly.
 */
export const RUN_DATE_PARAMETER = { name: 'RunDate', type: 'String', defaultValue: '' } as const;

export interface PipelineResourceProps {
  readonly name: string;
  readonly description: string;
  readonly roleArn: string;
  readonly definition: PipelineDefinitionJson;
  readonly maxParallelSteps: number;
}

/** The aws_sagemaker_pipeline of a pipeline construct, its definition serialized inline (id 'pipeline': a state address). */
export function sagemakerPipeline(scope: Construct, props: PipelineResourceProps): SagemakerPipeline {
  return new SagemakerPipeline(scope, 'pipeline', {
    pipelineName: props.name,
    pipelineDisplayName: props.name,
    pipelineDescription: props.description,
    roleArn: props.roleArn,
    pipelineDefinition: JSON.stringify(props.definition),
    parallelismConfiguration: { maxParallelExecutionSteps: props.maxParallelSteps },
  });
}
