// The local AWS emulator answers real SDK calls: a SageMaker pipeline can be created and started.
import {
  CreatePipelineCommand,
  DescribePipelineCommand,
  ListPipelineExecutionsCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
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
