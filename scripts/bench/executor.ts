// Benchmark of the local pipeline executor's own overhead per job, next to its target (under 1 s per job, plus the
// time S3 transfers take): a chain of small Processing and Training jobs against the AWS API emulator, each job
// printing the wall-clock time when its process starts and ends, so that what the executor adds is measured from
// outside the job: step start → job process start (namespace, folders, config; S3 download shown apart) and job
// process end → step Succeeded (S3 upload shown apart, records, events).
//   npm run bench:executor [-- --jobs 10]   (--help for the options)
// Uses the emulator in the environment (AWS_ENDPOINT_URL, …) or starts one.
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openExecutionStore, startExecution } from '../local/pipelines';
import { z } from 'zod';
import { CliSpec, OptionSpec, positiveIntFlag, validateOptions } from '../cli/args';
import { ExitCode } from '../cli/errors';
import { exitWith, runCli } from '../cli/main';
import { startServices, type RunningServices } from '../local/services';

const TARGET_MS = 1000;

export const benchSpec = {
  command: 'npm run bench:executor --',
  summary:
    "Measure the local pipeline executor's own overhead per job (step start → job process start, job process end → step " +
    'Succeeded; S3 transfers shown apart) on a chain of small Processing and Training jobs, next to its target (< 1 s). ' +
    'Uses the AWS emulator in the environment (AWS_ENDPOINT_URL) or starts one.',
  options: { jobs: { type: 'string', valueName: 'N', description: 'Sequential jobs in the chain, at least 2 (default 10).' } },
  notes: ['Exit codes: 0 measured, 1 the benchmark pipeline failed, 2 bad usage.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

const optionsSchema = z.object({ jobs: positiveIntFlag.refine((n) => n >= 2, 'expected at least 2').default(10) });

const IMAGE = '000000000000.dkr.ecr.us-east-1.amazonaws.com/bench/tools:1';
const ROLE = 'arn:aws:iam::000000000000:role/bench';
const STAMP = 'echo "BENCH_START $(date +%s%3N)"; cat /opt/ml/processing/input/* > /opt/ml/processing/output/copy.txt; echo "BENCH_END $(date +%s%3N)"';
const TRAIN_STAMP = 'echo "BENCH_START $(date +%s%3N)"; cp /opt/ml/input/data/train/* /opt/ml/model/; echo "BENCH_END $(date +%s%3N)"';

function definition(bucket: string, jobs: number): string {
  const steps = Array.from({ length: jobs }, (_, i) => {
    const name = `Job${String(i + 1).padStart(2, '0')}`;
    const dependsOn = i === 0 ? {} : { DependsOn: [`Job${String(i).padStart(2, '0')}`] };
    if (i % 5 === 4) {
      return {
        Name: name,
        Type: 'Training',
        ...dependsOn,
        Arguments: {
          AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File', ContainerEntrypoint: ['sh', '-c', TRAIN_STAMP] },
          RoleArn: ROLE,
          InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${bucket}/input/`, S3DataDistributionType: 'FullyReplicated' } } }],
          OutputDataConfig: { S3OutputPath: `s3://${bucket}/models` },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 1 },
          StoppingCondition: { MaxRuntimeInSeconds: 60 },
        },
      };
    }
    return {
      Name: name,
      Type: 'Processing',
      ...dependsOn,
      Arguments: {
        ProcessingResources: { ClusterConfig: { InstanceType: 'ml.t3.medium', InstanceCount: 1, VolumeSizeInGB: 1 } },
        AppSpecification: { ImageUri: IMAGE, ContainerEntrypoint: ['sh', '-c', STAMP] },
        RoleArn: ROLE,
        ProcessingInputs: [{ InputName: 'input', S3Input: { S3Uri: `s3://${bucket}/input/`, LocalPath: '/opt/ml/processing/input', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
        ProcessingOutputConfig: { Outputs: [{ OutputName: 'output', S3Output: { S3Uri: `s3://${bucket}/out/${name}`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
        StoppingCondition: { MaxRuntimeInSeconds: 60 },
      },
    };
  });
  return JSON.stringify({ Version: '2020-12-01', Metadata: {}, Parameters: [], Steps: steps });
}

function runtimesFile(dir: string): string {
  const file = path.join(dir, 'runtimes.json');
  mkdirSync(path.join(dir, 'work'), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({ root: '.', runtimes: [{ name: 'tools', repository: '*/tools', workingDir: '/work', path: ['/usr/bin', '/bin'], binds: [{ source: path.join(dir, 'work'), target: '/work' }] }] }),
  );
  return file;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (ms: number) => `${Math.round(ms)} ms`.padStart(8);

async function main(jobs: number): Promise<void> {
  let services: RunningServices | undefined;
  if (!process.env.AWS_ENDPOINT_URL) {
    services = await startServices({ only: ['aws'], log: () => undefined });
    Object.assign(process.env, services.env());
  }
  try {
    const aws = { endpointUrl: process.env.AWS_ENDPOINT_URL!, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'testing', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing' } };
    const s3 = new S3Client({ endpoint: aws.endpointUrl, region: aws.region, credentials: aws.credentials, forcePathStyle: true });
    const bucket = `bench-executor-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'input/data.csv', Body: Buffer.from('x,y\n'.repeat(256)) }));
    s3.destroy();

    const dir = mkdtempSync(path.join(tmpdir(), 'bench-executor-'));
    const stamps = new Map<string, { start?: number; end?: number }>();
    const started = await startExecution({
      definition: definition(bucket, jobs),
      pipelineName: 'bench-executor',
      pipelineArn: 'arn:aws:sagemaker:us-east-1:000000000000:pipeline/bench-executor',
      aws,
      runtimesFile: runtimesFile(dir),
      storeDir: path.join(dir, 'store'),
      log: (line) => {
        const match = /^\[(\w+)\] BENCH_(START|END) (\d+)$/.exec(line);
        if (!match) return;
        const entry = stamps.get(match[1]!) ?? {};
        entry[match[2] === 'START' ? 'start' : 'end'] = Number(match[3]);
        stamps.set(match[1]!, entry);
      },
    });
    const execution = await started.done;
    if (execution.PipelineExecutionStatus !== 'Succeeded') throw new Error(`the benchmark pipeline ${execution.PipelineExecutionStatus}: ${execution.FailureReason}`);
    const steps = await openExecutionStore(path.join(dir, 'store')).listSteps(started.executionArn);

    const rows = steps
      .sort((a, b) => (a.StepName < b.StepName ? -1 : 1))
      .map((step) => {
        const t = step.Local.Attempts[0]!.Timings;
        const job = stamps.get(step.StepName)!;
        const download = (t.downloadEnd ?? 0) - (t.downloadStart ?? 0);
        const upload = (t.uploadEnd ?? 0) - (t.uploadStart ?? 0);
        const toStart = job.start! - Date.parse(step.StartTime);
        const toDone = Date.parse(step.EndTime!) - job.end!;
        return { name: `${step.StepName} (${step.Local.StepType})`, toStart, download, toDone, upload, startOverhead: toStart - download, endOverhead: toDone - upload };
      });
    console.log(`executor overhead per job, ${jobs} sequential jobs against the AWS API emulator (${services ? 'started for this run' : process.env.AWS_ENDPOINT_URL})`);
    console.log('(measured on a shared machine: other sessions compete for the 2 cores; re-measure on a quiet one)\n');
    console.log(`${'job'.padEnd(22)}${'start→process'.padStart(14)}${'of it S3 in'.padStart(13)}${'process end→done'.padStart(18)}${'of it S3 out'.padStart(14)}`);
    for (const row of rows) console.log(`${row.name.padEnd(22)}${fmt(row.toStart).padStart(14)}${fmt(row.download).padStart(13)}${fmt(row.toDone).padStart(18)}${fmt(row.upload).padStart(14)}`);
    const start = rows.map((r) => r.startOverhead);
    const end = rows.map((r) => r.endOverhead);
    const total = rows.map((r) => r.startOverhead + r.endOverhead);
    console.log('');
    console.log(`start → job process start, without S3 download   median ${fmt(median(start))}   max ${fmt(Math.max(...start))}`);
    console.log(`job process end → step Succeeded, without upload  median ${fmt(median(end))}   max ${fmt(Math.max(...end))}`);
    console.log(`executor overhead per job (both)                  median ${fmt(median(total))}   max ${fmt(Math.max(...total))}   target < ${TARGET_MS} ms ${Math.max(...total) < TARGET_MS ? '✓' : '✗'}`);
  } finally {
    await services?.stop();
  }
}

if (require.main === module) {
  exitWith(
    runCli(benchSpec, process.argv.slice(2), async (raw) => {
      await main(validateOptions(optionsSchema, raw).jobs);
      return ExitCode.ok;
    }),
  );
}
