import { policyStatements, reference, resource, resourcesOf, synthConfig, synthEnvironment, variant } from './support/synthesized';

describe.each(['staging', 'prod'])('nightly schedules and alerting of %s', (name) => {
  const synth = synthEnvironment(name);
  const { config } = synth;
  const account = config.account.id;
  const schedulerRoleArn = reference(synth, 'aws_iam_role', (r) => r.name === `mlp-${name}-scheduler`, 'arn');
  const pipelineArn = (kind: string) => reference(synth, 'aws_sagemaker_pipeline', (p) => p.pipeline_name === `mlp-${name}-${kind}`, 'arn');
  const queueArn = reference(synth, 'aws_sqs_queue', () => true, 'arn');
  const bucket = `mlp-${name}-${account}-eu-central-1-data`;

  it('creates one schedule group for the environment, holding both schedules', () => {
    expect(resource(synth, 'aws_scheduler_schedule_group').name).toBe(`mlp-${name}`);
    const groupName = reference(synth, 'aws_scheduler_schedule_group', () => true, 'name');
    expect(Object.values(resourcesOf(synth, 'aws_scheduler_schedule')).map((s) => s.group_name)).toEqual([groupName, groupName]);
  });

  it.each([
    ['training', { InputDataUri: 'input/training/', TestDataUri: 'input/evaluation/' }],
    ['inference', { InputDataUri: 'input/scoring/' }],
  ] as const)('starts the %s pipeline daily through the templated SageMaker target', (kind, uris) => {
    const schedule = resource(synth, 'aws_scheduler_schedule', (s) => s.name === `mlp-${name}-nightly-${kind}`);
    const configured = config.schedules[kind];
    expect(schedule).toMatchObject({
      schedule_expression: `cron(${configured.cron})`,
      schedule_expression_timezone: configured.timezone,
      state: configured.enabled ? 'ENABLED' : 'DISABLED',
      flexible_time_window: { mode: 'OFF' },
    });
    const parameters = Object.fromEntries(Object.entries(uris).map(([key, prefix]) => [key, `s3://${bucket}/${prefix}`]));
    if (kind === 'inference') parameters.ModelAlias = config.mlflow.scoringAlias;
    expect(schedule.target).toEqual({
      arn: pipelineArn(kind),
      role_arn: schedulerRoleArn,
      sagemaker_pipeline_parameters: {
        pipeline_parameter: Object.entries(parameters).map(([parameter, value]) => ({ name: parameter, value })),
      },
      retry_policy: {
        maximum_retry_attempts: config.schedules.retry.maximumRetryAttempts,
        maximum_event_age_in_seconds: config.schedules.retry.maximumEventAgeSeconds,
      },
      dead_letter_config: { arn: queueArn },
    });
  });

  it('dead-letters failed starts to an SQS queue encrypted with a key the scheduler role may use', () => {
    const queue = resource(synth, 'aws_sqs_queue');
    const keyFilter = (k: { description: string }) => k.description.startsWith('Dead-letter queue');
    expect(queue).toMatchObject({ name: `mlp-${name}-schedules-dlq`, kms_master_key_id: reference(synth, 'aws_kms_key', keyFilter, 'arn') });
    const statements = policyStatements(synth, resource(synth, 'aws_kms_key', keyFilter).policy);
    expect(statements[1]).toEqual({
      Effect: 'Allow',
      Sid: 'SchedulerSendsToDeadLetterQueue',
      Principal: { AWS: schedulerRoleArn },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 'sqs.eu-central-1.amazonaws.com' } },
    });
  });

  it('alerts on Failed or Stopped executions of this environment\'s two pipelines only', () => {
    const rule = resource(synth, 'aws_cloudwatch_event_rule');
    expect(rule.name).toBe(`mlp-${name}-pipeline-failed`);
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
      detail: { currentPipelineExecutionStatus: ['Failed', 'Stopped'], pipelineArn: [pipelineArn('training'), pipelineArn('inference')] },
    });
    const topicArn = reference(synth, 'aws_sns_topic', () => true, 'arn');
    expect(resource(synth, 'aws_cloudwatch_event_target')).toMatchObject({ rule: reference(synth, 'aws_cloudwatch_event_rule', () => true, 'name'), arn: topicArn });
  });

  const ruleArn = `arn:aws:events:eu-central-1:${account}:rule/mlp-${name}-pipeline-failed`;
  const alarmArn = `arn:aws:cloudwatch:eu-central-1:${account}:alarm:mlp-${name}-schedule-start-failed`;

  it('publishes alerts to a KMS-encrypted SNS topic that only the alert rule and the DLQ alarm of this account may publish to', () => {
    const keyFilter = (k: { description: string }) => k.description.startsWith('SNS topic');
    const topicArn = reference(synth, 'aws_sns_topic', () => true, 'arn');
    expect(resource(synth, 'aws_sns_topic')).toEqual({ name: `mlp-${name}-pipeline-alerts`, kms_master_key_id: reference(synth, 'aws_kms_key', keyFilter, 'arn') });
    const publisher = (sid: string, service: string, sourceArn: string) => ({
      Effect: 'Allow',
      Sid: sid,
      Principal: { Service: service },
      Action: ['sns:Publish'],
      Resource: topicArn,
      Condition: { ArnEquals: { 'aws:SourceArn': sourceArn }, StringEquals: { 'aws:SourceAccount': account } },
    });
    expect(policyStatements(synth, resource(synth, 'aws_sns_topic_policy').policy)).toEqual([
      publisher('EventBridgePublishesAlerts', 'events.amazonaws.com', ruleArn),
      publisher('CloudWatchPublishesAlarms', 'cloudwatch.amazonaws.com', alarmArn),
    ]);
    // The derived ARNs are the resources' real ones: the rule and alarm carry exactly these names.
    expect(resource(synth, 'aws_cloudwatch_event_rule').name).toBe(ruleArn.split('/')[1]);
    expect(resource(synth, 'aws_cloudwatch_metric_alarm').alarm_name).toBe(alarmArn.split(':alarm:')[1]);
  });

  it('lets the two publishing services use the topic key only for this environment\'s rule and alarm (source conditions)', () => {
    const statements = policyStatements(synth, resource(synth, 'aws_kms_key', (k) => k.description.startsWith('SNS topic')).policy);
    const keyUse = (sid: string, service: string, sourceArn: string) => ({
      Effect: 'Allow',
      Sid: sid,
      Principal: { Service: service },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { ArnEquals: { 'aws:SourceArn': sourceArn }, StringEquals: { 'aws:SourceAccount': account } },
    });
    expect(statements.slice(1)).toEqual([
      keyUse('EventBridgePublishesAlerts', 'events.amazonaws.com', ruleArn),
      keyUse('CloudWatchPublishesAlarms', 'cloudwatch.amazonaws.com', alarmArn),
    ]);
  });

  it('alarms the alert topic as soon as a schedule dead-letters a pipeline start', () => {
    expect(resource(synth, 'aws_cloudwatch_metric_alarm')).toMatchObject({
      alarm_name: `mlp-${name}-schedule-start-failed`,
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: `mlp-${name}-schedules-dlq` },
      statistic: 'Maximum',
      period: 300,
      evaluation_periods: 1,
      comparison_operator: 'GreaterThanThreshold',
      threshold: 0,
      treat_missing_data: 'notBreaching',
      alarm_actions: [reference(synth, 'aws_sns_topic', () => true, 'arn')],
    });
  });

  it('subscribes exactly the configured endpoints', () => {
    const topicArn = reference(synth, 'aws_sns_topic', () => true, 'arn');
    const subscriptions = Object.values(resourcesOf(synth, 'aws_sns_topic_subscription'));
    expect(subscriptions.map((s) => ({ protocol: s.protocol, endpoint: s.endpoint }))).toEqual(config.alerts.subscriptions);
    for (const subscription of subscriptions) expect(subscription.topic_arn).toBe(topicArn);
  });
});

describe('schedule state from config', () => {
  it('disables a schedule that is switched off, keeping the other enabled', () => {
    const synth = synthConfig(variant('staging', (raw) => (raw.schedules.inference.enabled = false)));
    expect(resource(synth, 'aws_scheduler_schedule', (s) => s.name === 'mlp-staging-nightly-inference').state).toBe('DISABLED');
    expect(resource(synth, 'aws_scheduler_schedule', (s) => s.name === 'mlp-staging-nightly-training').state).toBe('ENABLED');
  });
});
