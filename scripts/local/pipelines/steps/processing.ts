// Processing steps: CreateProcessingJob as SageMaker runs it. ClusterConfig.InstanceCount instances (algo-1..N),
// each a process of its own with /opt/ml/config/resourceconfig.json (current_host, hosts) and
// processingjobconfig.json; each ProcessingInput downloaded to its LocalPath under /opt/ml/processing by
// S3DataType (S3Prefix, ManifestFile) and S3DataDistributionType (FullyReplicated: every instance gets every
// object; ShardedByS3Key: disjoint shares); the container run as `docker run [--entrypoint E] <image> [ARGS]`; on
// success every instance's output LocalPaths uploaded to their S3Uri (EndOfJob, SSE-KMS with KmsKeyId).
// Properties: the DescribeProcessingJob response.
import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { StepFailure } from '../errors';
import { jobArn, jobName } from '../jobs/job-names';
import { s3UriField } from '../s3/s3-uri';
import { downloadObjects, listInputObjects, shardObjects, uploadDirectory, type InputObject } from '../s3/transfer';
import { checkImage, dataFailure, exitMessageText, hostPath, instanceFolders, jobFailure, launchJob, parseRequest, removeScratch, writeJson } from './job-common';
import type { StepHandler } from './types';

const localPath = z.string().regex(/^\/opt\/ml\/processing\/\S+/, 'LocalPath must be a folder under /opt/ml/processing/');

const requestSchema = z
  .object({
    ProcessingResources: z.object({
      ClusterConfig: z.object({ InstanceCount: z.number().int().min(1), InstanceType: z.string(), VolumeSizeInGB: z.number(), VolumeKmsKeyId: z.string().optional() }).loose(),
    }),
    AppSpecification: z.object({ ImageUri: z.string().min(1), ContainerEntrypoint: z.array(z.string()).optional(), ContainerArguments: z.array(z.string()).optional() }).loose(),
    RoleArn: z.string().min(20),
    ProcessingInputs: z
      .array(
        z
          .object({
            InputName: z.string().min(1),
            AppManaged: z.boolean().default(false),
            S3Input: z
              .object({
                S3Uri: s3UriField(),
                LocalPath: localPath,
                S3DataType: z.enum(['S3Prefix', 'ManifestFile']),
                S3InputMode: z.enum(['File', 'Pipe']).default('File'),
                S3DataDistributionType: z.enum(['FullyReplicated', 'ShardedByS3Key']).default('FullyReplicated'),
                S3CompressionType: z.enum(['None', 'Gzip']).default('None'),
              })
              .loose()
              .optional(),
            DatasetDefinition: z.unknown().optional(),
          })
          .loose(),
      )
      .default([]),
    ProcessingOutputConfig: z
      .object({
        Outputs: z.array(
          z
            .object({
              OutputName: z.string().min(1),
              AppManaged: z.boolean().default(false),
              S3Output: z.object({ S3Uri: s3UriField(), LocalPath: localPath, S3UploadMode: z.enum(['EndOfJob', 'Continuous']).default('EndOfJob') }).loose().optional(),
              FeatureStoreOutput: z.unknown().optional(),
            })
            .loose(),
        ),
        KmsKeyId: z.string().optional(),
      })
      .loose()
      .optional(),
    StoppingCondition: z.object({ MaxRuntimeInSeconds: z.number().int().min(1) }).loose().default({ MaxRuntimeInSeconds: 86_400 }),
    Environment: z.record(z.string(), z.string({ error: 'must be a string (use Std:Join to turn a number into one)' })).default({}),
  })
  .loose();

export const processingStep: StepHandler = {
  type: 'Processing',

  checkBeforeStart: (step, jobs) => checkImage(step, (step.Arguments as { AppSpecification?: { ImageUri?: unknown } } | undefined)?.AppSpecification?.ImageUri, jobs),

  async run(context) {
    const request = parseRequest(requestSchema, await context.evaluate(context.step.Arguments), 'CreateProcessingJob');
    const inputs = request.ProcessingInputs.map((input) => {
      if (!input.S3Input) throw new StepFailure(`ClientError: input ${input.InputName}: only S3Input is supported locally (not DatasetDefinition)`);
      if (input.S3Input.S3InputMode === 'Pipe') throw new StepFailure(`ClientError: input ${input.InputName}: Pipe input mode is not supported locally`);
      if (input.S3Input.S3CompressionType === 'Gzip') throw new StepFailure(`ClientError: input ${input.InputName}: S3CompressionType Gzip needs Pipe input mode`);
      return { name: input.InputName, ...input.S3Input };
    });
    const outputs = (request.ProcessingOutputConfig?.Outputs ?? []).map((output) => {
      if (!output.S3Output) throw new StepFailure(`ClientError: output ${output.OutputName}: only S3Output is supported locally (not FeatureStoreOutput)`);
      return { name: output.OutputName, ...output.S3Output };
    });

    const name = jobName(context.execution.id, context.step.Name);
    const arn = jobArn(context.arn, 'processing-job', name);
    const created = new Date();
    const count = request.ProcessingResources.ClusterConfig.InstanceCount;
    const folders = await instanceFolders(await context.jobs.jobFolder(name), count);
    context.jobCreated({ name, arn, kind: 'ProcessingJob', logFiles: folders.map((f) => f.logFile) });
    const hosts = folders.map((f) => f.host);

    context.timings.downloadStart = Date.now();
    try {
      const listed: Array<(typeof inputs)[number] & { bucket: string; objects: InputObject[] }> = [];
      for (const input of inputs) {
        const found = await listInputObjects(context.jobs.objectStore, input.S3Uri, input.S3DataType);
        if (found.objects.length === 0) {
          throw new StepFailure(`ClientError: No S3 objects found under S3 URL "${input.S3Uri}" given in input data source. Please ensure that the bucket exists in the selected region, that objects exist under that S3 prefix, and that the role has s3:ListBucket permissions.`);
        }
        listed.push({ ...input, ...found });
      }
      let bytes = 0;
      for (const [index, instance] of folders.entries()) {
        for (const input of listed) {
          const objects = input.S3DataDistributionType === 'ShardedByS3Key' ? shardObjects(input.objects, count, index) : input.objects;
          bytes += (await downloadObjects(context.jobs.objectStore, input.bucket, objects, hostPath(instance, input.LocalPath), context.signal)).bytes;
        }
        for (const output of outputs) await mkdir(hostPath(instance, output.LocalPath), { recursive: true });
        // Where the container may leave its ExitMessage (/opt/ml/output/message).
        await mkdir(hostPath(instance, '/opt/ml/output'), { recursive: true });
        await writeJson(hostPath(instance, '/opt/ml/config/resourceconfig.json'), { current_host: instance.host, hosts });
        await writeJson(hostPath(instance, '/opt/ml/config/processingjobconfig.json'), { ...request, ProcessingJobName: name, ProcessingJobArn: arn });
      }
      context.timings.downloadedBytes = bytes;
    } catch (error) {
      if (context.signal.aborted) throw new StepFailure('Processing job stopped', { stopped: true });
      throw dataFailure(error, 'downloading input data');
    }
    context.timings.downloadEnd = Date.now();

    const started = new Date();
    const result = await launchJob({
      context,
      jobName: name,
      imageUri: request.AppSpecification.ImageUri,
      command: { entrypoint: request.AppSpecification.ContainerEntrypoint, args: request.AppSpecification.ContainerArguments ?? [] },
      requestEnvironment: request.Environment,
      injected: {},
      folders,
      maxRuntimeSeconds: request.StoppingCondition.MaxRuntimeInSeconds,
    });
    const exitMessage = await exitMessageText(folders);
    const described = { ...request, ProcessingJobName: name, ProcessingJobArn: arn, ...(exitMessage === undefined ? {} : { ExitMessage: exitMessage }) };
    if (result.outcome !== 'Completed') {
      const failure = await jobFailure(result, folders, 'Processing', request.StoppingCondition.MaxRuntimeInSeconds);
      throw new StepFailure(failure.reason, { ...failure.options, properties: { ...described, ProcessingJobStatus: failure.options.stopped ? 'Stopped' : 'Failed', FailureReason: failure.reason } });
    }

    context.timings.uploadStart = Date.now();
    try {
      let bytes = 0;
      for (const instance of folders) {
        for (const output of outputs) {
          bytes += (await uploadDirectory(context.jobs.objectStore, hostPath(instance, output.LocalPath), output.S3Uri, { kmsKeyId: request.ProcessingOutputConfig?.KmsKeyId })).bytes;
        }
      }
      context.timings.uploadedBytes = bytes;
    } catch (error) {
      throw dataFailure(error, 'uploading output data');
    }
    context.timings.uploadEnd = Date.now();
    await removeScratch(folders);
    const ended = new Date();
    return {
      metadata: { ProcessingJob: { Arn: arn } },
      properties: {
        ...described,
        ProcessingJobStatus: 'Completed',
        CreationTime: created.toISOString(),
        ProcessingStartTime: started.toISOString(),
        ProcessingEndTime: ended.toISOString(),
        LastModifiedTime: ended.toISOString(),
      },
    };
  },
};
