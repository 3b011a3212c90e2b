// The local AWS emulator answers real SDK calls: a SageMaker pipeline can be created and started; EventBridge
// rules deliver to SNS topics (moto's gap, filled by scripts/local/services/moto).
import {
  CreatePipelineCommand,
  DescribePipelineCommand,
  ListPipelineExecutionsCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsConfig, uniqueName } from '../../support/services';

jest.setTimeout(60_000);

describe('the local AWS emulator', () => {
  const sagemaker = new SageMakerClient(awsConfig());
  afterAll(() => sagemaker.destroy());

  it('creates a SageMaker pipeline and starts an execution with parameters', async () => {
    const name = uniqueName('pipeline');
    const definition = {
      Version: '2020-12-01',
      Parameters: [{ Name: 'InputUri', Type: 'String', DefaultValue: 's3://bucket/input/' }],
      Steps: [],
    };
    const created = await sagemaker.send(
      new CreatePipelineCommand({
        PipelineName: name,
        PipelineDefinition: JSON.stringify(definition),
        RoleArn: 'arn:aws:iam::123456789012:role/sagemaker-execution',
        ClientRequestToken: uniqueName('token'),
      }),
    );
    expect(created.PipelineArn).toContain(`pipeline/${name}`);

    const described = await sagemaker.send(new DescribePipelineCommand({ PipelineName: name }));
    expect(JSON.parse(described.PipelineDefinition ?? '{}')).toEqual(definition);

    const started = await sagemaker.send(
      new StartPipelineExecutionCommand({
        PipelineName: name,
        PipelineParameters: [{ Name: 'InputUri', Value: 's3://bucket/tonight/' }],
        ClientRequestToken: uniqueName('token'),
      }),
    );
    expect(started.PipelineExecutionArn).toContain(`pipeline/${name}/execution/`);

    const executions = await sagemaker.send(new ListPipelineExecutionsCommand({ PipelineName: name }));
    expect(executions.PipelineExecutionSummaries?.map((e) => e.PipelineExecutionArn)).toEqual([started.PipelineExecutionArn]);
  });
});

describe('EventBridge rules with an SNS topic target (added to moto by scripts/local/services/moto)', () => {
  const events = new EventBridgeClient(awsConfig());
  const sns = new SNSClient(awsConfig());
  const sqs = new SQSClient(awsConfig());
  afterAll(() => [events, sns, sqs].forEach((client) => client.destroy()));

  async function topicWithQueue(): Promise<{ topicArn: string; queueUrl: string }> {
    const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('alerts') }));
    const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('alerts-inbox') }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn, Attributes: { RawMessageDelivery: 'true' } }));
    return { topicArn: topicArn!, queueUrl: queueUrl! };
  }

  const event = (status: string) => ({
    Source: 'aws.sagemaker',
    DetailType: 'SageMaker Model Building Pipeline Execution Status Change',
    Detail: JSON.stringify({ currentPipelineExecutionStatus: status, pipelineArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/p' }),
  });

  it('delivers only the events the rule pattern matches to the topic and on to its subscribers', async () => {
    const { topicArn, queueUrl } = await topicWithQueue();
    const rule = uniqueName('failed');
    await events.send(
      new PutRuleCommand({
        Name: rule,
        EventPattern: JSON.stringify({ source: ['aws.sagemaker'], detail: { currentPipelineExecutionStatus: ['Failed'] } }),
      }),
    );
    await events.send(new PutTargetsCommand({ Rule: rule, Targets: [{ Id: 'topic', Arn: topicArn }] }));

    await events.send(new PutEventsCommand({ Entries: [event('Succeeded'), event('Failed')] }));

    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }));
    const bodies = (received.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(bodies.map((b) => b.detail.currentPipelineExecutionStatus)).toEqual(['Failed']);
    expect(bodies[0]['detail-type']).toBe('SageMaker Model Building Pipeline Execution Status Change');
  });

  it('sends the rendered input transformer instead of the event when the target has one', async () => {
    const { topicArn, queueUrl } = await topicWithQueue();
    const rule = uniqueName('transformed');
    await events.send(new PutRuleCommand({ Name: rule, EventPattern: JSON.stringify({ source: ['aws.sagemaker'] }) }));
    await events.send(
      new PutTargetsCommand({
        Rule: rule,
        Targets: [
          {
            Id: 'topic',
            Arn: topicArn,
            InputTransformer: { InputPathsMap: { status: '$.detail.currentPipelineExecutionStatus' }, InputTemplate: '"pipeline <status>"' },
          },
        ],
      }),
    );
    await events.send(new PutEventsCommand({ Entries: [event('Stopped')] }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }));
    expect((received.Messages ?? []).map((m) => m.Body)).toEqual(['"pipeline Stopped"']);
  });
});

describe('bucket policies (moto evaluates them on object requests; scripts/local/services/moto fixes conditions)', () => {
  const s3 = new S3Client({ ...awsConfig(), forcePathStyle: true });
  afterAll(() => s3.destroy());

  async function bucketWith(statement: object): Promise<string> {
    const bucket = uniqueName('policy-bucket');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const policy = { Version: '2012-10-17', Statement: [{ Principal: { AWS: '*' }, Action: 's3:*', Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], ...statement }] };
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    return bucket;
  }

  it('does not apply a Deny whose condition does not hold (the TLS-only statement of the stacks)', async () => {
    const bucket = await bucketWith({ Sid: 'DenyInsecureTransport', Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }))).resolves.toBeDefined();
  });

  it('still refuses what an unconditional Deny covers', async () => {
    const bucket = await bucketWith({ Sid: 'DenyAll', Effect: 'Deny' });
    await expect(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });
});
