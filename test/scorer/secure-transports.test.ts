// The scorer's side of secured transports, without a broker: how the CA file and the credentials are configured,
// and how Kafka's refusals are told apart from failures a retry can fix. The real broker and MLflow prove the same
// in test/security/secure-transports.int.test.ts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from 'kafkajs';
import { loadConfig } from '../../apps/scorer/src/config';
import { CredentialsError } from '../../apps/scorer/src/config/secrets';
import { MlflowClient, authenticator } from '../../apps/scorer/src/mlflow';
import { tlsOptions } from '../../apps/scorer/src/publish/kafka-auth';
import { BrokerRefusals, kafkaSecurityFailure } from '../../apps/scorer/src/publish/kafka-errors';

const required = { MLFLOW_TRACKING_URI: 'http://mlflow:5000', MODEL_NAME: 'm', KAFKA_BROKERS: 'b-1:9096', KAFKA_TOPIC: 'env.predictions', KAFKA_DLQ_TOPIC: 'env.predictions.dlq' };
const load = (env: Record<string, string>) => loadConfig({ env: { ...required, ...env }, argv: [] });
const dir = mkdtempSync(path.join(tmpdir(), 'scorer-ca-'));
// A CA certificate (public part only), made once with openssl for these tests.
const CA_PEM = readFileSync(path.join(__dirname, 'fixtures', 'test-ca.pem'), 'utf8');

describe('KAFKA_CA_FILE', () => {
  it('is read once at start and used as the only trust anchor of the Kafka TLS connections', () => {
    const ca = path.join(dir, 'ca.pem');
    const pem = CA_PEM;
    writeFileSync(ca, pem);
    const config = load({ KAFKA_TLS: 'true', KAFKA_CA_FILE: ca });
    expect(config.kafka.caPem).toBe(pem);
    expect(tlsOptions(config.kafka)).toEqual({ ca: [pem] });
    expect(tlsOptions(load({ KAFKA_TLS: 'true' }).kafka)).toBe(true);
    expect(tlsOptions(load({}).kafka)).toBe(false);
  });

  it('names the variable and the fix when the file is missing, holds no certificate, or TLS is off', () => {
    expect(() => load({ KAFKA_TLS: 'true', KAFKA_CA_FILE: path.join(dir, 'nope.pem') })).toThrow(/KAFKA_CA_FILE .*nope\.pem cannot be read \(ENOENT\): pass the path of a PEM file/);
    const notPem = path.join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(() => load({ KAFKA_TLS: 'true', KAFKA_CA_FILE: notPem })).toThrow('holds no PEM certificate');
    const broken = path.join(dir, 'broken.pem');
    writeFileSync(broken, CA_PEM.replace('MIIBkj', 'MIIBkk'));
    expect(() => load({ KAFKA_TLS: 'true', KAFKA_CA_FILE: broken })).toThrow('holds a certificate that cannot be parsed');
    expect(() => load({ KAFKA_CA_FILE: notPem })).toThrow('KAFKA_CA_FILE is set but KAFKA_TLS is not "true"');
  });
});

describe('MLflow credentials', () => {
  it('follow MLflow\'s client variables when MLFLOW_AUTH is unset', () => {
    expect(load({ MLFLOW_TRACKING_TOKEN: 't' }).mlflow.auth).toEqual({ kind: 'bearer', token: 't' });
    expect(load({ MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' }).mlflow.auth).toEqual({ kind: 'basic', username: 'u', password: 'p' });
    expect(() => load({ MLFLOW_TRACKING_USERNAME: 'u' })).toThrow(/MLFLOW_TRACKING_PASSWORD/);
    expect(load({}).mlflow.auth).toEqual({ kind: 'none' });
  });

  it('come from MLFLOW_CREDENTIALS_SECRET_ARN in the pipelines, and only one way', () => {
    const arn = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:mlflow-app-AbCdEf';
    expect(load({ MLFLOW_CREDENTIALS_SECRET_ARN: arn }).mlflow.auth).toEqual({ kind: 'secret', secretArn: arn });
    expect(() => load({ MLFLOW_CREDENTIALS_SECRET_ARN: arn, MLFLOW_TRACKING_PASSWORD: 'p' })).toThrow('MLFLOW_CREDENTIALS_SECRET_ARN and MLFLOW_TRACKING_PASSWORD are both set');
    expect(() => load({ MLFLOW_CREDENTIALS_SECRET_ARN: arn, MLFLOW_TRACKING_URI: 'arn:aws:sagemaker:eu-central-1:111111111111:mlflow-tracking-server/x' })).toThrow(
      'SageMaker tracking server, which takes SigV4',
    );
  });

  const secretHolding = (value: string | Error) => {
    const calls: string[] = [];
    const client = {
      send: async (command: GetSecretValueCommand) => {
        calls.push(command.input.SecretId!);
        if (value instanceof Error) throw value;
        return { SecretString: value };
      },
    } as unknown as SecretsManagerClient;
    return { client, calls };
  };
  const request = () => ({ method: 'GET', url: new URL('http://mlflow:5000/api/2.0/mlflow/registered-models/alias?name=m&alias=a'), headers: {} });

  it('from a secret become basic or bearer authentication, read once', async () => {
    const basic = secretHolding(JSON.stringify({ username: 'app', password: 'pw' }));
    const sign = authenticator({ kind: 'secret', secretArn: 'arn:s' }, undefined, () => basic.client);
    expect((await sign(request())).authorization).toBe(`Basic ${Buffer.from('app:pw').toString('base64')}`);
    await sign(request());
    expect(basic.calls).toEqual(['arn:s']);
    const bearer = secretHolding(JSON.stringify({ token: 't0k' }));
    expect((await authenticator({ kind: 'secret', secretArn: 'arn:t' }, undefined, () => bearer.client)(request())).authorization).toBe('Bearer t0k');
  });

  it('from an unreadable or malformed secret fail the MLflow call with the secret named and the value never shown', async () => {
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
    const client = new MlflowClient({ trackingUri: 'http://mlflow:5000', auth: { kind: 'secret', secretArn: 'arn:d' }, secrets: () => secretHolding(denied).client, retries: 0 });
    const error = await client.getModelVersion('m', '1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE', retryable: false });
    expect((error as Error).message).toBe('reading the MLflow credentials secret arn:d failed (AccessDeniedException): the role needs secretsmanager:GetSecretValue on the secret and kms:Decrypt on its key');
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    const again = await new MlflowClient({ trackingUri: 'http://mlflow:5000', auth: { kind: 'secret', secretArn: 'arn:d' }, secrets: () => secretHolding(throttled).client, retries: 0 })
      .getModelVersion('m', '1')
      .catch((e: unknown) => e);
    expect(again).toMatchObject({ retryable: true });
    const malformed = await authenticator({ kind: 'secret', secretArn: 'arn:m' }, undefined, () => secretHolding('app:hunter2').client)(request()).catch((e: unknown) => e);
    expect((malformed as Error).message).toBe('the MLflow credentials secret arn:m is not JSON {"username","password"} or {"token"}');
  });

  it('refused by the server say whether the credentials or the permissions are the problem', async () => {
    const answering = (status: number) => (async () => new Response(JSON.stringify({ error_code: status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', message: 'no' }), { status })) as typeof fetch;
    const client = (status: number, auth: { kind: 'none' } | { kind: 'basic'; username: string; password: string }) =>
      new MlflowClient({ trackingUri: 'http://mlflow:5000', auth, fetchImpl: answering(status), retries: 2 });
    const open = await client(401, { kind: 'none' }).getModelVersion('m', '1').catch((e: unknown) => e);
    expect(open).toMatchObject({ code: 'MLFLOW_UNAUTHENTICATED', retryable: false, status: 401 });
    expect((open as Error).message).toContain('requires authentication and no credentials were given');
    const wrong = await client(401, { kind: 'basic', username: 'u', password: 'secret-pw' }).getModelVersion('m', '1').catch((e: unknown) => e);
    expect((wrong as Error).message).toContain('did not accept the basic credentials');
    expect((wrong as Error).message).not.toContain('secret-pw');
    const forbidden = await client(403, { kind: 'basic', username: 'u', password: 'p' }).getModelVersion('m', '1').catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ code: 'MLFLOW_FORBIDDEN', retryable: false });
    expect((forbidden as Error).message).toContain('the user lacks permission for this request');
  });
});

describe('a model that does not exist on a server with MLflow\'s basic-auth app', () => {
  it('is reported as not found (the app answers the alias lookup 403; the model lookup says 404)', async () => {
    const calls: string[] = [];
    const fetchImpl = (async (url: URL) => {
      calls.push(url.pathname);
      return url.pathname.endsWith('/registered-models/alias')
        ? new Response('Permission denied', { status: 403 })
        : new Response(JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=m not found' }), { status: 404 });
    }) as unknown as typeof fetch;
    const client = new MlflowClient({ trackingUri: 'http://mlflow:5000', auth: { kind: 'basic', username: 'u', password: 'p' }, fetchImpl, retries: 0 });
    const error = await client.getModelVersionByAlias('m', 'champion').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MLFLOW_NOT_FOUND', notFound: true, retryable: false });
    expect((error as Error).message).toContain('model "m" does not exist in the registry');
    expect(calls).toEqual(['/api/2.0/mlflow/registered-models/alias', '/api/2.0/mlflow/registered-models/get']);
  });

  it('stays a permission problem when the model exists', async () => {
    const fetchImpl = (async (url: URL) =>
      url.pathname.endsWith('/registered-models/alias')
        ? new Response('Permission denied', { status: 403 })
        : new Response(JSON.stringify({ registered_model: { name: 'm' } }), { status: 200 })) as unknown as typeof fetch;
    const client = new MlflowClient({ trackingUri: 'http://mlflow:5000', auth: { kind: 'basic', username: 'u', password: 'p' }, fetchImpl, retries: 0 });
    await expect(client.getModelVersionByAlias('m', 'champion')).rejects.toMatchObject({ code: 'MLFLOW_FORBIDDEN' });
  });
});

describe('Kafka refusals', () => {
  const config = load({ KAFKA_TLS: 'true', KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:AmazonMSK_s-AbCdEf' }).kafka;
  const protocol = (type: string, message: string) => new KafkaJSProtocolError({ type, message, code: 0, retriable: false } as never);

  it('a rejected SCRAM login is not retryable and names the mechanism, the brokers and the secret', () => {
    // kafkajs' typings declare no constructor arguments; the class takes its message like every KafkaJSError.
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const error = kafkaSecurityFailure(new SaslError('SASL SCRAM SHA512 authentication failed: invalid credentials'), config);
    expect(error).toMatchObject({ code: 'KAFKA_AUTHENTICATION_FAILED', retryable: false });
    expect(error!.message).toBe(
      'SASL/SCRAM-SHA-512 authentication to Kafka at b-1:9096 failed (SASL SCRAM SHA512 authentication failed: invalid credentials): the user name and password in arn:aws:secretsmanager:eu-central-1:111111111111:secret:AmazonMSK_s-AbCdEf are not accepted by the broker: fix the secret or the user on the cluster',
    );
  });

  it('an untrusted broker certificate, even after retries, names KAFKA_CA_FILE as the fix', () => {
    const tls = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', { broker: 'b-1:9096', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const error = kafkaSecurityFailure(new KafkaJSNumberOfRetriesExceeded(tls, { retryCount: 5, retryTime: 100 }), config);
    expect(error).toMatchObject({ code: 'KAFKA_TLS_UNTRUSTED', retryable: false });
    expect(error!.message).toContain("does not chain to a CA in Node's trust store: pass the CA that signed it with KAFKA_CA_FILE");
  });

  it('an ACL denial names what the user needs; a lost transactional-id denial is recovered from what the broker answered', () => {
    expect(kafkaSecurityFailure(protocol('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics'), config)!.message).toContain('needs WRITE on topics env.predictions, env.predictions.dlq and env.predictions.runs');
    const refusals = new BrokerRefusals();
    refusals.note('Transactional Id authorization failed');
    const lost = new Error('Failed to find group coordinator');
    lost.name = 'KafkaJSGroupCoordinatorNotFound';
    expect(kafkaSecurityFailure(lost, config)).toBeUndefined();
    expect(kafkaSecurityFailure(lost, config, refusals)!.message).toContain('needs WRITE and DESCRIBE on transactional id ml-platform-scorer.env.predictions.0');
  });

  it('leaves failures a retry can fix alone', () => {
    expect(kafkaSecurityFailure(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED', { code: 'ECONNREFUSED' }), config)).toBeUndefined();
    expect(kafkaSecurityFailure(protocol('NOT_LEADER_FOR_PARTITION', 'moved'), config)).toBeUndefined();
  });
});
