// The environment variables through which apps, tests and scripts find the local services.
import { LOCAL_ENDPOINT_VARIABLES } from '../../../environments/lib/local-endpoints';
import { AWS_REGION, AWS_TEST_CREDENTIALS } from './aws';
import type { Credentials } from './security';
import type { Endpoints } from './types';

/**
 * The apps' own variables (docs/container-interface.md): a scorer, trainer or script started with them talks to
 * these services. In the secured mode they carry TLS, SASL and the CA file, the secret ARNs the apps read their
 * credentials from, and MLflow's client variables for the app user (for CLIs run by hand).
 */
export function endpointsToEnv(endpoints: Endpoints, mlflowUser?: Credentials): Record<string, string> {
  const env: Record<string, string> = {};
  if (endpoints.kafka) {
    env.KAFKA_BROKERS = endpoints.kafka.brokers.join(',');
    const security = endpoints.kafka.security;
    if (security) {
      env.KAFKA_TLS = 'true';
      env.KAFKA_CA_FILE = security.caFile;
      env.KAFKA_AUTH = security.mechanism;
      if (security.producerSecretArn) env.KAFKA_SASL_SECRET_ARN = security.producerSecretArn;
      if (security.consumerSecretArn) env.KAFKA_CONSUMER_SASL_SECRET_ARN = security.consumerSecretArn;
    }
  }
  if (endpoints.mlflow) {
    env.MLFLOW_TRACKING_URI = endpoints.mlflow.trackingUri;
    if (endpoints.mlflow.security && mlflowUser) {
      env.MLFLOW_TRACKING_USERNAME = mlflowUser.username;
      env.MLFLOW_TRACKING_PASSWORD = mlflowUser.password;
    }
  }
  if (endpoints.aws) {
    env.AWS_ENDPOINT_URL = endpoints.aws.endpointUrl;
    env.AWS_REGION = endpoints.aws.region || AWS_REGION;
    env.AWS_ACCESS_KEY_ID = AWS_TEST_CREDENTIALS.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = AWS_TEST_CREDENTIALS.secretAccessKey;
  }
  return env;
}

/**
 * The MLP_LOCAL_* variables environments/local.ts reads (environments/lib/local-endpoints.ts): synthesizing `local`
 * with them points the stack at these services; in the secured mode the stack then has TLS, SASL/SCRAM with the
 * provisioned secret and KMS key, the CA as a processing input, and the MLflow credentials secret.
 */
export function endpointsToLocalEnvironment(endpoints: Endpoints): Record<string, string> {
  const v = LOCAL_ENDPOINT_VARIABLES;
  const env: Record<string, string> = {};
  if (endpoints.kafka) {
    env[v.kafkaBrokers] = endpoints.kafka.brokers.join(',');
    const s = endpoints.kafka.security;
    if (s?.producerSecretArn && s.secretKmsKeyArn && s.caUri) {
      env[v.kafkaSecretArn] = s.producerSecretArn;
      env[v.kafkaSecretKmsKeyArn] = s.secretKmsKeyArn;
      env[v.kafkaCaUri] = s.caUri;
    }
  }
  if (endpoints.mlflow) {
    env[v.mlflowUri] = endpoints.mlflow.trackingUri;
    const s = endpoints.mlflow.security;
    if (s?.credentialsSecretArn && s.secretKmsKeyArn) {
      env[v.mlflowCredentialsSecretArn] = s.credentialsSecretArn;
      env[v.mlflowCredentialsKmsKeyArn] = s.secretKmsKeyArn;
    }
  }
  return env;
}

/** Variables whose values are credentials: shown as `***` in run records and `services status`. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(['MLFLOW_TRACKING_PASSWORD']);

export function redact(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, SECRET_VARIABLES.has(k) ? '***' : v]));
}

/** `export A='x' B='y'` for a shell; values are single-quoted so nothing in them is expanded. */
export function renderExportLine(env: Record<string, string>): string {
  const parts = Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`);
  return parts.length === 0 ? '' : `export ${parts.join(' ')}`;
}
