// The `local` environment against secured local services: synthesized from the MLP_LOCAL_* variables the services
// export, it must be configured like staging (TLS, SASL/SCRAM by secret ARN, KMS key) and hand the steps what
// they need to authenticate — ARNs and a CA file path, never a credential.
import { loadEnvironment, platformNames } from '../../environments';
import { localEndpoints } from '../../environments/lib/local-endpoints';
import { loadLocalEnvironment, pipelineDefinition, rolePolicies, statement, synthConfig, variant, type Json } from './support/synthesized';

const ARNS = {
  MLP_LOCAL_KAFKA_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:AmazonMSK_local-services-producer-AbCdEf',
  MLP_LOCAL_KAFKA_SECRET_KMS_KEY_ARN: 'arn:aws:kms:eu-central-1:000000000000:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  MLP_LOCAL_KAFKA_CA_URI: 's3://local-services-000000000000/kafka/ca.pem',
  MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:local-services/mlflow-app-GhIjKl',
  MLP_LOCAL_MLFLOW_CREDENTIALS_KMS_KEY_ARN: 'arn:aws:kms:eu-central-1:000000000000:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
};


describe('the local environment against secured services', () => {
  const config = loadLocalEnvironment(ARNS);
  const synth = synthConfig(config);
  // Every step, including those nested in a Condition's branches (Register runs only when the gate passes).
  const flatten = (list: Json[]): Json[] => list.flatMap((s) => (s.Type === 'Condition' ? [s, ...flatten([...(s.Arguments.IfSteps ?? []), ...(s.Arguments.ElseSteps ?? [])])] : [s]));
  const steps = (pipeline: string): Json[] => flatten(pipelineDefinition(synth, `mlp-local-${pipeline}`).Steps);
  const score = steps('inference').find((s) => s.Name === 'Score');
  const names = platformNames(config);
  const scoring = Object.values(rolePolicies(synth, names.scoringRole)).flat();
  const training = Object.values(rolePolicies(synth, names.trainingRole)).flat();

  it('is configured like staging: TLS, SASL/SCRAM-SHA-512 with the secret and its KMS key, the CA, MLflow credentials', () => {
    expect(config.kafka).toMatchObject({
      tls: true,
      caCertificateUri: ARNS.MLP_LOCAL_KAFKA_CA_URI,
      auth: { type: 'sasl-scram', mechanism: 'scram-sha-512', secretArn: ARNS.MLP_LOCAL_KAFKA_SECRET_ARN, secretKmsKeyArn: ARNS.MLP_LOCAL_KAFKA_SECRET_KMS_KEY_ARN },
    });
    expect(config.mlflow.server).toEqual({
      type: 'self-hosted',
      trackingUri: 'http://127.0.0.1:15000',
      credentialsSecretArn: ARNS.MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN,
      credentialsSecretKmsKeyArn: ARNS.MLP_LOCAL_MLFLOW_CREDENTIALS_KMS_KEY_ARN,
    });
  });

  it('gives the Score step the CA as a processing input and the scorer its path, TLS and the SCRAM secret ARN', () => {
    const ca = score.Arguments.ProcessingInputs.find((input: Json) => input.InputName === 'kafka-ca');
    expect(ca.S3Input).toMatchObject({ S3Uri: ARNS.MLP_LOCAL_KAFKA_CA_URI, LocalPath: '/opt/ml/processing/input/kafka-ca', S3DataType: 'S3Prefix' });
    expect(score.Arguments.Environment).toMatchObject({
      KAFKA_TLS: 'true',
      KAFKA_CA_FILE: '/opt/ml/processing/input/kafka-ca/ca.pem',
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SASL_SECRET_ARN: ARNS.MLP_LOCAL_KAFKA_SECRET_ARN,
    });
  });

  it('passes the MLflow credentials secret ARN to every step that talks to MLflow', () => {
    const all = [...steps('training'), ...steps('inference')].filter((s) => s.Type !== 'Condition' && s.Type !== 'Fail');
    expect(all.map((s) => s.Name).sort()).toEqual(['Evaluate', 'Register', 'Score', 'Train']);
    for (const step of all) {
      const env = step.Arguments.Environment;
      expect({ step: step.Name, arn: env.MLFLOW_CREDENTIALS_SECRET_ARN }).toEqual({ step: step.Name, arn: ARNS.MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN });
    }
  });

  it('lets the scoring role read both secrets and fetch the CA, the training role only the MLflow secret, decrypting only through Secrets Manager', () => {
    const decrypts = (statements: typeof scoring, sid: string) =>
      expect(statement(statements, sid)).toMatchObject({
        Action: ['kms:Decrypt'],
        Resource: ARNS.MLP_LOCAL_KAFKA_SECRET_KMS_KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com' } },
      });
    expect(statement(scoring, 'ReadKafkaCredentials').Resource).toBe(ARNS.MLP_LOCAL_KAFKA_SECRET_ARN);
    decrypts(scoring, 'DecryptKafkaCredentials');
    for (const statements of [scoring, training]) {
      expect(statement(statements, 'ReadMlflowCredentials').Resource).toBe(ARNS.MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN);
      decrypts(statements, 'DecryptMlflowCredentials');
    }
    expect(statement(scoring, 'ReadKafkaCaCertificate').Resource).toBe('arn:aws:s3:::local-services-000000000000/kafka/ca.pem');
    expect(statement(scoring, 'ListKafkaCaCertificate')).toMatchObject({
      Resource: 'arn:aws:s3:::local-services-000000000000',
      Condition: { StringLike: { 's3:prefix': 'kafka/ca.pem' } },
    });
    // Control: the training role gets nothing of Kafka.
    expect(training.map((s) => s.Sid)).not.toContain('ReadKafkaCredentials');
    expect(training.map((s) => s.Sid)).not.toContain('ReadKafkaCaCertificate');
  });

  it('puts no credential into Terraform: only ARNs and paths', () => {
    expect(synth.raw).not.toMatch(/MLFLOW_TRACKING_(USERNAME|PASSWORD|TOKEN)|"password"/);
  });
});

describe('the MLP_LOCAL_* variables of a secured run', () => {
  it('leave local plaintext and open when unset', () => {
    const plain = loadEnvironment('local');
    expect(plain.kafka).toMatchObject({ tls: false, auth: { type: 'none' } });
    expect(plain.kafka.caCertificateUri).toBeUndefined();
    expect(plain.mlflow.server).toEqual({ type: 'self-hosted', trackingUri: 'http://127.0.0.1:15000' });
  });

  it('name the missing ones when a secured broker is half described', () => {
    expect(() => localEndpoints({ MLP_LOCAL_KAFKA_SECRET_ARN: ARNS.MLP_LOCAL_KAFKA_SECRET_ARN })).toThrow(
      'environments/local.ts: MLP_LOCAL_KAFKA_SECRET_KMS_KEY_ARN, MLP_LOCAL_KAFKA_CA_URI: must be set together with MLP_LOCAL_KAFKA_SECRET_ARN',
    );
    expect(() => localEndpoints({ ...ARNS, MLP_LOCAL_KAFKA_CA_URI: 's3://bucket/kafka/' })).toThrow('MLP_LOCAL_KAFKA_CA_URI: must be the S3 URI of a PEM file');
    expect(() => localEndpoints({ MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN: 'secret' })).toThrow('MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN: must be a Secrets Manager secret ARN');
  });
});

describe('the schema fields of secured transports', () => {
  it('refuses a CA for brokers reached without TLS, and a CA prefix instead of a file', () => {
    expect(() => variant('staging', (raw) => {
      raw.kafka.tls = false;
      raw.kafka.auth = { type: 'none' };
      raw.kafka.caCertificateUri = 's3://bucket/ca.pem';
    })).toThrow('kafka.caCertificateUri: must only be set when kafka.tls is true');
    expect(() => variant('staging', (raw) => {
      raw.kafka.caCertificateUri = 's3://bucket/certs/';
    })).toThrow('kafka.caCertificateUri: must be the S3 URI of a PEM file, not a prefix');
  });

  it('accepts MLflow credentials only as a secret ARN on a self-hosted server', () => {
    expect(() => variant('local', (raw) => {
      raw.mlflow.server.credentialsSecretArn = 'user:password';
    })).toThrow('mlflow.server.credentialsSecretArn: must be a Secrets Manager secret ARN');
    expect(() => variant('staging', (raw) => {
      raw.mlflow.server.credentialsSecretArn = ARNS.MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN;
    })).toThrow(/mlflow\.server/);
  });
});
