// The names of everything an environment stack creates, defined once: the stacks name their resources with
// these, and operator scripts (start-pipeline, watch, build-push-images) find the same resources with them.
// Pure functions of the configuration, so they work without synthesizing or calling AWS.
import type { EnvironmentConfig } from '../schema';

export interface PlatformNames {
  /** S3 bucket for input data, run outputs and model artifacts (bucket names are global: account and region included). */
  readonly dataBucket: string;
  readonly trainerRepository: string;
  readonly scorerRepository: string;
  readonly trainingPipeline: string;
  readonly inferencePipeline: string;
  readonly scheduleGroup: string;
  readonly trainingSchedule: string;
  readonly inferenceSchedule: string;
  readonly scheduleDeadLetterQueue: string;
  readonly alertTopic: string;
  readonly alertRule: string;
  /** CloudWatch alarm on the schedules' dead-letter queue: a nightly run could not even be started. */
  readonly scheduleFailureAlarm: string;
  /**
   * Role of the training pipeline and its Train, Evaluate and Register jobs. It keeps the name (and the state
   * address) of the single execution role it was split from, so existing deployments update it in place: an IAM
   * role cannot be renamed, and replacing it would break any job running during the deploy.
   */
  readonly trainingRole: string;
  /** Role of the inference pipeline and its Score job. */
  readonly scoringRole: string;
  readonly schedulerRole: string;
  /** S3 server access logs of the data bucket (SSE-S3: S3 cannot deliver access logs to an SSE-KMS bucket). */
  readonly accessLogBucket: string;
  readonly artifactKeyAlias: string;
  readonly scheduleKeyAlias: string;
  readonly alertKeyAlias: string;
  /** S3 URIs the pipelines read by default and write run outputs under. */
  readonly trainingInputUri: string;
  readonly evaluationInputUri: string;
  readonly inferenceInputUri: string;
  readonly trainingRunsUri: string;
  readonly inferenceRunsUri: string;
  /** Where `npm run model:promote` writes one JSON record per promotion into this environment (the target). */
  readonly promotionRecordsUri: string;
  /** Key prefixes (ending "/") of the two pipelines' run outputs, for policies. */
  readonly trainingRunsPrefix: string;
  readonly inferenceRunsPrefix: string;
}

type NamingConfig = Pick<EnvironmentConfig, 'namePrefix' | 'account' | 'data'>;

export function platformNames(config: NamingConfig): PlatformNames {
  const prefix = config.namePrefix;
  const bucketPrefix = `${prefix}-${config.account.id}-${config.account.region}`;
  const dataBucket = `${bucketPrefix}-data`;
  const s3 = (keyPrefix: string) => `s3://${dataBucket}/${keyPrefix}`;
  return {
    dataBucket,
    trainerRepository: `${prefix}/trainer`,
    scorerRepository: `${prefix}/scorer`,
    trainingPipeline: `${prefix}-training`,
    inferencePipeline: `${prefix}-inference`,
    scheduleGroup: prefix,
    trainingSchedule: `${prefix}-nightly-training`,
    inferenceSchedule: `${prefix}-nightly-inference`,
    scheduleDeadLetterQueue: `${prefix}-schedules-dlq`,
    alertTopic: `${prefix}-pipeline-alerts`,
    alertRule: `${prefix}-pipeline-failed`,
    scheduleFailureAlarm: `${prefix}-schedule-start-failed`,
    trainingRole: `${prefix}-sagemaker-execution`,
    scoringRole: `${prefix}-scoring`,
    schedulerRole: `${prefix}-scheduler`,
    accessLogBucket: `${bucketPrefix}-logs`,
    artifactKeyAlias: `alias/${prefix}-artifacts`,
    scheduleKeyAlias: `alias/${prefix}-schedules`,
    alertKeyAlias: `alias/${prefix}-alerts`,
    trainingInputUri: s3(config.data.trainingInputPrefix),
    evaluationInputUri: s3(config.data.evaluationInputPrefix),
    inferenceInputUri: s3(config.data.inferenceInputPrefix),
    // No trailing slash: the pipelines append "/<execution id>/<output>".
    trainingRunsUri: s3(`${config.data.runOutputPrefix}training`),
    inferenceRunsUri: s3(`${config.data.runOutputPrefix}inference`),
    promotionRecordsUri: s3('promotions/'),
    trainingRunsPrefix: `${config.data.runOutputPrefix}training/`,
    inferenceRunsPrefix: `${config.data.runOutputPrefix}inference/`,
  };
}

export interface PlatformArns {
  readonly dataBucket: string;
  readonly trainerRepository: string;
  readonly scorerRepository: string;
  readonly trainingPipeline: string;
  readonly inferencePipeline: string;
  readonly trainingRole: string;
  readonly scoringRole: string;
  readonly schedulerRole: string;
  readonly scheduleDeadLetterQueue: string;
  readonly alertRule: string;
  readonly scheduleFailureAlarm: string;
}

/**
 * ARNs derived from the names (commercial partition "aws"). IAM policies use these instead of resource
 * attributes so that policies are exact at synth time; SageMaker lowercases pipeline names in ARNs.
 */
export function platformArns(config: NamingConfig): PlatformArns {
  const names = platformNames(config);
  const { id, region } = config.account;
  return {
    dataBucket: `arn:aws:s3:::${names.dataBucket}`,
    trainerRepository: `arn:aws:ecr:${region}:${id}:repository/${names.trainerRepository}`,
    scorerRepository: `arn:aws:ecr:${region}:${id}:repository/${names.scorerRepository}`,
    trainingPipeline: `arn:aws:sagemaker:${region}:${id}:pipeline/${names.trainingPipeline.toLowerCase()}`,
    inferencePipeline: `arn:aws:sagemaker:${region}:${id}:pipeline/${names.inferencePipeline.toLowerCase()}`,
    trainingRole: `arn:aws:iam::${id}:role/${names.trainingRole}`,
    scoringRole: `arn:aws:iam::${id}:role/${names.scoringRole}`,
    schedulerRole: `arn:aws:iam::${id}:role/${names.schedulerRole}`,
    scheduleDeadLetterQueue: `arn:aws:sqs:${region}:${id}:${names.scheduleDeadLetterQueue}`,
    alertRule: `arn:aws:events:${region}:${id}:rule/${names.alertRule}`,
    scheduleFailureAlarm: `arn:aws:cloudwatch:${region}:${id}:alarm:${names.scheduleFailureAlarm}`,
  };
}

/** The full image reference the pipelines run, e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/mlp-staging/scorer:1.4.0. */
export function imageUri(config: NamingConfig & Pick<EnvironmentConfig, 'images'>, image: 'trainer' | 'scorer'): string {
  const names = platformNames(config);
  const repository = image === 'trainer' ? names.trainerRepository : names.scorerRepository;
  return `${config.account.id}.dkr.ecr.${config.account.region}.amazonaws.com/${repository}:${config.images[image]}`;
}
