// npm run nightly — the nightly flow on this machine, as deployed (docs/local-nightly.md):
//   services   Kafka, MLflow and the AWS emulator as the `local` environment's account
//   deploy     synthesize `local` for those services, terraform apply into the emulator
//   data       generate the night's data, upload it to the S3 prefixes the deployed pipelines' parameters name
//   night      read the deployed schedules back; start their pipelines in the order they fire, definitions read
//              back with DescribePipeline, on the local SageMaker executor; events to the emulator's EventBridge
//   read back  the prediction topic with read_committed, every message against the contract
//   summary    per-step status, attempts and timings; the gate's decision; counts that reconcile; alerts
// Nothing here sets a step's variables: the deployed definitions do.
import { S3Client } from '@aws-sdk/client-s3';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadEnvironment } from '../../../environments';
import { LOCAL_ENDPOINT_VARIABLES } from '../../../environments/lib/local-endpoints';
import { CliError, ExitCode } from '../../cli/errors';
import { CliIo, exitWith, runCli } from '../../cli/main';
import { readAndValidate } from '../../topics/read-and-validate';
import { DeployError } from '../deploy/errors';
import { prepareLocalDeployment } from '../deploy/local-deployment';
import { describeProvider } from '../deploy/provider-mirror';
import { DEFAULT_RUNTIMES_FILE, DEFAULT_STORE_DIR, prepareAllRuntimes } from '../pipelines';
import { saslOptions } from '../../../apps/scorer/src/publish';
import { securedServicesFor } from '../secure-services';
import { ensureInstalled, pythonBin, renderExportLine, startServices, writeEnvFile, type RunningServices } from '../services';
import { AWS_TEST_CREDENTIALS } from '../services/aws';
import { generateNightData, uploadFolder } from './data';
import { provisionTopics } from './prerequisites';
import { describeScheduledPipeline, runScheduledPipeline, type ScheduledPipeline, type ScheduledRun } from './night';
import { nightlySpec, toNightlyOptions, type NightlyOptions } from './options';
import { inferenceOutcome, receivedAlerts, trainingOutcome, type InferenceOutcome, type TrainingOutcome } from './outcome';
import { orderForNight, readDeployedSchedules } from './schedules';
import { formatSummary } from './summary';

export { nightlySpec, toNightlyOptions } from './options';

const ENVIRONMENT = 'local';

/** Which generated data set goes to which parameter of which deployed pipeline (by its stack output). */
const DATA_PARAMETERS = {
  training_pipeline_arn: { InputDataUri: 'train', TestDataUri: 'evaluation' },
  inference_pipeline_arn: { InputDataUri: 'score' },
} as const;

export async function runNightly(o: NightlyOptions, io: CliIo): Promise<ExitCode> {
  const started = Date.now();
  const runId = `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  const folder = path.join(o.workDir, runId);
  const logs = path.join(folder, 'logs');
  mkdirSync(logs, { recursive: true });
  const phase = (name: string) => io.out(`\n▶ ${name}  (+${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const config = loadEnvironment(ENVIRONMENT);
  io.out(`Local night ${runId}: the ${ENVIRONMENT} environment, deployed into the AWS emulator and run as deployed; outputs in ${folder}`);

  phase(`starting the local services (Kafka, MLflow, the AWS emulator as account ${config.account.id})${o.secure ? ', secured' : ''}`);
  await ensureInstalled(['kafka', 'mlflow', 'aws'], { log: (line) => io.out(`  ${line}`) });
  // Secured: the topics, the users' ACLs and secrets, the CA and the MLflow user exist before `local` is deployed.
  const services: RunningServices = await startServices({
    ...(o.secure ? securedServicesFor(config) : { awsAccountId: config.account.id }),
    log: (line) => io.out(`  [services] ${line}`),
  });
  let stopCurrent: (() => Promise<void>) | undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    void stopCurrent?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const aws = services.endpoints.aws!;
    const emulator = { endpointUrl: aws.endpointUrl, credentials: AWS_TEST_CREDENTIALS };
    const client = <T>(make: new (c: object) => T): T => new make({ endpoint: aws.endpointUrl, region: config.account.region, credentials: AWS_TEST_CREDENTIALS, forcePathStyle: true });
    const [s3, sagemaker, scheduler, events, sqs, sns] = [client(S3Client), client(SageMakerClient), client(SchedulerClient), client(EventBridgeClient), client(SQSClient), client(SNSClient)];

    phase(`deploying ${ENVIRONMENT} into the emulator with terraform, and generating the night's data`);
    // The services' addresses and, secured, the secrets' and the CA's locations: `local` synthesizes like staging.
    const synthEnv = { ...services.localEnvironment(), [LOCAL_ENDPOINT_VARIABLES.scoreInstances]: String(o.scoreInstances) };
    const deployment = await prepareLocalDeployment({ environment: ENVIRONMENT, emulator, workDir: path.join(folder, 'deploy'), synthEnv, appDir: o.stacksFrom, log: (line) => io.out(`  [deploy] ${line}`) });
    const [deployed, data, topics] = await Promise.all([
      deployment.deploy(),
      generateNightData(o, path.join(folder, 'data'), pythonBin(), logs, io.out),
      // Secured, the services' admin created them already (the scorer's user may not).
      o.secure ? Promise.resolve(services.security!.kafka.topics) : provisionTopics(services.endpoints.kafka!.brokers, config.kafka),
      // The images' local builds (the scorer's compile), so the first job of each does not wait for them.
      prepareAllRuntimes({ runtimesFile: DEFAULT_RUNTIMES_FILE, storeDir: DEFAULT_STORE_DIR, log: (line) => io.out(`  ${line}`) }),
    ]);
    io.out(`  topics ${topics.join(', ') || '(already there)'} created on the local broker, as the Kafka team provisions them in AWS`);
    const outputs = deployed.outputs as Record<string, string>;

    phase('reading the deployed schedules back');
    const schedules = await readDeployedSchedules(scheduler, outputs.schedule_group as string);
    const night = orderForNight(schedules, new Date());
    const planned: ScheduledPipeline[] = [];
    for (const start of night.starts) {
      planned.push(await describeScheduledPipeline(sagemaker, start));
      io.out(`  ${start.schedule.name}: ${start.schedule.expression} ${start.schedule.timezone} → ${start.schedule.pipelineArn.split('/').pop()} with ${JSON.stringify(start.schedule.parameters)}`);
    }
    for (const skip of night.skipped) io.out(`  ${skip.schedule.name}: skipped (${skip.reason})`);

    phase("uploading the night's data to the S3 prefixes the deployed pipelines read");
    for (const pipeline of planned) {
      const wanted = Object.entries(DATA_PARAMETERS).find(([output]) => outputs[output] === pipeline.pipelineArn)?.[1] ?? {};
      for (const [parameter, set] of Object.entries(wanted)) {
        const uri = pipeline.parameters[parameter];
        if (!uri) throw new CliError(`the deployed ${pipeline.pipelineName} has no value for its ${parameter} parameter, so the night's data has nowhere to go`);
        const count = await uploadFolder(s3, data[set as keyof typeof data], uri);
        io.out(`  ${set} data: ${count} file(s) → ${uri} (${pipeline.pipelineName} ${parameter})`);
      }
    }

    // An on-call subscription to the deployed alert topic, to show what the deployed rule sends there.
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `nightly-alert-inbox-${runId.slice(-8)}` }))).QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: outputs.alert_topic_arn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }));

    const runs: ScheduledRun[] = [];
    for (const pipeline of planned) {
      if (interrupted) break;
      phase(`${pipeline.start.schedule.name}: starting ${pipeline.pipelineName} on the local SageMaker executor`);
      const services2 = { sagemaker, events, role: { endpointUrl: aws.endpointUrl, region: config.account.region, credentials: AWS_TEST_CREDENTIALS }, storeDir: DEFAULT_STORE_DIR };
      runs.push(await runScheduledPipeline(pipeline, services2, (line) => io.out(`  ${line}`), (stop) => (stopCurrent = stop)));
      stopCurrent = undefined;
    }

    phase('reading back what the night produced');
    const runOf = (output: string) => runs.find((run) => run.pipeline.pipelineArn === outputs[output]);
    const trainingRun = runOf('training_pipeline_arn');
    const inferenceRun = runOf('inference_pipeline_arn');
    const training: TrainingOutcome | undefined = trainingRun ? await trainingOutcome(s3, trainingRun) : undefined;
    const inference: InferenceOutcome | undefined = inferenceRun ? await inferenceOutcome(s3, inferenceRun) : undefined;
    let consumed: { ofThisRun: number; invalid: number; topic: string } | undefined;
    if (inference && inference.counts.published > 0) {
      const runIdOfInference = inference.run.execution.Local.ExecutionId;
      let ofThisRun = 0;
      let invalid = 0;
      await readAndValidate({
        brokers: services.endpoints.kafka!.brokers,
        topic: config.kafka.topic,
        // Secured: as a downstream consumer reads, with the consumer user's secret and the brokers' CA.
        ...(o.secure ? await consumerConnection(services, client(SecretsManagerClient)) : {}),
        fromBeginning: true,
        idleTimeoutMs: 3_000,
        onMessage: (m) => {
          if ((m.verdict.value as { run?: { id?: string } } | undefined)?.run?.id !== runIdOfInference) return;
          ofThisRun += 1;
          if (!m.verdict.valid) invalid += 1;
        },
      });
      consumed = { ofThisRun, invalid, topic: config.kafka.topic };
    }
    const alerts = await receivedAlerts(sqs, queueUrl);

    // Ctrl-C while the night runs stops it; with --keep-services, Ctrl-C after the summary only ends the wait.
    const nightInterrupted = interrupted;
    const problems: string[] = [];
    if (nightInterrupted) problems.push('interrupted: the running execution was stopped and the rest of the night skipped');
    for (const run of runs) {
      if (run.execution.PipelineExecutionStatus !== 'Succeeded') problems.push(`${run.pipeline.pipelineName} ${run.execution.PipelineExecutionStatus.toLowerCase()}${run.execution.FailureReason ? `: ${run.execution.FailureReason.split('\n')[0]}` : ''}`);
    }
    if (inference && inference.counts.read !== inference.counts.scored + inference.counts.rejected) problems.push('the scorer manifests do not reconcile: read ≠ scored + rejected');
    if (consumed && (consumed.ofThisRun !== inference!.counts.published || consumed.invalid > 0)) {
      problems.push(`the topic does not match the manifests: ${consumed.ofThisRun} messages of this run read back (${consumed.invalid} invalid), ${inference!.counts.published} published`);
    }
    const expectedAlerts = runs.filter((run) => ['Failed', 'Stopped'].includes(run.execution.PipelineExecutionStatus)).length;
    if (alerts.length !== expectedAlerts) problems.push(`${alerts.length} alert(s) reached ${outputs.alert_topic_name}, expected ${expectedAlerts} (one per failed or stopped execution)`);

    for (const line of formatSummary({
      runId,
      succeeded: problems.length === 0,
      totalSeconds: (Date.now() - started) / 1000,
      deployed: { environment: ENVIRONMENT, resources: deployed.resources, seconds: deployed.seconds, provider: describeProvider(deployed.provider) },
      runs,
      skipped: night.skipped.map((s) => `${s.schedule.name}: ${s.reason}`),
      training,
      inference,
      consumed,
      alerts,
      alertTopic: outputs.alert_topic_name as string,
      problems,
      folder,
    })) {
      io.out(line);
    }

    if (o.keepServices) {
      io.out(`\nThe services and the deployment stay up until Ctrl-C. In another terminal:`);
      io.out(services.security ? `  source '${writeEnvFile(services)}'   # credentials included: a file only you can read` : `  ${renderExportLine(services.env())}`);
      io.out('  npm run pipeline:list -- --env local      npm run pipeline:start -- --env local --pipeline inference --wait');
      await new Promise<void>((resolve) => {
        const keepAlive = setInterval(() => (interrupted ? (clearInterval(keepAlive), resolve()) : undefined), 500);
      });
    }
    if (nightInterrupted) return ExitCode.stopped;
    return problems.length === 0 ? ExitCode.ok : ExitCode.failed;
  } catch (error) {
    if (error instanceof DeployError) throw new CliError(error.message, { retryable: error.retryable, cause: error.cause });
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.out('\nstopping local services');
    await services.stop();
  }
}

/** TLS trusting the services' CA and SASL as the consumer user, whose credentials come from its secret. */
async function consumerConnection(services: RunningServices, secrets: SecretsManagerClient) {
  const security = services.endpoints.kafka!.security!;
  const sasl = await saslOptions({ kind: 'scram-sha-512', secretArn: security.consumerSecretArn! }, () => secrets);
  return { ssl: { ca: [readFileSync(security.caFile, 'utf8')] }, ...(sasl ? { sasl } : {}) };
}

export function main(argv: readonly string[], io?: CliIo): Promise<ExitCode> {
  return runCli(nightlySpec, argv, (raw, out) => runNightly(toNightlyOptions(raw), out), io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
