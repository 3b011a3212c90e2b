// Secured transports against real services: the Kafka broker with SASL_SSL + SCRAM-SHA-512 + ACLs only, MLflow with
// its basic-auth app, the credentials as KMS-encrypted secrets in the AWS emulator. One secured service set serves
// the whole file (a broker start costs seconds). The scorer runs with the Environment the `local` stack synthesizes
// against these services — TLS, SASL by secret ARN, MLflow credentials by secret ARN, the CA as the processing
// input SageMaker would download — and a read_committed consumer authenticated as the consumer user reads back.
// Every failure case ends with nothing visible to that consumer, next to a control that shows it would see messages.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Kafka, logLevel } from 'kafkajs';
import { transactionalIdPrefix } from '../../apps/scorer/src/config';
import type { RunManifest } from '../../apps/scorer/src/manifest';
import { isKafkaSecurityFailure } from '../../apps/scorer/src/publish';
import type { EnvironmentConfig } from '../../environments';
import { environmentMlflowAuth, mlflowClientFor } from '../../scripts/cli/mlflow-auth';
import { ExitCode } from '../../scripts/cli/errors';
import { securedServicesFor } from '../../scripts/local/secure-services';
import { kafkaClientAuth, startServices, type Credentials, type RunningServices } from '../../scripts/local/services';
import { READER_GROUP_PREFIX } from '../../scripts/topics/read-and-validate';
import { loadLocalEnvironment, pipelineDefinition, synthConfig, type Json } from '../infra/support/synthesized';
import { resolveStepEnvironment } from '../support/step-environment';
import { consumeCommitted } from '../scorer/support/consume';
import { REPO_ROOT, predictionValidator } from '../scorer/support/contract-validator';
import { PYTHON, generateData, registerFixtureModel } from '../scorer/support/mlflow-fixture';
import { runScorer } from '../scorer/support/scorer-process';

jest.setTimeout(300_000);
const run = promisify(execFile);

const DENIED_TOPIC = 'denied.predictions';
const ROWS = 1_000;

let services: RunningServices;
let local: EnvironmentConfig;
let work: string;
let aws: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
let secrets: SecretsManagerClient;
let brokers: string[];
/** The Score step's Environment as the `local` stack synthesizes it, evaluated by the local executor's expression evaluator. */
let scoreStepEnv: Record<string, string>;
let trainStepEnv: Record<string, string>;
/** Where the CA processing input lands for this test (SageMaker: /opt/ml/processing/input/kafka-ca/). */
let caFile: string;
let positive: { manifest: RunManifest; runId: string };

const consumer = () => services.security!.kafka.consumer;
const asUser = (user: Credentials) => kafkaClientAuth(services.security!, user);
const readCommitted = (topic: string, expected = 0) =>
  consumeCommitted(brokers, topic, { expected, settleMs: 1_500, timeoutMs: 60_000, connection: asUser(consumer()), groupPrefix: READER_GROUP_PREFIX });
const manifestOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as RunManifest;


async function secretOf(name: string, value: unknown): Promise<string> {
  return (await secrets.send(new CreateSecretCommand({ Name: `${name}-${Date.now()}`, SecretString: JSON.stringify(value) }))).ARN!;
}

/** The scorer as the Score step runs it: the synthesized Environment, SageMaker's paths mapped to this test's folders. */
function scorer(name: string, overrides: Record<string, string> = {}) {
  const out = path.join(work, `out-${name}`);
  const env = {
    ...scoreStepEnv,
    RUN_ID: name,
    INPUT_PATH: path.join(work, 'in'),
    OUTPUT_PATH: out,
    KAFKA_CA_FILE: caFile,
    MODEL_CACHE_DIR: path.join(work, 'models'),
    // What the job's role and the emulator give the container in place of AWS.
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    KAFKA_RETRIES: '1',
    ...overrides,
  };
  return runScorer(env).then((result) => ({ ...result, out, manifest: manifestOf(out) }));
}

beforeAll(async () => {
  const plainLocal = loadLocalEnvironment({});
  services = await startServices({ ...withDeniedTopic(securedServicesFor(plainLocal)), log: () => undefined });
  local = loadLocalEnvironment(services.localEnvironment());
  brokers = services.endpoints.kafka!.brokers;
  const env = services.env();
  aws = { endpoint: env.AWS_ENDPOINT_URL!, region: env.AWS_REGION!, credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! } };
  secrets = new SecretsManagerClient(aws);
  work = mkdtempSync(path.join(tmpdir(), 'secure-transports-'));

  // The stack of `local`, synthesized against these services: the steps' Environment is what the scorer gets.
  const synth = synthConfig(local);
  const inference = pipelineDefinition(synth, 'mlp-local-inference');
  const score = inference.Steps.find((s: Json) => s.Name === 'Score');
  // A scheduled run: the declared parameter defaults (ModelAlias = the scoring alias), as the executor evaluates them.
  scoreStepEnv = await resolveStepEnvironment(inference, score.Arguments.Environment, {}, 'execution-1');
  const training = pipelineDefinition(synth, 'mlp-local-training');
  const train = training.Steps.find((s: Json) => s.Name === 'Train');
  trainStepEnv = await resolveStepEnvironment(training, train.Arguments.Environment, {}, 'execution-1');

  // SageMaker downloads the kafka-ca processing input from S3 with the job's role: so does this test.
  const caInput = score.Arguments.ProcessingInputs.find((input: Json) => input.InputName === 'kafka-ca').S3Input.S3Uri as string;
  const [bucket, ...key] = caInput.slice('s3://'.length).split('/');
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  caFile = path.join(work, 'kafka-ca', path.basename(scoreStepEnv.KAFKA_CA_FILE!));
  mkdirSync(path.dirname(caFile), { recursive: true });
  writeFileSync(caFile, await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/') }))).Body!.transformToString());
  s3.destroy();

  // The model, registered by the app user (MLflow's client variables, as a person or the trainer would).
  const app = services.security!.mlflow.app;
  await registerFixtureModel(env.MLFLOW_TRACKING_URI!, local.mlflow.modelName, local.mlflow.scoringAlias, 'churn', {}, { MLFLOW_TRACKING_USERNAME: app.username, MLFLOW_TRACKING_PASSWORD: app.password });
  await generateData(path.join(work, 'in'), ROWS, { seed: 13 });

  // The positive run every failure case is compared with.
  const ok = await scorer('positive');
  positive = { manifest: ok.manifest, runId: 'positive' };
});

function withDeniedTopic(options: ReturnType<typeof securedServicesFor>): ReturnType<typeof securedServicesFor> {
  // A topic the consumer may read but the producer may not write: the ACL denial case.
  const kafka = typeof options.secure === 'object' ? options.secure.kafka! : {};
  return {
    ...options,
    secure: { kafka: { ...kafka, topics: [...(kafka.topics ?? []), DENIED_TOPIC], consumer: { topics: [...kafka.consumer!.topics, DENIED_TOPIC], groupPrefix: kafka.consumer!.groupPrefix } } },
  };
}

afterAll(async () => {
  secrets?.destroy();
  await services?.stop();
});

describe('the scorer against the secured broker and MLflow, configured as the local stack synthesizes it', () => {
  it('gets only ARNs and a CA path from the pipeline: TLS, SCRAM-SHA-512 by secret, MLflow credentials by secret', () => {
    expect(scoreStepEnv).toMatchObject({
      KAFKA_TLS: 'true',
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SASL_SECRET_ARN: services.endpoints.kafka!.security!.producerSecretArn,
      KAFKA_CA_FILE: '/opt/ml/processing/input/kafka-ca/ca.pem',
      MLFLOW_CREDENTIALS_SECRET_ARN: services.endpoints.mlflow!.security!.credentialsSecretArn,
    });
    expect(Object.keys(scoreStepEnv).filter((k) => /PASSWORD|USERNAME|TOKEN/.test(k))).toEqual([]);
    expect(scoreStepEnv.KAFKA_CREATE_TOPICS).toBeUndefined();
  });

  it('publishes every row in one transaction that a read_committed consumer, authenticated as the consumer user, reads back', async () => {
    expect(positive.manifest).toMatchObject({ status: 'succeeded', counts: { read: ROWS, published: ROWS, rejected: 0 } });
    const messages = await readCommitted(local.kafka.topic, ROWS);
    expect(messages).toHaveLength(ROWS);
    const values = messages.map((m) => JSON.parse(m.value));
    expect(new Set(values.map((v) => v.run.id))).toEqual(new Set([positive.runId]));
    expect(values.flatMap((v) => predictionValidator()(v))).toEqual([]);
  });
});

describe('failures the scorer cannot retry away: a clear error in the manifest, nothing published', () => {
  // The control for every case: the consumer does see messages on this topic — exactly the positive run's.
  const expectOnlyThePositiveRun = async () => {
    const messages = await readCommitted(local.kafka.topic, ROWS);
    expect(messages).toHaveLength(ROWS);
    expect(new Set(messages.map((m) => JSON.parse(m.value).run.id))).toEqual(new Set([positive.runId]));
  };

  it('a wrong SCRAM password names the mechanism and the broker', async () => {
    const wrong = await secretOf('wrong-password', { username: services.security!.kafka.producer.username, password: 'not-the-password' });
    const result = await scorer('wrong-password', { KAFKA_SASL_SECRET_ARN: wrong });
    expect(result.code).toBe(1);
    expect(result.manifest).toMatchObject({ status: 'failed', counts: { published: 0 }, error: { code: 'KAFKA_AUTHENTICATION_FAILED', retryable: false } });
    expect(result.manifest.error!.message).toContain(`SASL/SCRAM-SHA-512 authentication to Kafka at ${brokers.join(',')} failed`);
    expect(result.manifest.error!.message).toContain(wrong);
    expect(JSON.stringify(result.events)).not.toContain('not-the-password');
    await expectOnlyThePositiveRun();
  });

  it('a broker certificate that does not chain to the given CA is refused, naming KAFKA_CA_FILE', async () => {
    // A real CA certificate that did not sign the broker's (made with openssl for the scorer's unit tests).
    const result = await scorer('untrusted-ca', { KAFKA_CA_FILE: path.join(REPO_ROOT, 'test/scorer/fixtures/test-ca.pem') });
    expect(result.code).toBe(1);
    expect(result.manifest).toMatchObject({ status: 'failed', counts: { published: 0 }, error: { code: 'KAFKA_TLS_UNTRUSTED', retryable: false } });
    expect(result.manifest.error!.message).toMatch(/TLS to Kafka at .* failed, the broker is not trusted \(SELF_SIGNED_CERT_IN_CHAIN.*KAFKA_CA_FILE/);
    await expectOnlyThePositiveRun();
  });

  it('a topic the producer may not write is an ACL denial naming the topic, and the consumer sees only the control message', async () => {
    // A transactional id the producer may use, so that the topic is what is denied.
    const result = await scorer('acl-denied', { KAFKA_TOPIC: DENIED_TOPIC, KAFKA_TRANSACTIONAL_ID: `${transactionalIdPrefix(local.kafka.topic)}acl-case` });
    expect(result.code).toBe(1);
    expect(result.manifest).toMatchObject({ status: 'failed', counts: { published: 0 }, error: { code: 'KAFKA_AUTHORIZATION_FAILED', retryable: false } });
    expect(result.manifest.error!.message).toContain(`TOPIC_AUTHORIZATION_FAILED`);
    expect(result.manifest.error!.message).toContain(`needs WRITE on topics ${DENIED_TOPIC}`);
    // Control: a message the admin (the Kafka team) produces there is visible to the same consumer.
    const admin = new Kafka({ clientId: 'control', brokers, logLevel: logLevel.NOTHING, ...asUser(services.security!.kafka.admin) }).producer();
    await admin.connect();
    await admin.send({ topic: DENIED_TOPIC, messages: [{ key: 'control', value: 'control' }] });
    await admin.disconnect();
    const seen = await readCommitted(DENIED_TOPIC, 1);
    expect(seen.map((m) => m.key)).toEqual(['control']);
  });

  it('a transactional id outside the producer\'s prefix is an ACL denial naming the id', async () => {
    const result = await scorer('txn-denied', { KAFKA_TRANSACTIONAL_ID: 'somebody-elses-id' });
    expect(result.manifest).toMatchObject({ status: 'failed', counts: { published: 0 }, error: { code: 'KAFKA_AUTHORIZATION_FAILED', retryable: false } });
    expect(result.manifest.error!.message).toContain('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
    expect(result.manifest.error!.message).toContain('somebody-elses-id');
    await expectOnlyThePositiveRun();
  });

  it('MLflow refusing the credentials (401) and a user without permission on the model (403) say which', async () => {
    const app = services.security!.mlflow.app;
    const wrong = await secretOf('mlflow-wrong', { username: app.username, password: 'not-the-password' });
    const unauthenticated = await scorer('mlflow-401', { MLFLOW_CREDENTIALS_SECRET_ARN: wrong });
    expect(unauthenticated.manifest).toMatchObject({ status: 'failed', counts: { read: 0, published: 0 }, error: { code: 'MLFLOW_UNAUTHENTICATED', retryable: false } });
    expect(unauthenticated.manifest.error!.message).toMatch(/refused GET .*did not accept the .*credentials.*HTTP 401/);

    // A user the admin created and then denied the model (users may read by default, MLflow's own default).
    const outsider = { username: 'outsider', password: 'outsider-password-1' };
    await createMlflowUser(outsider);
    await mlflowAdmin('/api/3.0/mlflow/users/permissions/grant', { username: outsider.username, resource_type: 'registered_model', resource_id: local.mlflow.modelName, permission: 'DENY' });
    const forbidden = await scorer('mlflow-403', { MLFLOW_CREDENTIALS_SECRET_ARN: await secretOf('mlflow-outsider', outsider) });
    expect(forbidden.manifest).toMatchObject({ status: 'failed', counts: { read: 0, published: 0 }, error: { code: 'MLFLOW_FORBIDDEN', retryable: false } });
    expect(forbidden.manifest.error!.message).toMatch(/credentials were accepted but the user lacks permission.*HTTP 403/);

    // The basic-auth app answers an alias of a model that does not exist with 403 as well: told apart, not "forbidden".
    const missing = await scorer('mlflow-no-model', { MODEL_NAME: 'no-such-model' });
    expect(missing.manifest).toMatchObject({ status: 'failed', error: { code: 'MLFLOW_NOT_FOUND', retryable: false } });
    expect(missing.manifest.error!.message).toContain('model "no-such-model" does not exist in the registry');
    await expectOnlyThePositiveRun();
  });
});

describe('the Kafka users can do what they are for and nothing else', () => {
  it('the consumer user cannot write, the producer user cannot read or create topics', async () => {
    const client = (user: Credentials) => new Kafka({ clientId: 'acl-check', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...asUser(user) });
    const asConsumer = client(consumer()).producer();
    await asConsumer.connect();
    await expect(asConsumer.send({ topic: local.kafka.topic, messages: [{ value: 'x' }] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    await asConsumer.disconnect();

    const producerAdmin = client(services.security!.kafka.producer).admin();
    await producerAdmin.connect();
    const creating = await producerAdmin.createTopics({ topics: [{ topic: 'local.predictions.new' }] }).catch((error: unknown) => error);
    expect(creating).toMatchObject({ errors: [expect.objectContaining({ type: 'TOPIC_AUTHORIZATION_FAILED' })] });
    expect(isKafkaSecurityFailure(creating)).toBe(true);
    await producerAdmin.disconnect();

    // topic:read with the environment's secret, the producer's: the broker refuses it a consumer group.
    const asProducer = await topicRead(['--env', 'local', '--from-beginning', '--timeout', '2s']);
    expect(asProducer.code).toBe(ExitCode.failed);
    expect(asProducer.stderr).toContain('The Kafka broker refused the reader (GROUP_AUTHORIZATION_FAILED');
  });
});

describe('the other clients authenticate the same way', () => {
  it('topic:read reads the topic with the environment\'s CA from S3 and a consumer\'s secret', async () => {
    const result = await topicRead(['--env', 'local', '--sasl-secret-arn', services.endpoints.kafka!.security!.consumerSecretArn!, '--from-beginning', '--timeout', '3s', '--json']);
    expect(result.code).toBe(ExitCode.ok);
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toMatchObject({ topic: local.kafka.topic, read: ROWS, valid: ROWS, invalid: 0 });
  });

  it('the operator scripts\' MLflow helper reads the environment\'s credentials secret, or MLflow\'s client variables', async () => {
    const fromSecret = await withEnv(awsVariables(), async () =>
      mlflowClientFor(environmentMlflowAuth(local, { env: {} })).getModelVersionByAlias(local.mlflow.modelName, local.mlflow.scoringAlias),
    );
    expect(fromSecret.version).toBe('1');
    const app = services.security!.mlflow.app;
    const target = environmentMlflowAuth(local, { env: { MLFLOW_TRACKING_USERNAME: app.username, MLFLOW_TRACKING_PASSWORD: app.password } });
    expect(target.auth).toEqual({ kind: 'basic', ...app });
    expect((await mlflowClientFor(target).getModelVersionByAlias(local.mlflow.modelName, local.mlflow.scoringAlias)).version).toBe('1');
  });

  it('the trainer\'s train entrypoint logs to MLflow with the credentials secret of its step, and without it is refused', async () => {
    const dir = path.join(work, 'trainer');
    await run(PYTHON, ['-m', 'trainer', 'generate-data', '--rows', '600', '--out', path.join(dir, 'train'), '--seed', '5', '--overwrite'], { cwd: REPO_ROOT });
    writeFileSync(path.join(dir, 'hyperparameters.json'), '{}\n');
    const train = (env: Record<string, string>, name: string) =>
      run(path.join(path.dirname(PYTHON), 'train'), ['--train-dir', path.join(dir, 'train'), '--hyperparameters', path.join(dir, 'hyperparameters.json'), '--model-dir', path.join(dir, `model-${name}`), '--failure-file', path.join(dir, `failure-${name}`)], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', GIT_PYTHON_REFRESH: 'quiet', ...env },
      }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
    const stepEnv = { ...trainStepEnv, ...awsVariables() };
    expect(stepEnv.MLFLOW_CREDENTIALS_SECRET_ARN).toBe(services.endpoints.mlflow!.security!.credentialsSecretArn);
    expect(await train(stepEnv, 'ok')).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'model-ok', 'run_info.json'), 'utf8'))).toHaveProperty('run_id');

    const { MLFLOW_CREDENTIALS_SECRET_ARN: _omitted, ...withoutCredentials } = stepEnv;
    expect(await train(withoutCredentials, 'refused')).toBe(2);
    expect(readFileSync(path.join(dir, 'failure-refused'), 'utf8')).toMatch(/requires credentials it did not get or did not accept/);
  });
});

/** `npm run topic:read` as an operator runs it, with the secured `local` environment's variables and AWS access. */
async function topicRead(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...services.localEnvironment(), ...awsVariables() };
  return run(process.execPath, [require.resolve('tsx/cli'), path.join(REPO_ROOT, 'scripts/topics/read.ts'), ...args], { cwd: REPO_ROOT, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
  );
}

function awsVariables(): Record<string, string> {
  return { AWS_ENDPOINT_URL: aws.endpoint, AWS_REGION: aws.region, AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey };
}

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

/** A call to MLflow's auth API as the admin. */
async function mlflowAdmin(apiPath: string, body: unknown): Promise<void> {
  const admin = services.security!.mlflow.admin;
  const res = await fetch(`${services.endpoints.mlflow!.trackingUri}${apiPath}`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect({ apiPath, status: res.status, body: res.ok ? '' : await res.text() }).toEqual({ apiPath, status: 200, body: '' });
}

const createMlflowUser = (user: Credentials) => mlflowAdmin('/api/2.0/mlflow/users/create', user);
