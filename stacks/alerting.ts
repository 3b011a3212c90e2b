// Alerting: an EventBridge rule on SageMaker pipeline executions of this environment's pipelines that end
// Failed or Stopped, delivered to a KMS-encrypted SNS topic with the configured subscriptions.
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
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
  readonly ruleName: string;
  readonly keyAlias: string;
  readonly pipelineArns: readonly string[];
  readonly subscriptions: EnvironmentConfig['alerts']['subscriptions'];
}

export const ALERT_STATUSES = ['Failed', 'Stopped'] as const;

export class Alerting extends Construct {
  readonly topic: SnsTopic;
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    // EventBridge encrypts what it publishes to an SSE-KMS topic with the topic's key: the key policy must
    // let the events service use it (a service principal cannot get the key through IAM). No source condition:
    // the topic policy already admits only this environment's rule, and EventBridge does not document
    // aws:SourceAccount on its KMS calls, so a condition could silently drop every alert.
    const key = new EncryptionKey(this, 'key', {
      alias: props.keyAlias,
      description: `SNS topic ${props.topicName} for pipeline alerts`,
      accountId: props.accountId,
      usageStatements: [
        {
          Sid: 'EventBridgePublishesAlerts',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
        },
      ],
    });
    this.topic = new SnsTopic(this, 'topic', { name: props.topicName, kmsMasterKeyId: key.arn });

    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: props.ruleName,
      description: 'A nightly pipeline execution failed or was stopped',
      eventPattern: JSON.stringify({
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'],
        detail: { currentPipelineExecutionStatus: ALERT_STATUSES, pipelineArn: props.pipelineArns },
      }),
    });
    new CloudwatchEventTarget(this, 'target', { rule: this.rule.name, arn: this.topic.arn, targetId: 'alert-topic' });
    new SnsTopicPolicy(this, 'topic-policy', {
      arn: this.topic.arn,
      policy: policyDocument([
        {
          Sid: 'AlertRulePublishes',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['sns:Publish'],
          Resource: this.topic.arn,
          Condition: { ArnEquals: { 'aws:SourceArn': this.rule.arn } },
        },
      ]),
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
