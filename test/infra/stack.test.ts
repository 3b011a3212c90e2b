import { Testing } from 'cdktf';
import { buildApp } from '../../main';
import { loadEnvironments } from '../../environments';
import { synthEnvironment } from './support/synthesized';

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
        'trainer_repository_url',
        'training_pipeline_arn',
        'training_pipeline_name',
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
        'aws_ecr_lifecycle_policy.image-repositories_scorer-lifecycle',
        'aws_ecr_lifecycle_policy.image-repositories_trainer-lifecycle',
        'aws_ecr_repository.image-repositories_scorer',
        'aws_ecr_repository.image-repositories_trainer',
        'aws_iam_role.roles_execution-role',
        'aws_iam_role.roles_scheduler-role',
        'aws_iam_role_policy.mlflow_access-0',
        'aws_iam_role_policy.roles_data-access',
        'aws_iam_role_policy.roles_images',
        'aws_iam_role_policy.roles_kafka',
        'aws_iam_role_policy.roles_logs-and-metrics',
        'aws_iam_role_policy.roles_pipeline-jobs',
        'aws_iam_role_policy.roles_start-pipelines',
        ...(config.vpc ? ['aws_iam_role_policy.roles_vpc-networking'] : []),
        'aws_kms_alias.alerting_key_alias',
        'aws_kms_alias.artifact-store_key_alias',
        'aws_kms_alias.nightly-schedules_key_alias',
        'aws_kms_key.alerting_key',
        'aws_kms_key.artifact-store_key',
        'aws_kms_key.nightly-schedules_key',
        'aws_s3_bucket.artifact-store_bucket',
        'aws_s3_bucket_lifecycle_configuration.artifact-store_lifecycle',
        'aws_s3_bucket_ownership_controls.artifact-store_ownership',
        'aws_s3_bucket_policy.artifact-store_policy',
        'aws_s3_bucket_public_access_block.artifact-store_public-access-block',
        'aws_s3_bucket_server_side_encryption_configuration.artifact-store_encryption',
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
