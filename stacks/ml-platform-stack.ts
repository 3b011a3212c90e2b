// One environment's stack: wires the constructs together, nothing else. The stack is named after the
// environment (staging, prod) and keeps its state in that environment's own S3 backend.
//
// Construct ids are a contract: they become Terraform resource addresses in the remote state. Renaming one
// makes Terraform destroy the resource and create a new one (a new bucket, a new pipeline), so ids change
// only together with a `terraform state mv` (or a moved block) and a note in the changelog.
import { S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { imageUri, platformArns, platformNames, type EnvironmentConfig } from '../environments';
import { AccessLogBucket } from './access-log-bucket';
import { Alerting } from './alerting';
import { ArtifactStore } from './artifact-store';
import { ImageRepositories } from './image-repositories';
import { InferencePipeline } from './inference-pipeline';
import { MlflowReference } from './mlflow-reference';
import { NightlySchedules } from './nightly-schedules';
import type { JobSettings } from './pipeline-settings';
import { Roles } from './roles';
import { TrainingPipeline } from './training-pipeline';

export interface MlPlatformStackProps {
  readonly config: EnvironmentConfig;
}

export class MlPlatformStack extends TerraformStack {
  readonly accessLogs: AccessLogBucket;
  readonly artifactStore: ArtifactStore;
  readonly imageRepositories: ImageRepositories;
  readonly roles: Roles;
  readonly mlflow: MlflowReference;
  readonly trainingPipeline: TrainingPipeline;
  readonly inferencePipeline: InferencePipeline;
  readonly schedules: NightlySchedules;
  readonly alerting: Alerting;

  constructor(scope: Construct, props: MlPlatformStackProps) {
    const { config } = props;
    super(scope, config.name);
    const names = platformNames(config);
    const arns = platformArns(config);
    const { id: accountId, region } = config.account;

    new AwsProvider(this, 'aws', {
      region,
      allowedAccountIds: [accountId],
      defaultTags: [{ tags: { ...config.tags, Environment: config.name, ManagedBy: 'cdktf' } }],
    });
    const backend = new S3Backend(this, {
      bucket: config.remoteState.bucket,
      key: config.remoteState.key,
      region: config.remoteState.region,
      encrypt: true,
      dynamodbTable: config.remoteState.locking.type === 'dynamodb' ? config.remoteState.locking.table : undefined,
    });
    // S3-native locking (Terraform >= 1.10); cdktf 0.21's S3Backend has no typed option for it yet.
    if (config.remoteState.locking.type === 's3-lockfile') backend.addOverride('use_lockfile', true);

    this.accessLogs = new AccessLogBucket(this, 'access-logs', {
      accountId,
      bucketName: names.accessLogBucket,
      sourceBucketNames: [names.dataBucket],
      retentionDays: config.data.accessLogRetentionDays,
    });
    this.artifactStore = new ArtifactStore(this, 'artifact-store', {
      accountId,
      bucketName: names.dataBucket,
      keyAlias: names.artifactKeyAlias,
      runOutputPrefix: config.data.runOutputPrefix,
      runOutputRetentionDays: config.data.runOutputRetentionDays,
      accessLogs: this.accessLogs,
    });
    const kmsKeyArn = this.artifactStore.encryptionKey.arn;

    this.imageRepositories = new ImageRepositories(this, 'image-repositories', {
      trainerRepositoryName: names.trainerRepository,
      scorerRepositoryName: names.scorerRepository,
      kmsKeyArn,
      keepTaggedImages: config.images.keepTaggedImages,
      untaggedExpiryDays: config.images.untaggedExpiryDays,
    });

    this.mlflow = new MlflowReference(this, 'mlflow', { mlflow: config.mlflow });

    this.roles = new Roles(this, 'roles', {
      accountId,
      region,
      names,
      arns,
      artifactKeyArn: kmsKeyArn,
      mlflow: this.mlflow,
      training: {
        readPrefixes: [config.data.trainingInputPrefix, config.data.evaluationInputPrefix, names.trainingRunsPrefix],
        writePrefix: names.trainingRunsPrefix,
      },
      scoring: { readPrefixes: [config.data.inferenceInputPrefix], writePrefix: names.inferenceRunsPrefix },
      kafka: config.kafka,
      vpc: config.vpc,
    });

    // Each pipeline and its steps run as the role of their job kind.
    const job = (roleArn: string): JobSettings => ({ roleArn, kmsKeyArn, region, vpc: config.vpc });
    this.trainingPipeline = new TrainingPipeline(this, 'training-pipeline', {
      pipelineName: names.trainingPipeline,
      job: job(this.roles.training.arn),
      trainerImage: imageUri(config, 'trainer'),
      mlflow: this.mlflow,
      qualityGate: config.qualityGate,
      steps: config.steps,
      trainingInputUri: names.trainingInputUri,
      evaluationInputUri: names.evaluationInputUri,
      runsUri: names.trainingRunsUri,
    });
    this.inferencePipeline = new InferencePipeline(this, 'inference-pipeline', {
      pipelineName: names.inferencePipeline,
      job: job(this.roles.scoring.arn),
      scorerImage: imageUri(config, 'scorer'),
      mlflow: this.mlflow,
      kafka: config.kafka,
      score: config.steps.score,
      maxRejectedRatio: config.scoring.maxRejectedRatio,
      inferenceInputUri: names.inferenceInputUri,
      runsUri: names.inferenceRunsUri,
    });

    this.schedules = new NightlySchedules(this, 'nightly-schedules', {
      accountId,
      region,
      groupName: names.scheduleGroup,
      deadLetterQueueName: names.scheduleDeadLetterQueue,
      keyAlias: names.scheduleKeyAlias,
      schedulerRoleArn: this.roles.scheduler.arn,
      retry: config.schedules.retry,
      training: {
        scheduleName: names.trainingSchedule,
        pipelineArn: this.trainingPipeline.pipeline.arn,
        schedule: config.schedules.training,
        parameters: { InputDataUri: names.trainingInputUri, TestDataUri: names.evaluationInputUri },
        description: `Nightly training of ${config.mlflow.modelName}`,
      },
      inference: {
        scheduleName: names.inferenceSchedule,
        pipelineArn: this.inferencePipeline.pipeline.arn,
        schedule: config.schedules.inference,
        parameters: { InputDataUri: names.inferenceInputUri, ModelAlias: config.mlflow.scoringAlias },
        description: `Nightly scoring with ${config.mlflow.modelName}@${config.mlflow.scoringAlias} to ${config.kafka.topic}`,
      },
    });

    this.alerting = new Alerting(this, 'alerting', {
      accountId,
      topicName: names.alertTopic,
      rule: { name: names.alertRule, arn: arns.alertRule },
      scheduleFailureAlarm: { name: names.scheduleFailureAlarm, arn: arns.scheduleFailureAlarm },
      deadLetterQueueName: names.scheduleDeadLetterQueue,
      keyAlias: names.alertKeyAlias,
      pipelineArns: [this.trainingPipeline.pipeline.arn, this.inferencePipeline.pipeline.arn],
      subscriptions: config.alerts.subscriptions,
    });

    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output('training_pipeline_name', this.trainingPipeline.pipeline.pipelineName, 'Training pipeline name');
    output('training_pipeline_arn', this.trainingPipeline.pipeline.arn, 'Training pipeline ARN');
    output('inference_pipeline_name', this.inferencePipeline.pipeline.pipelineName, 'Batch-inference pipeline name');
    output('inference_pipeline_arn', this.inferencePipeline.pipeline.arn, 'Batch-inference pipeline ARN');
    output('data_bucket', this.artifactStore.bucket.bucket, 'S3 bucket for input data, models and run outputs');
    output('access_log_bucket', this.accessLogs.bucket.bucket, 'S3 bucket with the data bucket\'s server access logs');
    output('trainer_repository_url', this.imageRepositories.trainer.repositoryUrl, 'ECR repository of the trainer image');
    output('scorer_repository_url', this.imageRepositories.scorer.repositoryUrl, 'ECR repository of the scorer image');
    output('prediction_topic', config.kafka.topic, 'Kafka topic the predictions are published to');
    output('dead_letter_topic', config.kafka.deadLetterTopic, 'Kafka topic for rejected rows');
    output('alert_topic_name', this.alerting.topic.name, 'SNS topic for failed or stopped pipeline executions');
    output('alert_topic_arn', this.alerting.topic.arn, 'ARN of the alert topic');
    output('schedule_group', this.schedules.group.name, 'EventBridge Scheduler group');
    output('training_schedule', this.schedules.training.name, 'Nightly training schedule');
    output('inference_schedule', this.schedules.inference.name, 'Nightly inference schedule');
    output('schedule_dead_letter_queue_url', this.schedules.deadLetterQueue.url, 'SQS queue for pipeline starts that failed');
    output('training_role_arn', this.roles.training.arn, 'Role of the training pipeline and its jobs');
    output('scoring_role_arn', this.roles.scoring.arn, 'Role of the inference pipeline and its Score job');
  }
}
