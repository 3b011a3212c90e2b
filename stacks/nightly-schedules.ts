// EventBridge Scheduler: one schedule group per environment with the nightly training and inference
// schedules. They use the templated SageMaker target (StartPipelineExecution with parameters), run in the
// configured time zone, retry, and send starts that still fail to a KMS-encrypted SQS dead-letter queue.
import { Construct } from 'constructs';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SchedulerScheduleGroup } from '@cdktf/provider-aws/lib/scheduler-schedule-group';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import type { EnvironmentConfig } from '../environments';
import { EncryptionKey } from './kms/encryption-key';

export interface ScheduledPipeline {
  readonly scheduleName: string;
  readonly pipelineArn: string;
  readonly schedule: EnvironmentConfig['schedules']['training'];
  /** Pipeline parameters the schedule passes; parameters left out use the pipeline's defaults. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly description: string;
}

export interface NightlySchedulesProps {
  readonly accountId: string;
  readonly region: string;
  readonly groupName: string;
  readonly deadLetterQueueName: string;
  readonly keyAlias: string;
  readonly schedulerRoleArn: string;
  readonly retry: EnvironmentConfig['schedules']['retry'];
  readonly training: ScheduledPipeline;
  readonly inference: ScheduledPipeline;
}

export class NightlySchedules extends Construct {
  readonly group: SchedulerScheduleGroup;
  readonly deadLetterQueue: SqsQueue;
  readonly training: SchedulerSchedule;
  readonly inference: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: NightlySchedulesProps) {
    super(scope, id);
    // Scheduler sends to the DLQ with the scheduler role's credentials; an SSE-KMS queue needs the sender to
    // use the key. Naming the role in this key's policy keeps the role's own policy to its two permissions.
    const key = new EncryptionKey(this, 'key', {
      alias: props.keyAlias,
      description: `Dead-letter queue ${props.deadLetterQueueName} of the nightly schedules`,
      accountId: props.accountId,
      usageStatements: [
        {
          Sid: 'SchedulerSendsToDeadLetterQueue',
          Principal: { AWS: props.schedulerRoleArn },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': `sqs.${props.region}.amazonaws.com` } },
        },
      ],
    });
    this.deadLetterQueue = new SqsQueue(this, 'dead-letter-queue', {
      name: props.deadLetterQueueName,
      kmsMasterKeyId: key.arn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: 1209600, // 14 days, the maximum: time to notice and replay a missed night
    });
    this.group = new SchedulerScheduleGroup(this, 'group', { name: props.groupName });
    this.training = this.schedule('training', props.training, props);
    this.inference = this.schedule('inference', props.inference, props);
  }

  private schedule(id: string, scheduled: ScheduledPipeline, props: NightlySchedulesProps): SchedulerSchedule {
    return new SchedulerSchedule(this, id, {
      name: scheduled.scheduleName,
      groupName: this.group.name,
      description: scheduled.description,
      scheduleExpression: `cron(${scheduled.schedule.cron})`,
      scheduleExpressionTimezone: scheduled.schedule.timezone,
      state: scheduled.schedule.enabled ? 'ENABLED' : 'DISABLED',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: scheduled.pipelineArn,
        roleArn: props.schedulerRoleArn,
        sagemakerPipelineParameters: {
          pipelineParameter: Object.entries(scheduled.parameters).map(([name, value]) => ({ name, value })),
        },
        retryPolicy: {
          maximumRetryAttempts: props.retry.maximumRetryAttempts,
          maximumEventAgeInSeconds: props.retry.maximumEventAgeSeconds,
        },
        deadLetterConfig: { arn: this.deadLetterQueue.arn },
      },
    });
  }
}
