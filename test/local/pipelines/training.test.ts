import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeObjectStore } from './support/fake-object-store';
import { definition, harness, IMAGE, KMS_KEY, ROLE, shellProcessing } from './support/harness';

jest.setTimeout(60_000);
const h = harness();

const trainingStep = (name: string, more: Record<string, unknown> = {}, algorithm: Record<string, unknown> = {}) => ({
  Name: name,
  Type: 'Training',
  Arguments: {
    AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File', ...algorithm },
    RoleArn: ROLE,
    InputDataConfig: [
      { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/input/train/', S3DataDistributionType: 'FullyReplicated' } }, ContentType: 'text/csv' },
      { ChannelName: 'extra', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/input/extra', S3DataDistributionType: 'FullyReplicated' } } },
    ],
    OutputDataConfig: { S3OutputPath: { 'Std:Join': { On: '/', Values: ['s3://bucket/runs', { Get: 'Execution.PipelineExecutionId' }, 'model'] } }, KmsKeyId: KMS_KEY },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 },
    StoppingCondition: { MaxRuntimeInSeconds: 60 },
    HyperParameters: { epochs: '3' },
    ...more,
  },
});

const inputs = () => {
  const store = new FakeObjectStore();
  store.put('s3://bucket/input/train/part-0.csv', 'a,b\n1,2\n');
  store.put('s3://bucket/input/train/nested/part-1.csv', 'a,b\n3,4\n');
  store.put('s3://bucket/input/extra/notes.txt', 'extra');
  return store;
};

describe('Training steps', () => {
  it('downloads channels, writes the config files, runs `train`, and uploads /opt/ml/model as model.tar.gz with the KMS key', async () => {
    const store = inputs();
    const show = 'for f in hyperparameters inputdataconfig resourceconfig; do echo "$f=$(tr -d " \\n" < /opt/ml/input/config/$f.json)"; done; echo "job=$TRAINING_JOB_NAME arn=$TRAINING_JOB_ARN"';
    const result = await h.run(
      definition([
        trainingStep('Train', { Environment: { SHOW: show } }, {
          ContainerEntrypoint: ['sh', '-c', 'eval "$SHOW"; exec train'],
          MetricDefinitions: [{ Name: 'validation:auc', Regex: 'validation:auc=([0-9.]+)' }],
        }),
        shellProcessing('Next', 'echo "model=$MODEL auc=$AUC"', {
          Environment: { MODEL: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, AUC: { 'Std:Join': { On: '', Values: [{ Get: "Steps.Train.FinalMetricDataList['validation:auc'].Value" }] } } },
        }),
      ]),
      { store },
    );
    expect(result.execution.PipelineExecutionStatus).toBe('Succeeded');
    const train = result.step('Train');
    const job = train.Local.Attempts[0]!.Job!;
    const id = result.execution.Local.ExecutionId;
    expect(train.Metadata).toEqual({ TrainingJob: { Arn: job.Arn } });
    expect(result.lines).toEqual(
      expect.arrayContaining([
        '[Train] hyperparameters={"epochs":"3"}',
        '[Train] inputdataconfig={"train":{"ContentType":"text/csv","TrainingInputMode":"File","S3DistributionType":"FullyReplicated","RecordWrapperType":"None"},"extra":{"TrainingInputMode":"File","S3DistributionType":"FullyReplicated","RecordWrapperType":"None"}}',
        '[Train] resourceconfig={"current_host":"algo-1","current_instance_type":"ml.m5.large","current_group_name":"homogeneousCluster","hosts":["algo-1"],"instance_groups":[{"instance_group_name":"homogeneousCluster","instance_type":"ml.m5.large","hosts":["algo-1"]}],"network_interface_name":"eth0"}',
        `[Train] job=${job.Name} arn=${job.Arn}`,
        // An S3Uri without a trailing slash is read as a folder, as on SageMaker.
        '[Train] channel extra: notes.txt ',
        '[Train] channel train: nested part-0.csv ',
      ]),
    );
    const modelUri = `s3://bucket/runs/${id}/model/${job.Name}/output/model.tar.gz`;
    expect(train.Local.Properties).toMatchObject({ TrainingJobStatus: 'Completed', ModelArtifacts: { S3ModelArtifacts: modelUri }, FinalMetricDataList: [{ MetricName: 'validation:auc', Value: 0.91 }] });
    expect(result.lines).toContain(`[Next] model=${modelUri} auc=0.91`);
    expect(store.uploads).toEqual([{ bucket: 'bucket', key: `runs/${id}/model/${job.Name}/output/model.tar.gz`, options: { kmsKeyId: KMS_KEY } }]);
    const archive = path.join(mkdtempSync(path.join(tmpdir(), 'model-')), 'model.tar.gz');
    writeFileSync(archive, store.objects.get(modelUri)!);
    expect(execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual(['nested/', 'nested/part-1.csv', 'part-0.csv']);
  });

  it('runs the image as `docker run <image> train` when no ContainerEntrypoint is given', async () => {
    const result = await h.run(definition([trainingStep('Train')]), { store: inputs() });
    expect(result.lines).toContain('[Train] train started with arguments: ');
  });

  it('turns /opt/ml/output/failure into the FailureReason and uploads no model', async () => {
    const store = inputs();
    const result = await h.run(definition([trainingStep('Train', { Environment: { TRAIN_FAILURE: 'DataError: column churned is missing' } })]), { store });
    expect(result.step('Train')).toMatchObject({ StepStatus: 'Failed', FailureReason: 'AlgorithmError: DataError: column churned is missing, exit code: 2' });
    expect(store.uploads).toEqual([]);
  });

  it('shards a channel across training instances with ShardedByS3Key', async () => {
    const store = inputs();
    const step = trainingStep('Train', { ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 2, VolumeSizeInGB: 30 } }, {
      ContainerEntrypoint: ['sh', '-c', 'echo "$(tr -d " \\n" < /opt/ml/input/config/resourceconfig.json | sed -E "s/.*current_host\\":\\"([^\\"]+).*/\\1/"): $(find /opt/ml/input/data/train -type f | sort | tr "\\n" " ")"'],
    });
    (step.Arguments.InputDataConfig as Array<{ DataSource: { S3DataSource: Record<string, string> } }>)[0]!.DataSource.S3DataSource.S3DataDistributionType = 'ShardedByS3Key';
    const result = await h.run(definition([step]), { store });
    expect(result.lines).toEqual(expect.arrayContaining(['[Train algo-1] algo-1: /opt/ml/input/data/train/nested/part-1.csv ', '[Train algo-2] algo-2: /opt/ml/input/data/train/part-0.csv ']));
  });
});
