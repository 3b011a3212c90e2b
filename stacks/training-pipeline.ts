// The nightly training pipeline: Train → Evaluate → QualityGate → Register, or Fail with the gate's reason.
// Entrypoints, paths and variables follow docs/container-interface.md.
import { Construct } from 'constructs';
import type { SagemakerPipeline } from '@cdktf/provider-aws/lib/sagemaker-pipeline';
import type { EnvironmentConfig } from '../environments';
import type { MlflowReference } from './mlflow-reference';
import {
  asString,
  ConditionStep,
  FailStep,
  greaterThanOrEqualTo,
  join,
  jsonGet,
  PipelineDefinitionBuilder,
  ProcessingStep,
  TrainingStep,
  type PipelineDefinitionJson,
  type Value,
} from './pipeline-definition';
import {
  processingInput,
  processingJob,
  processingOutput,
  RETRY_POLICIES,
  RUN_DATE_PARAMETER,
  RUN_ID,
  runOutputUri,
  sagemakerPipeline,
  vpcConfig,
  type JobSettings,
} from './pipeline-settings';

export interface TrainingPipelineProps {
  readonly pipelineName: string;
  readonly job: JobSettings;
  readonly trainerImage: string;
  readonly mlflow: MlflowReference;
  readonly qualityGate: EnvironmentConfig['qualityGate'];
  readonly steps: Pick<EnvironmentConfig['steps'], 'train' | 'evaluate' | 'register'>;
  /** Defaults of the InputDataUri and TestDataUri parameters. */
  readonly trainingInputUri: string;
  readonly evaluationInputUri: string;
  /** Run outputs go under <runsUri>/<execution id>/. */
  readonly runsUri: string;
}

// Step and property file names appear in the definition JSON, in SageMaker's console and in the watch script.
export const TRAINING_STEPS = {
  train: 'Train',
  evaluate: 'Evaluate',
  gate: 'QualityGate',
  register: 'Register',
  fail: 'QualityGateFailed',
  evaluationReport: 'EvaluationReport',
} as const;

export class TrainingPipeline extends Construct {
  readonly pipeline: SagemakerPipeline;
  readonly definition: PipelineDefinitionJson;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.definition = buildTrainingDefinition(props);
    this.pipeline = sagemakerPipeline(this, {
      name: props.pipelineName,
      description: `Nightly training: train, evaluate, quality gate (${props.qualityGate.metric}), register in MLflow`,
      roleArn: props.job.roleArn,
      definition: this.definition,
      maxParallelSteps: 2,
    });
  }
}

export function buildTrainingDefinition(props: TrainingPipelineProps): PipelineDefinitionJson {
  const { job, mlflow, qualityGate } = props;
  const definition = new PipelineDefinitionBuilder(props.pipelineName);
  const inputDataUri = definition.parameter({ name: 'InputDataUri', type: 'String', defaultValue: props.trainingInputUri });
  const testDataUri = definition.parameter({ name: 'TestDataUri', type: 'String', defaultValue: props.evaluationInputUri });
  const runDate = definition.parameter(RUN_DATE_PARAMETER);
  const threshold = definition.parameter({ name: 'QualityThreshold', type: 'Float', defaultValue: qualityGate.threshold });

  // One set of variables for every trainer entrypoint: each reads what it needs.
  const environment: Record<string, Value<string>> = {
    ...mlflow.environment,
    TARGET_ALIAS: mlflow.trainingAlias,
    COMPARE_ALIAS: mlflow.compareAlias,
    QUALITY_METRIC: qualityGate.metric,
    QUALITY_THRESHOLD: asString(threshold),
    RUN_ID,
    RUN_DATE: runDate,
    DATA_URI: inputDataUri,
  };

  const train = new TrainingStep(
    TRAINING_STEPS.train,
    {
      // "train" is the trainer image's executable on PATH (SageMaker's training-container convention).
      AlgorithmSpecification: { TrainingImage: props.trainerImage, TrainingInputMode: 'File', ContainerEntrypoint: ['train'] },
      RoleArn: job.roleArn,
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: inputDataUri, S3DataDistributionType: 'FullyReplicated' } },
        },
      ],
      OutputDataConfig: { S3OutputPath: runOutputUri(props.runsUri, 'model'), KmsKeyId: job.kmsKeyArn },
      ResourceConfig: {
        InstanceType: props.steps.train.instanceType,
        InstanceCount: props.steps.train.instanceCount,
        VolumeSizeInGB: props.steps.train.volumeSizeGb,
        VolumeKmsKeyId: job.kmsKeyArn,
      },
      StoppingCondition: { MaxRuntimeInSeconds: props.steps.train.maxRuntimeSeconds },
      Environment: { AWS_REGION: job.region, ...environment },
      VpcConfig: job.vpc ? vpcConfig(job.vpc) : undefined,
    },
    { description: 'Train the model, log the run and the ONNX model to MLflow', retryPolicies: RETRY_POLICIES },
  );
  const modelArtifacts = train.property('ModelArtifacts.S3ModelArtifacts');

  const evaluate = new ProcessingStep(
    TRAINING_STEPS.evaluate,
    processingJob(job, props.steps.evaluate, {
      AppSpecification: { ImageUri: props.trainerImage, ContainerEntrypoint: ['python', '-m', 'trainer', 'evaluate'] },
      ProcessingInputs: [
        processingInput('model', modelArtifacts, '/opt/ml/processing/model'),
        processingInput('test', testDataUri, '/opt/ml/processing/test'),
      ],
      outputs: [processingOutput('evaluation', runOutputUri(props.runsUri, 'evaluation'), '/opt/ml/processing/evaluation')],
      Environment: environment,
    }),
    {
      description: 'Score the held-out data, compare with the current alias, write evaluation.json',
      retryPolicies: RETRY_POLICIES,
      propertyFiles: [{ name: TRAINING_STEPS.evaluationReport, outputName: 'evaluation', filePath: 'evaluation.json' }],
    },
  );

  const report = evaluate.propertyFile(TRAINING_STEPS.evaluationReport);
  const candidate = jsonGet(report, `metrics.${qualityGate.metric}.value`);
  // Evaluate writes 0 here when there is no model behind the compare alias yet, so the first model can pass.
  const incumbent = jsonGet(report, `champion.metrics.${qualityGate.metric}.value`);

  const register = new ProcessingStep(
    TRAINING_STEPS.register,
    processingJob(job, props.steps.register, {
      AppSpecification: { ImageUri: props.trainerImage, ContainerEntrypoint: ['python', '-m', 'trainer', 'register'] },
      ProcessingInputs: [
        processingInput('model', modelArtifacts, '/opt/ml/processing/model'),
        processingInput('evaluation', evaluate.outputUri('evaluation'), '/opt/ml/processing/evaluation'),
      ],
      outputs: [processingOutput('registration', runOutputUri(props.runsUri, 'registration'), '/opt/ml/processing/output')],
      Environment: environment,
    }),
    { description: `Register the model version in MLflow and move the "${mlflow.trainingAlias}" alias`, retryPolicies: RETRY_POLICIES },
  );

  const fail = new FailStep(
    TRAINING_STEPS.fail,
    join(' ', ['Model rejected by the quality gate:', jsonGet(report, 'gate.reason'), '- no model version was registered.']),
  );

  const gate = new ConditionStep(
    TRAINING_STEPS.gate,
    [greaterThanOrEqualTo(candidate, threshold), greaterThanOrEqualTo(candidate, incumbent)],
    [register],
    [fail],
    { description: `${qualityGate.metric} >= QualityThreshold and >= the "${mlflow.compareAlias}" model's ${qualityGate.metric}` },
  );

  return definition.addSteps(train, evaluate, gate).build();
}
