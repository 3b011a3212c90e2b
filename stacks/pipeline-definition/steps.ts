// Typed steps of a SageMaker pipeline. Arguments mirror the CreateTrainingJob / CreateProcessingJob request
// shapes (only the fields this platform uses) with Value<…> wherever an expression is allowed.
import { PropertyFileReference, StepPropertyReference, type Value } from './expressions';

export type RetryableException =
  | 'Step.SERVICE_FAULT'
  | 'Step.THROTTLING'
  | 'SageMaker.JOB_INTERNAL_ERROR'
  | 'SageMaker.CAPACITY_ERROR'
  | 'SageMaker.RESOURCE_LIMIT';

export interface RetryPolicy {
  readonly ExceptionType: readonly RetryableException[];
  readonly IntervalSeconds: number;
  readonly BackoffRate: number;
  readonly MaxAttempts: number;
}

export interface VpcConfig {
  readonly Subnets: readonly string[];
  readonly SecurityGroupIds: readonly string[];
}

export interface S3DataSource {
  readonly S3DataType: 'S3Prefix' | 'ManifestFile';
  readonly S3Uri: Value<string>;
  readonly S3DataDistributionType: 'FullyReplicated' | 'ShardedByS3Key';
}

export interface TrainingJobArguments {
  readonly AlgorithmSpecification: {
    readonly TrainingImage: Value<string>;
    readonly TrainingInputMode: 'File' | 'Pipe' | 'FastFile';
    readonly ContainerEntrypoint?: readonly string[];
  };
  readonly RoleArn: string;
  readonly InputDataConfig: readonly {
    readonly ChannelName: string;
    readonly DataSource: { readonly S3DataSource: S3DataSource };
    readonly ContentType?: string;
  }[];
  readonly OutputDataConfig: { readonly S3OutputPath: Value<string>; readonly KmsKeyId?: string };
  readonly ResourceConfig: {
    readonly InstanceType: Value<string>;
    readonly InstanceCount: Value<number>;
    readonly VolumeSizeInGB: Value<number>;
    readonly VolumeKmsKeyId?: string;
  };
  readonly StoppingCondition: { readonly MaxRuntimeInSeconds: number };
  readonly HyperParameters?: Readonly<Record<string, Value<string>>>;
  readonly Environment?: Readonly<Record<string, Value<string>>>;
  readonly VpcConfig?: VpcConfig;
  readonly EnableNetworkIsolation?: boolean;
}

export interface ProcessingInput {
  readonly InputName: string;
  readonly AppManaged: false;
  readonly S3Input: {
    readonly S3Uri: Value<string>;
    readonly LocalPath: string;
    readonly S3DataType: 'S3Prefix' | 'ManifestFile';
    readonly S3InputMode: 'File' | 'Pipe';
    readonly S3DataDistributionType: 'FullyReplicated' | 'ShardedByS3Key';
    readonly S3CompressionType: 'None' | 'Gzip';
  };
}

export interface ProcessingOutput {
  readonly OutputName: string;
  readonly AppManaged: false;
  readonly S3Output: { readonly S3Uri: Value<string>; readonly LocalPath: string; readonly S3UploadMode: 'EndOfJob' | 'Continuous' };
}

export interface ProcessingJobArguments {
  readonly ProcessingResources: {
    readonly ClusterConfig: {
      readonly InstanceType: Value<string>;
      readonly InstanceCount: Value<number>;
      readonly VolumeSizeInGB: Value<number>;
      readonly VolumeKmsKeyId?: string;
    };
  };
  readonly AppSpecification: { readonly ImageUri: Value<string>; readonly ContainerEntrypoint?: readonly string[] };
  readonly RoleArn: string;
  readonly ProcessingInputs?: readonly ProcessingInput[];
  readonly ProcessingOutputConfig?: { readonly Outputs: readonly ProcessingOutput[]; readonly KmsKeyId?: string };
  readonly StoppingCondition: { readonly MaxRuntimeInSeconds: number };
  readonly Environment?: Readonly<Record<string, Value<string>>>;
  readonly NetworkConfig?: { readonly EnableNetworkIsolation?: boolean; readonly VpcConfig?: VpcConfig };
}

export interface StepOptions {
  readonly description?: string;
  readonly dependsOn?: readonly string[];
  readonly retryPolicies?: readonly RetryPolicy[];
}

abstract class BaseStep {
  abstract readonly type: 'Training' | 'Processing' | 'Condition' | 'Fail';
  constructor(
    readonly name: string,
    readonly options: StepOptions = {},
  ) {}
  /** A property of this step's result, e.g. "ModelArtifacts.S3ModelArtifacts" (Get Steps.<name>.<path>). */
  property(path: string): StepPropertyReference {
    return new StepPropertyReference(this.name, path);
  }
}

export class TrainingStep extends BaseStep {
  readonly type = 'Training';
  constructor(name: string, readonly args: TrainingJobArguments, options?: StepOptions) {
    super(name, options);
  }
}

export interface PropertyFile {
  /** Name used in Std:JsonGet references. */
  readonly name: string;
  /** The processing output the file is written to. */
  readonly outputName: string;
  /** Path of the file inside that output. */
  readonly filePath: string;
}

export class ProcessingStep extends BaseStep {
  readonly type = 'Processing';
  constructor(
    name: string,
    readonly args: ProcessingJobArguments,
    options?: StepOptions & { readonly propertyFiles?: readonly PropertyFile[] },
  ) {
    super(name, options);
    this.propertyFiles = options?.propertyFiles ?? [];
  }
  readonly propertyFiles: readonly PropertyFile[];
  propertyFile(name: string): PropertyFileReference {
    return new PropertyFileReference(this.name, name);
  }
  /** The S3 URI a named output was uploaded to. */
  outputUri(outputName: string): StepPropertyReference {
    return this.property(`ProcessingOutputConfig.Outputs['${outputName}'].S3Output.S3Uri`);
  }
}

export type ConditionType = 'Equals' | 'GreaterThan' | 'GreaterThanOrEqualTo' | 'LessThan' | 'LessThanOrEqualTo';

export interface Condition {
  readonly Type: ConditionType;
  readonly LeftValue: Value;
  readonly RightValue: Value;
}

export const greaterThanOrEqualTo = (left: Value, right: Value): Condition => ({
  Type: 'GreaterThanOrEqualTo',
  LeftValue: left,
  RightValue: right,
});

export class ConditionStep extends BaseStep {
  readonly type = 'Condition';
  constructor(
    name: string,
    /** All must hold (SageMaker ANDs the list). */
    readonly conditions: readonly Condition[],
    readonly ifSteps: readonly PipelineStep[],
    readonly elseSteps: readonly PipelineStep[],
    options?: Omit<StepOptions, 'retryPolicies'>,
  ) {
    super(name, options);
  }
}

export class FailStep extends BaseStep {
  readonly type = 'Fail';
  constructor(name: string, readonly errorMessage: Value<string>, options?: Omit<StepOptions, 'retryPolicies'>) {
    super(name, options);
  }
}

export type PipelineStep = TrainingStep | ProcessingStep | ConditionStep | FailStep;
