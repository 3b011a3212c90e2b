// Alerting, on one KMS-encrypted SNS topic with the configured subscriptions:
// - an EventBridge rule on executions of this environment's pipelines that end Failed or Stopped;
// - a CloudWatch alarm on the schedules' dead-letter queue: a message there is a night whose pipeline could not
//   even be started (after the schedule's retries), which no execution event would ever report.
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { EnvironmentConfig } from '../environments';
import { policyDocument } from './iam/policy-document';
import { EncryptionKey } from './kms/encryption-key';

export interface AlertingProps {
  readonly accountId: string;
  readonly topicName: string;
  /** Name and ARN of the rule, and of the alarm: the key policy names them (an attribute reference would be a cycle). */
  readonly rule: { readonly name: string; readonly arn: string };
  readonly scheduleFailureAlarm: { readonly name: string; readonly arn: string };
  /** The schedules' dead-letter queue the alarm watches. */
  readonly deadLetterQueueName: string;
  readonly keyAlias: string;
  readonly pipelineArns: readonly string[];
  readonly subscriptions: EnvironmentConfig['alerts']['subscriptions'];
}

export const ALERT_STATUSES = ['Failed', 'Stopped'] as const;

export class Alerting extends Construct {
  readonly topic: SnsTopic;
  readonly rule: CloudwatchEventRule;
  readonly scheduleFailureAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    // A service that publishes to an SSE-KMS topic encrypts with the topic's key: the key policy must let the
    // service use it (a service principal cannot get the key through IAM). Each grant is limited to this
    // environment's own publisher (aws:SourceArn, aws:SourceAccount), the confused-deputy conditions the SNS
    // guide on AWS-service event sources and encrypted topics uses. KMS policies cannot be evaluated in the
    // emulator: docs/infrastructure.md says how to prove delivery after a deploy.
    const publishers = [
      { sid: 'EventBridgePublishesAlerts', service: 'events.amazonaws.com', sourceArn: props.rule.arn },
      { sid: 'CloudWatchPublishesAlarms', service: 'cloudwatch.amazonaws.com', sourceArn: props.scheduleFailureAlarm.arn },
    ];
    const key = new EncryptionKey(this, 'key', {
      alias: props.keyAlias,
      description: `SNS topic ${props.topicName} for pipeline alerts`,
      accountId: props.accountId,
      usageStatements: publishers.map((publisher) => ({
        Sid: publisher.sid,
        Principal: { Service: publisher.service },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: {
          ArnEquals: { 'aws:SourceArn': publisher.sourceArn },
          StringEquals: { 'aws:SourceAccount': props.accountId },
        },
      })),
    });
    this.topic = new SnsTopic(this, 'topic', { name: props.topicName, kmsMasterKeyId: key.arn });

    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: props.rule.name,
      description: 'A nightly pipeline execution failed or was stopped',
      eventPattern: JSON.stringify({
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
        detail: { currentPipelineExecutionStatus: ALERT_STATUSES, pipelineArn: props.pipelineArns },
      }),
    });
    new CloudwatchEventTarget(this, 'target', { rule: this.rule.name, arn: this.topic.arn, targetId: 'alert-topic' });

    this.scheduleFailureAlarm = new CloudwatchMetricAlarm(this, 'schedule-failure-alarm', {
      alarmName: props.scheduleFailureAlarm.name,
      alarmDescription: `A nightly schedule could not start its pipeline: the start is in SQS queue ${props.deadLetterQueueName} (replay or drop it there)`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: props.deadLetterQueueName },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      // SQS stops sending metrics for an idle, empty queue: no data means nothing was dead-lettered.
      treatMissingData: 'notBreaching',
      alarmActions: [this.topic.arn],
    });

    new SnsTopicPolicy(this, 'topic-policy', {
      arn: this.topic.arn,
      policy: policyDocument(
        this,
        'topic-policy-document',
        publishers.map((publisher) => ({
          Sid: publisher.sid,
          Principal: { Service: publisher.service },
          Action: ['sns:Publish'],
          Resource: this.topic.arn,
          Condition: { ArnEquals: { 'aws:SourceArn': publisher.sourceArn }, StringEquals: { 'aws:SourceAccount': props.accountId } },
        })),
      ),
    });
    for (const subscription of props.subscriptions) {
      // Keyed by the endpoint, so removing one subscription does not recreate the others.
      const key = createHash('sha256').update(`${subscription.protocol}:${subscription.endpoint}`).digest('hex').slice(0, 12);
      new SnsTopicSubscription(this, `subscription-${key}`, {
        topicArn: this.topic.arn,
        protocol: subscription.protocol,
        endpoint: subscription.endpoint,
      });
    }
  }
}
