// Training steps: CreateTrainingJob as SageMaker runs it. Per instance (algo-1..N): input channels downloaded to
// /opt/ml/input/data/<channel> (ShardedByS3Key splits the objects across instances), the config files in
// /opt/ml/input/config, the container started as `docker run <image> train` (or ContainerEntrypoint +
// ContainerArguments), TRAINING_JOB_NAME/ARN in its environment, at most MaxRuntimeInSeconds. On success
// /opt/ml/model of algo-1 is tarred to <S3OutputPath>/<job name>/output/model.tar.gz (SSE-KMS with KmsKeyId);
// /opt/ml/output/failure becomes the FailureReason. Properties: the DescribeTrainingJob response.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StepFailure } from '../errors';
import { jobArn, jobName } from '../jobs/job-names';
import { MetricScanner } from '../jobs/metrics';
import { joinKey, parseS3Uri, s3UriField } from '../s3/s3-uri';
import { downloadObjects, listInputObjects, shardObjects, tarGzDirectory, type InputObject } from '../s3/transfer';
import { checkImage, dataFailure, hostPath, instanceFolders, jobFailure, launchJob, parseRequest, removeScratch, writeJson } from './job-common';
import type { StepHandler } from './types';

const stringMap = z.record(z.string(), z.string({ error: 'must be a string (use Std:Join to turn a number into one)' }));

const requestSchema = z
  .object({
    AlgorithmSpecification: z
      .object({
        TrainingImage: z.string().min(1, 'TrainingImage is required (algorithm resources are not supported locally)'),
        TrainingInputMode: z.enum(['File', 'FastFile', 'Pipe']).default('File'),
        ContainerEntrypoint: z.array(z.string()).optional(),
        ContainerArguments: z.array(z.string()).optional(),
        MetricDefinitions: z.array(z.object({ Name: z.string(), Regex: z.string() })).optional(),
      })
      .loose(),
    RoleArn: z.string().min(20),
    InputDataConfig: z
      .array(
        z
          .object({
            ChannelName: z.string().regex(/^[A-Za-z0-9.\-_]+$/),
            DataSource: z.object({
              S3DataSource: z.object({
                S3DataType: z.enum(['S3Prefix', 'ManifestFile', 'AugmentedManifestFile', 'Converse']),
                S3Uri: s3UriField(),
                S3DataDistributionType: z.enum(['FullyReplicated', 'ShardedByS3Key']).default('FullyReplicated'),
              }).loose(),
            }).loose(),
            ContentType: z.string().optional(),
            CompressionType: z.enum(['None', 'Gzip']).default('None'),
            InputMode: z.enum(['File', 'FastFile', 'Pipe']).optional(),
          })
          .loose(),
      )
      .default([]),
    OutputDataConfig: z.object({ S3OutputPath: s3UriField(), KmsKeyId: z.string().optional() }).loose(),
    ResourceConfig: z.object({ InstanceType: z.string(), InstanceCount: z.number().int().min(1).default(1), VolumeSizeInGB: z.number() }).loose(),
    StoppingCondition: z.object({ MaxRuntimeInSeconds: z.number().int().min(1).default(86_400) }).loose(),
    HyperParameters: stringMap.default({}),
    Environment: stringMap.default({}),
  })
  .loose();

type TrainingRequest = z.output<typeof requestSchema>;

export const trainingStep: StepHandler = {
  type: 'Training',

  checkBeforeStart: (step, jobs) => checkImage(step, (step.Arguments as TrainingRequest | undefined)?.AlgorithmSpecification?.TrainingImage, jobs),

  async run(context) {
    const request = parseRequest(requestSchema, await context.evaluate(context.step.Arguments), 'CreateTrainingJob');
    for (const channel of request.InputDataConfig) {
      const mode = channel.InputMode ?? request.AlgorithmSpecification.TrainingInputMode;
      if (mode === 'Pipe') throw new StepFailure(`ClientError: channel ${channel.ChannelName}: Pipe input mode is not supported locally (File and FastFile are)`);
      if (channel.CompressionType === 'Gzip') throw new StepFailure(`ClientError: channel ${channel.ChannelName}: CompressionType Gzip needs Pipe input mode`);
    }
    const output = parseS3Uri(request.OutputDataConfig.S3OutputPath)!;

    const name = jobName(context.execution.id, context.step.Name);
    const arn = jobArn(context.arn, 'training-job', name);
    const created = new Date();
    const count = request.ResourceConfig.InstanceCount;
    const folders = await instanceFolders(await context.jobs.jobFolder(name), count);
    context.jobCreated({ name, arn, kind: 'TrainingJob', logFiles: folders.map((f) => f.logFile) });
    const hosts = folders.map((f) => f.host);

    context.timings.downloadStart = Date.now();
    try {
      const channels: Array<{ name: string; bucket: string; objects: InputObject[]; sharded: boolean; uri: string }> = [];
      for (const channel of request.InputDataConfig) {
        const source = channel.DataSource.S3DataSource;
        if (source.S3DataType !== 'S3Prefix' && source.S3DataType !== 'ManifestFile') {
          throw new StepFailure(`ClientError: channel ${channel.ChannelName}: S3DataType ${source.S3DataType} is not supported locally (S3Prefix, ManifestFile are)`);
        }
        const listed = await listInputObjects(context.jobs.objectStore, source.S3Uri, source.S3DataType);
        if (listed.objects.length === 0) {
          throw new StepFailure(`ClientError: No S3 objects found under S3 URL "${source.S3Uri}" given in input data source. Please ensure that the bucket exists in the selected region, that objects exist under that S3 prefix, and that the role has s3:ListBucket permissions.`);
        }
        channels.push({ name: channel.ChannelName, ...listed, sharded: source.S3DataDistributionType === 'ShardedByS3Key', uri: source.S3Uri });
      }
      let bytes = 0;
      for (const [index, instance] of folders.entries()) {
        for (const channel of channels) {
          const objects = channel.sharded ? shardObjects(channel.objects, count, index) : channel.objects;
          const dir = hostPath(instance, `/opt/ml/input/data/${channel.name}`);
          bytes += (await downloadObjects(context.jobs.objectStore, channel.bucket, objects, dir, context.signal)).bytes;
        }
        const config = (file: string) => hostPath(instance, `/opt/ml/input/config/${file}`);
        await writeJson(config('hyperparameters.json'), request.HyperParameters);
        await writeJson(
          config('inputdataconfig.json'),
          Object.fromEntries(
            request.InputDataConfig.map((channel) => [
              channel.ChannelName,
              {
                ...(channel.ContentType ? { ContentType: channel.ContentType } : {}),
                TrainingInputMode: channel.InputMode ?? request.AlgorithmSpecification.TrainingInputMode,
                S3DistributionType: channel.DataSource.S3DataSource.S3DataDistributionType,
                RecordWrapperType: 'None',
              },
            ]),
          ),
        );
        await writeJson(config('resourceconfig.json'), {
          current_host: instance.host,
          current_instance_type: request.ResourceConfig.InstanceType,
          current_group_name: 'homogeneousCluster',
          hosts,
          instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: request.ResourceConfig.InstanceType, hosts }],
          network_interface_name: 'eth0',
        });
        for (const dir of ['/opt/ml/model', '/opt/ml/output/data', '/opt/ml/checkpoints']) await mkdir(hostPath(instance, dir), { recursive: true });
      }
      context.timings.downloadedBytes = bytes;
    } catch (error) {
      if (context.signal.aborted) throw new StepFailure('Training job stopped', { stopped: true });
      throw dataFailure(error, 'downloading input data');
    }
    context.timings.downloadEnd = Date.now();

    const metrics = new MetricScanner(request.AlgorithmSpecification.MetricDefinitions);
    const started = new Date();
    const entrypoint = request.AlgorithmSpecification.ContainerEntrypoint;
    const result = await launchJob({
      context,
      jobName: name,
      imageUri: request.AlgorithmSpecification.TrainingImage,
      // SageMaker runs `docker run <image> train` unless ContainerEntrypoint overrides the entrypoint.
      command: entrypoint?.length ? { entrypoint, args: request.AlgorithmSpecification.ContainerArguments ?? [] } : { args: ['train', ...(request.AlgorithmSpecification.ContainerArguments ?? [])] },
      requestEnvironment: request.Environment,
      injected: { TRAINING_JOB_NAME: name, TRAINING_JOB_ARN: arn },
      folders,
      maxRuntimeSeconds: request.StoppingCondition.MaxRuntimeInSeconds,
      onLine: (host, line) => host === 'algo-1' && metrics.scan(line),
    });
    if (result.outcome !== 'Completed') throw await jobFailure(result, folders, 'Training', request.StoppingCondition.MaxRuntimeInSeconds);

    const modelUri = `s3://${output.bucket}/${joinKey(output.key, `${name}/output/model.tar.gz`)}`;
    context.timings.uploadStart = Date.now();
    try {
      const archive = path.join(path.dirname(folders[0]!.optMl), 'model.tar.gz');
      await tarGzDirectory(hostPath(folders[0]!, '/opt/ml/model'), archive);
      const target = parseS3Uri(modelUri)!;
      await context.jobs.objectStore.upload(target.bucket, target.key, archive, { kmsKeyId: request.OutputDataConfig.KmsKeyId });
      context.timings.uploadedBytes = (await stat(archive)).size;
    } catch (error) {
      throw dataFailure(error, 'uploading output data');
    }
    context.timings.uploadEnd = Date.now();
    await removeScratch(folders);
    const ended = new Date();
    const seconds = Math.max(1, Math.round((ended.getTime() - started.getTime()) / 1000));
    return {
      metadata: { TrainingJob: { Arn: arn } },
      properties: {
        ...request,
        TrainingJobName: name,
        TrainingJobArn: arn,
        TrainingJobStatus: 'Completed',
        SecondaryStatus: 'Completed',
        ModelArtifacts: { S3ModelArtifacts: modelUri },
        FinalMetricDataList: metrics.finalMetrics(),
        CreationTime: created.toISOString(),
        TrainingStartTime: started.toISOString(),
        TrainingEndTime: ended.toISOString(),
        LastModifiedTime: ended.toISOString(),
        TrainingTimeInSeconds: seconds,
        BillableTimeInSeconds: seconds * request.ResourceConfig.InstanceCount,
      },
    };
  },
};
