// Both pipeline definitions the `local` environment's stack synthesizes, executed step by step by the local
// executor against the local services (moto for S3, MLflow, Kafka), end to end, with the real trainer and scorer
// under the real container paths: training with the quality gate passing (Register runs, the alias moves) and
// failing (Register never runs; the Fail step's message is the FailureReason), then inference (sharded across two
// instances) publishing to Kafka, read back with read_committed.
import { runsTopicOf } from '../../../apps/scorer/src/contract/run-record';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { loadEnvironment, platformNames, type EnvironmentConfig } from '../../../environments';
import { openExecutionStore, startExecution, type ExecutionDescription, type StepRecord } from '../../../scripts/local/pipelines';
import { placeholderKmsKeyArn, synthesizedPipelines, type SynthesizedPipeline } from '../../../scripts/local/pipelines/synthesized';
import { consumeCommitted } from '../../scorer/support/consume';
import { awsConfig, kafkaBrokers, mlflowTrackingUri } from '../../support/services';

jest.setTimeout(600_000);

const REPO = path.resolve(__dirname, '..', '..', '..');
const run = promisify(execFile);
const aws = awsConfig();
const work = mkdtempSync(path.join(tmpdir(), 'local-pipelines-e2e-'));
const storeDir = path.join(work, 'store');
const lines: string[] = [];

let config: EnvironmentConfig;
let pipelines: SynthesizedPipeline[];
let s3: S3Client;
let bucket: string;

const pipeline = (suffix: string) => pipelines.find((p) => p.name === `${config.namePrefix}-${suffix}`)!;

async function execute(target: SynthesizedPipeline, parameters: Record<string, string> = {}): Promise<{ execution: ExecutionDescription; steps: StepRecord[] }> {
  const started = await startExecution({
    definition: target.definition,
    pipelineName: target.name,
    pipelineArn: target.arn,
    parameters,
    parallelism: { maxParallelExecutionSteps: target.maxParallelSteps ?? 1 },
    // The jobs' role: the emulator's credentials, in the environment's region (where the bucket lives).
    aws: { endpointUrl: aws.endpoint, region: config.account.region, credentials: aws.credentials },
    storeDir,
    log: (line) => lines.push(line),
  });
  const execution = await started.done;
  const steps = await openExecutionStore(storeDir).listSteps(started.executionArn);
  if (execution.PipelineExecutionStatus === 'Failed' && !steps.some((s) => s.StepName === 'QualityGateFailed')) process.stderr.write(`${lines.slice(-80).join('\n')}\n`);
  return { execution, steps };
}

const byName = (steps: StepRecord[]) => Object.fromEntries(steps.map((step) => [step.StepName, step]));
const readObject = async (key: string) => (await s3.send(new (await import('@aws-sdk/client-s3')).GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();

async function generate(out: string, rows: number, seed: number, more: string[]): Promise<string[]> {
  await run(path.join(REPO, '.venv/bin/python'), ['-m', 'trainer', 'generate-data', '--rows', String(rows), '--out', out, '--seed', String(seed), '--overwrite', ...more], { cwd: REPO });
  return readdirSync(out).map((file) => path.join(out, file));
}

async function upload(files: string[], prefix: string): Promise<void> {
  for (const file of files) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${path.basename(file)}`, Body: readFileSync(file) }));
}

async function mlflowAlias(name: string, alias: string): Promise<string | undefined> {
  const response = await fetch(`${mlflowTrackingUri()}/api/2.0/mlflow/registered-models/alias?name=${encodeURIComponent(name)}&alias=${alias}`);
  return response.ok ? ((await response.json()) as { model_version: { version: string } }).model_version.version : undefined;
}

beforeAll(async () => {
  // Synthesize `local` on the addresses of the services the tests run against, the way the local nightly run does.
  process.env.MLP_LOCAL_KAFKA_BROKERS = kafkaBrokers().join(',');
  process.env.MLP_LOCAL_MLFLOW_URI = mlflowTrackingUri();
  process.env.MLP_LOCAL_SCORE_INSTANCES = '2';
  config = loadEnvironment('local');
  pipelines = synthesizedPipelines(config);
  const names = platformNames(config);
  bucket = names.dataBucket;

  // What the deploy would create (terraform into moto is the deploy's part): the data bucket, in the env's region.
  s3 = new S3Client({ endpoint: aws.endpoint, region: config.account.region, credentials: aws.credentials, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: config.account.region as 'eu-central-1' } })).catch((error: Error) => {
    if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
  });
  // Input data where the definitions' parameter defaults point (InputDataUri, TestDataUri).
  await upload(await generate(path.join(work, 'train'), 3_000, 11, ['--format', 'parquet']), config.data.trainingInputPrefix);
  await upload(await generate(path.join(work, 'test'), 1_000, 12, ['--format', 'parquet']), config.data.evaluationInputPrefix);
  await upload(await generate(path.join(work, 'score'), 2_000, 13, ['--format', 'csv', '--files', '3', '--no-target', '--bad-rows', '4']), config.data.inferenceInputPrefix);

  const admin = new Kafka({ clientId: 'local-pipelines-e2e', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [config.kafka.topic, config.kafka.deadLetterTopic, runsTopicOf(config.kafka.topic)].map((topic) => ({ topic, numPartitions: 3 })) });
  await admin.disconnect();
}, 300_000);

afterAll(() => s3?.destroy());

describe('the local environment\'s pipelines, executed as SageMaker Pipelines would run them', () => {
  let registeredVersion: string | undefined;

  it('trains, evaluates and registers a model when the quality gate passes', async () => {
    const { execution, steps } = await execute(pipeline('training'));
    expect(execution.PipelineExecutionStatus).toBe('Succeeded');
    const step = byName(steps);
    expect(Object.keys(step).sort()).toEqual(['Evaluate', 'QualityGate', 'Register', 'Train']);
    expect(step.QualityGate!.Metadata).toEqual({ Condition: { Outcome: 'True' } });
    const id = execution.Local.ExecutionId;
    const runs = `${config.data.runOutputPrefix}training/${id}`;

    // Train's model, where SageMaker puts it, encrypted with the definition's KMS key; Evaluate read it from there.
    const model = step.Train!.Local.Properties!.ModelArtifacts as { S3ModelArtifacts: string };
    const jobName = step.Train!.Local.Properties!.TrainingJobName as string;
    expect(model.S3ModelArtifacts).toBe(`s3://${bucket}/${runs}/model/${jobName}/output/model.tar.gz`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${runs}/model/${jobName}/output/model.tar.gz` }));
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: placeholderKmsKeyArn(config) });

    const evaluation = JSON.parse(await readObject(`${runs}/evaluation/evaluation.json`));
    expect(evaluation.gate).toMatchObject({ passed: true });
    const registration = JSON.parse(await readObject(`${runs}/registration/registration.json`));
    expect(registration).toMatchObject({ model_name: config.mlflow.modelName, alias: config.mlflow.trainingAlias, gate_passed: true, alias_moved: true });
    registeredVersion = String(registration.version);
    await expect(mlflowAlias(config.mlflow.modelName, config.mlflow.trainingAlias)).resolves.toBe(registeredVersion);
    // The job saw the execution id as RUN_ID, as every step of the run does.
    expect(step.Train!.Local.Properties!.Environment).toMatchObject({ RUN_ID: id });
  });

  it('fails in QualityGateFailed with the gate\'s reason, and never runs Register, when the threshold is not met', async () => {
    const { execution, steps } = await execute(pipeline('training'), { QualityThreshold: '0.99' });
    const step = byName(steps);
    expect(Object.keys(step).sort()).toEqual(['Evaluate', 'QualityGate', 'QualityGateFailed', 'Train']);
    expect(step.QualityGate!.Metadata).toEqual({ Condition: { Outcome: 'False' } });
    const evaluation = JSON.parse(await readObject(`${config.data.runOutputPrefix}training/${execution.Local.ExecutionId}/evaluation/evaluation.json`));
    expect(evaluation.gate.passed).toBe(false);
    const message = `Model rejected by the quality gate: ${evaluation.gate.reason} - no model version was registered.`;
    expect(step.QualityGateFailed).toMatchObject({ StepStatus: 'Failed', Metadata: { Fail: { ErrorMessage: message } } });
    expect(execution).toMatchObject({ PipelineExecutionStatus: 'Failed', FailureReason: message, PipelineParameters: expect.arrayContaining([{ Name: 'QualityThreshold', Value: '0.99' }]) });
    await expect(mlflowAlias(config.mlflow.modelName, config.mlflow.trainingAlias)).resolves.toBe(registeredVersion);
  });

  it('scores the batch on two instances (ShardedByS3Key) and publishes every prediction to Kafka, read_committed', async () => {
    const { execution, steps } = await execute(pipeline('inference'));
    expect(execution.PipelineExecutionStatus).toBe('Succeeded');
    const score = byName(steps).Score!;
    expect(score.Local.Attempts[0]!.Job!.LogFiles).toHaveLength(2);
    const id = execution.Local.ExecutionId;
    const manifests = await Promise.all(['algo-1', 'algo-2'].map(async (host) => JSON.parse(await readObject(`${config.data.runOutputPrefix}inference/${id}/output/${host}/manifest.json`))));
    const counts = manifests.map((m) => m.counts as { read: number; published: number; rejected: number });
    expect(counts.every((c) => c.read > 0)).toBe(true);
    expect(counts.reduce((sum, c) => sum + c.read, 0)).toBe(2_000);
    expect(counts.reduce((sum, c) => sum + c.rejected, 0)).toBe(4);
    const published = counts.reduce((sum, c) => sum + c.published, 0);
    expect(published).toBe(1_996);
    expect(manifests.map((m) => m.model.version)).toEqual([registeredVersion, registeredVersion]);

    const messages = await consumeCommitted(kafkaBrokers(), config.kafka.topic, { expected: published, timeoutMs: 120_000 });
    const ofThisRun = messages.filter((message) => message.headers['run-id'] === id);
    expect(ofThisRun).toHaveLength(published);
  });
});
