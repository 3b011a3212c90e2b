import { Testing } from 'cdktf';
import { buildApp } from '../../main';
import { loadEnvironments } from '../../environments';
import { resource, synthEnvironment } from './support/synthesized';

describe('the cdktf app', () => {
  it('builds one stack per environment, named exactly after it', () => {
    const stacks = buildApp(Testing.app(), loadEnvironments());
    expect(stacks.map((stack) => stack.node.id)).toEqual(['local', 'prod', 'staging']);
  });
});

describe.each(['staging', 'prod'])('stack %s', (name) => {
  const synth = synthEnvironment(name);
  const { config } = synth;

  it('keeps its state in its own S3 backend with locking', () => {
    const backend = synth.json.terraform.backend.s3;
    expect(backend).toMatchObject({ bucket: config.remoteState.bucket, key: `ml-platform/${name}.tfstate`, region: 'eu-central-1', encrypt: true });
    if (config.remoteState.locking.type === 'dynamodb') expect(backend.dynamodb_table).toBe(config.remoteState.locking.table);
    else expect(backend.use_lockfile).toBe(true);
  });

  it('deploys only into the configured account and region, tagging everything', () => {
    expect(synth.json.provider.aws).toEqual([
      {
        region: 'eu-central-1',
        allowed_account_ids: [config.account.id],
        default_tags: [{ tags: { ...config.tags, Environment: name, ManagedBy: 'cdktf' } }],
      },
    ]);
  });

  it('outputs pipeline names and ARNs, bucket, repository URLs, topics and schedules', () => {
    const outputs = synth.json.output;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'access_log_bucket',
        'alert_topic_arn',
        'alert_topic_name',
        'data_bucket',
        'dead_letter_topic',
        'inference_pipeline_arn',
        'inference_pipeline_name',
        'inference_schedule',
        'prediction_topic',
        'schedule_dead_letter_queue_url',
        'schedule_group',
        'scorer_repository_url',
        'scoring_role_arn',
        'trainer_repository_url',
        'training_pipeline_arn',
        'training_pipeline_name',
        'training_role_arn',
        'training_schedule',
      ].sort(),
    );
    expect(outputs.prediction_topic.value).toBe(`${name}.predictions`);
    expect(outputs.dead_letter_topic.value).toBe(`${name}.predictions.dlq`);
    expect(outputs.training_pipeline_arn.value).toMatch(/^\$\{aws_sagemaker_pipeline\.training-pipeline_[A-F0-9]+\.arn\}$/);
    expect(outputs.scorer_repository_url.value).toMatch(/^\$\{aws_ecr_repository\.image-repositories_scorer_[A-F0-9]+\.repository_url\}$/);
  });

  it('keeps the construct ids that address resources in the remote state', () => {
    // Renaming a construct id replaces the resource on the next deploy: this list changes only on purpose.
    const addresses = Object.entries(synth.json.resource as Record<string, Record<string, unknown>>)
      .flatMap(([type, byName]) => Object.keys(byName).map((id) => `${type}.${id.replace(/_[A-F0-9]{8}$/, '')}`))
      .filter((address) => !address.includes('subscription-'))
      .sort();
    expect(addresses).toEqual(
      [
        'aws_cloudwatch_event_rule.alerting_rule',
        'aws_cloudwatch_event_target.alerting_target',
        'aws_cloudwatch_metric_alarm.alerting_schedule-failure-alarm',
        'aws_ecr_lifecycle_policy.image-repositories_scorer-lifecycle',
        'aws_ecr_lifecycle_policy.image-repositories_trainer-lifecycle',
        'aws_ecr_repository.image-repositories_scorer',
        'aws_ecr_repository.image-repositories_trainer',
        'aws_iam_role.roles_scheduler_role',
        'aws_iam_role.roles_scoring_role',
        'aws_iam_role.roles_training_role',
        'aws_iam_role_policy.roles_scheduler_start-pipelines',
        ...['data-access', 'images', 'kafka', 'logs-and-metrics', 'mlflow-access', 'pipeline-jobs'].map((p) => `aws_iam_role_policy.roles_scoring_${p}`),
        ...['data-access', 'images', 'logs-and-metrics', 'mlflow-access', 'pipeline-jobs'].map((p) => `aws_iam_role_policy.roles_training_${p}`),
        ...(config.vpc ? ['aws_iam_role_policy.roles_scoring_vpc-networking', 'aws_iam_role_policy.roles_training_vpc-networking'] : []),
        'aws_kms_alias.alerting_key_alias',
        'aws_kms_alias.artifact-store_key_alias',
        'aws_kms_alias.nightly-schedules_key_alias',
        'aws_kms_key.alerting_key',
        'aws_kms_key.artifact-store_key',
        'aws_kms_key.nightly-schedules_key',
        'aws_s3_bucket.access-logs_bucket',
        'aws_s3_bucket.artifact-store_bucket',
        'aws_s3_bucket_lifecycle_configuration.access-logs_lifecycle',
        'aws_s3_bucket_lifecycle_configuration.artifact-store_lifecycle',
        'aws_s3_bucket_logging.artifact-store_access-logging',
        'aws_s3_bucket_ownership_controls.access-logs_ownership',
        'aws_s3_bucket_ownership_controls.artifact-store_ownership',
        'aws_s3_bucket_policy.access-logs_policy',
        'aws_s3_bucket_policy.artifact-store_policy',
        'aws_s3_bucket_public_access_block.access-logs_public-access-block',
        'aws_s3_bucket_public_access_block.artifact-store_public-access-block',
        'aws_s3_bucket_server_side_encryption_configuration.access-logs_encryption',
        'aws_s3_bucket_server_side_encryption_configuration.artifact-store_encryption',
        'aws_s3_bucket_versioning.access-logs_versioning',
        'aws_s3_bucket_versioning.artifact-store_versioning',
        'aws_sagemaker_pipeline.inference-pipeline',
        'aws_sagemaker_pipeline.training-pipeline',
        'aws_scheduler_schedule.nightly-schedules_inference',
        'aws_scheduler_schedule.nightly-schedules_training',
        'aws_scheduler_schedule_group.nightly-schedules_group',
        'aws_sns_topic.alerting_topic',
        'aws_sns_topic_policy.alerting_topic-policy',
        'aws_sqs_queue.nightly-schedules_dead-letter-queue',
      ].sort(),
    );
  });
});

describe.each(['staging', 'prod'])('state moves of %s (one role per job kind)', (name) => {
  const synth = synthEnvironment(name);
  const moved = (synth.json.moved ?? []) as Array<{ from: string; to: string }>;
  const target = (address: string) => {
    const [type, prefix] = address.split('.') as [string, string];
    const ids = Object.keys(synth.json.resource[type] ?? {}).filter((id) => id.replace(/_[A-F0-9]{8}$/, '') === prefix);
    if (ids.length !== 1) throw new Error(`expected one ${address}, found ${ids.length}`);
    return `${type}.${ids[0]}`;
  };

  it('moves the execution role, its policies and its MLflow grant to the training role, so they update in place', () => {
    // The "from" addresses are literally those of the single-execution-role layout in deployed state.
    const expected = [
      ['aws_iam_role.roles_execution-role_E8F4C7C8', 'aws_iam_role.roles_training_role'],
      ['aws_iam_role_policy.roles_data-access_87CEA058', 'aws_iam_role_policy.roles_training_data-access'],
      ['aws_iam_role_policy.roles_images_D89B3371', 'aws_iam_role_policy.roles_training_images'],
      ['aws_iam_role_policy.roles_logs-and-metrics_536624F2', 'aws_iam_role_policy.roles_training_logs-and-metrics'],
      ['aws_iam_role_policy.roles_pipeline-jobs_6A59EFD7', 'aws_iam_role_policy.roles_training_pipeline-jobs'],
      ...(synth.config.vpc ? [['aws_iam_role_policy.roles_vpc-networking_7014734E', 'aws_iam_role_policy.roles_training_vpc-networking']] : []),
      ['aws_iam_role_policy.mlflow_access-0_1D205A52', 'aws_iam_role_policy.roles_training_mlflow-access'],
      ['aws_iam_role.roles_scheduler-role_822D8D01', 'aws_iam_role.roles_scheduler_role'],
      ['aws_iam_role_policy.roles_start-pipelines_B1F9CF1F', 'aws_iam_role_policy.roles_scheduler_start-pipelines'],
    ];
    expect(moved).toEqual(expected.map(([from, to]) => ({ from, to: target(to!) })));
  });

  it('keeps the IAM name of the role it moves, so Terraform does not replace it', () => {
    expect(resource(synth, 'aws_iam_role', (r) => r.name === `mlp-${name}-sagemaker-execution`).description).toBe(
      'Training pipeline and its Train, Evaluate and Register jobs',
    );
  });
});
