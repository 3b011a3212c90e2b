// The nightly batch-inference pipeline: one Score step running the TypeScript scorer, sharded by S3 key
// across instances when more than one is configured. Variables follow docs/container-interface.md.
import { Construct } from 'constructs';
import type { SagemakerPipeline } from '@cdktf/provider-aws/lib/sagemaker-pipeline';
import type { EnvironmentConfig } from '../environments';
import type { MlflowReference } from './mlflow-reference';
import { asString, PipelineDefinitionBuilder, ProcessingStep, type PipelineDefinitionJson } from './pipeline-definition';
import {
  processingInput,
  processingJob,
  processingOutput,
  RETRY_POLICIES,
  RUN_DATE_PARAMETER,
  RUN_ID,
  runOutputUri,
  sagemakerPipeline,
  type JobSettings,
} from './pipeline-settings';

export interface InferencePipelineProps {
  readonly pipelineName: string;
  readonly job: JobSettings;
  readonly scorerImage: string;
  readonly mlflow: MlflowReference;
  readonly kafka: EnvironmentConfig['kafka'];
  readonly score: EnvironmentConfig['steps']['score'];
  readonly maxRejectedRatio: number;
  /** Default of the InputDataUri parameter. */
  readonly inferenceInputUri: string;
  /** The run manifest and rejected rows go under <runsUri>/<execution id>/output. */
  readonly runsUri: string;
}

export const INFERENCE_STEPS = { score: 'Score' } as const;

export class InferencePipeline extends Construct {
  readonly pipeline: SagemakerPipeline;
  readonly definition: PipelineDefinitionJson;

  constructor(scope: Construct, id: string, props: InferencePipelineProps) {
    super(scope, id);
    this.definition = buildInferenceDefinition(props);
    this.pipeline = sagemakerPipeline(this, {
      name: props.pipelineName,
      description: `Nightly batch scoring to Kafka topic ${props.kafka.topic}`,
      roleArn: props.job.roleArn,
      definition: this.definition,
      maxParallelSteps: 1,
    });
  }
}

export function buildInferenceDefinition(props: InferencePipelineProps): PipelineDefinitionJson {
  const definition = new PipelineDefinitionBuilder(props.pipelineName);
  const inputDataUri = definition.parameter({ name: 'InputDataUri', type: 'String', defaultValue: props.inferenceInputUri });
  const modelAlias = definition.parameter({ name: 'ModelAlias', type: 'String', defaultValue: props.mlflow.scoringAlias });
  const runDate = definition.parameter(RUN_DATE_PARAMETER);
  // A night with fewer rows is almost always an upstream failure; 0 allows an empty batch (the scorer's MIN_ROWS).
  const minRows = definition.parameter({ name: 'MinRows', type: 'Integer', defaultValue: 1 });

  // Each instance gets a disjoint subset of the input files; one instance simply gets them all.
  const distribution = props.score.instanceCount > 1 ? 'ShardedByS3Key' : 'FullyReplicated';
  const score = new ProcessingStep(
    INFERENCE_STEPS.score,
    processingJob(props.job, props.score, {
      AppSpecification: { ImageUri: props.scorerImage, ContainerEntrypoint: ['node', 'dist/main.js'] },
      ProcessingInputs: [
        processingInput('input', inputDataUri, '/opt/ml/processing/input/data', distribution),
        // The brokers' CA, for brokers a public CA did not sign: a file in every instance, named by KAFKA_CA_FILE.
        ...(props.kafka.caCertificateUri ? [processingInput(KAFKA_CA_INPUT.name, props.kafka.caCertificateUri, KAFKA_CA_INPUT.localPath)] : []),
      ],
      outputs: [processingOutput('output', runOutputUri(props.runsUri, 'output'), '/opt/ml/processing/output')],
      Environment: {
        INPUT_PATH: '/opt/ml/processing/input/data',
        OUTPUT_PATH: '/opt/ml/processing/output',
        ...props.mlflow.environment,
        MODEL_ALIAS: modelAlias,
        ...kafkaEnvironment(props.kafka),
        RUN_ID,
        RUN_DATE: runDate,
        MAX_REJECTED_RATIO: String(props.maxRejectedRatio),
        MIN_ROWS: asString(minRows),
      },
    }),
    { description: 'Score the night\'s batch and publish one message per prediction to Kafka', retryPolicies: RETRY_POLICIES },
  );
  return definition.addSteps(score).build();
}

/** Where the Score step's instances find the brokers' CA (kafka.caCertificateUri): a processing input of its own. */
export const KAFKA_CA_INPUT = { name: 'kafka-ca', localPath: '/opt/ml/processing/input/kafka-ca' } as const;

/** The scorer's Kafka variables. Only the secret's ARN is passed: the scorer reads the credentials itself. */
export function kafkaEnvironment(kafka: EnvironmentConfig['kafka']): Record<string, string> {
  const auth = kafka.auth;
  return {
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_TOPIC: kafka.topic,
    KAFKA_DLQ_TOPIC: kafka.deadLetterTopic,
    KAFKA_TLS: String(kafka.tls),
    // An S3Prefix input of one object's key downloads that object into LocalPath under its own file name.
    ...(kafka.caCertificateUri ? { KAFKA_CA_FILE: `${KAFKA_CA_INPUT.localPath}/${kafka.caCertificateUri.split('/').pop()}` } : {}),
    KAFKA_AUTH: auth.type === 'sasl-scram' ? auth.mechanism : auth.type,
    ...(auth.type === 'sasl-scram' ? { KAFKA_SASL_SECRET_ARN: auth.secretArn } : {}),
  };
}
