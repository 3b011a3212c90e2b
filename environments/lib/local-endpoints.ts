// The `local` environment points at services on this machine (scripts/local/services). Their addresses are
// fixed by default so a plain `npm run synth` is reproducible; the local nightly run and the tests, which start
// the services on ports of their own, pass theirs through these variables when they synthesize `local`.
// The secured local services (`startServices({ secure })`) also hand over what a platform team provisions before an
// environment is deployed: the SCRAM secret and its KMS key, the brokers' CA as an S3 object, the MLflow
// credentials secret. With them `local` synthesizes like staging: TLS, SASL/SCRAM, secrets by ARN only.
// Read here, at the edge, and validated: a bad value names the variable, never a field deep in the stack.
import { z } from 'zod';
import { EnvironmentConfigError } from './config-error';

export const LOCAL_ENDPOINT_VARIABLES = {
  kafkaBrokers: 'MLP_LOCAL_KAFKA_BROKERS',
  mlflowUri: 'MLP_LOCAL_MLFLOW_URI',
  scoreInstances: 'MLP_LOCAL_SCORE_INSTANCES',
  kafkaSecretArn: 'MLP_LOCAL_KAFKA_SECRET_ARN',
  kafkaSecretKmsKeyArn: 'MLP_LOCAL_KAFKA_SECRET_KMS_KEY_ARN',
  kafkaCaUri: 'MLP_LOCAL_KAFKA_CA_URI',
  mlflowCredentialsSecretArn: 'MLP_LOCAL_MLFLOW_CREDENTIALS_SECRET_ARN',
  mlflowCredentialsKmsKeyArn: 'MLP_LOCAL_MLFLOW_CREDENTIALS_KMS_KEY_ARN',
} as const;

/** Set together or not at all: a secured broker needs all three. */
const KAFKA_SECURITY_KEYS = ['kafkaSecretArn', 'kafkaSecretKmsKeyArn', 'kafkaCaUri'] as const;

export const LOCAL_DEFAULTS = {
  kafkaBrokers: ['127.0.0.1:19092'],
  mlflowUri: 'http://127.0.0.1:15000',
  scoreInstances: 1,
} as const;

const loopbackBroker = z.string().regex(/^(127\.\d+\.\d+\.\d+|localhost):\d{1,5}$/, 'must be a loopback "host:port", e.g. "127.0.0.1:19092"');
// The ARNs the emulator hands out: account and region are whatever the services ran as; the environment schema
// checks them against environments/local.ts as it does for staging.
const secretArn = z.string().regex(/^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/, 'must be a Secrets Manager secret ARN');
const kmsKeyArn = z.string().regex(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\/\S+$/, 'must be a KMS key ARN');
const schema = z.object({
  kafkaBrokers: z
    .string()
    .transform((list) => list.split(',').map((broker) => broker.trim()))
    .pipe(z.array(loopbackBroker).min(1))
    .optional(),
  mlflowUri: z
    .string()
    .regex(/^http:\/\/(127\.\d+\.\d+\.\d+|localhost):\d{1,5}$/, 'must be a loopback URL "http://127.0.0.1:<port>"')
    .optional(),
  scoreInstances: z
    .string()
    .regex(/^[1-9]\d*$/, 'must be a whole number from 1')
    .transform(Number)
    .optional(),
  kafkaSecretArn: secretArn.optional(),
  kafkaSecretKmsKeyArn: kmsKeyArn.optional(),
  kafkaCaUri: z.string().regex(/^s3:\/\/[a-z0-9.-]+\/\S*[^/]$/, 'must be the S3 URI of a PEM file, e.g. "s3://bucket/kafka/ca.pem"').optional(),
  mlflowCredentialsSecretArn: secretArn.optional(),
  mlflowCredentialsKmsKeyArn: kmsKeyArn.optional(),
});

export interface LocalEndpoints {
  readonly kafkaBrokers: readonly string[];
  readonly mlflowUri: string;
  readonly scoreInstances: number;
  /** Set when the services run secured: the broker takes SASL_SSL with SCRAM-SHA-512 only. */
  readonly kafkaSecurity?: { readonly secretArn: string; readonly secretKmsKeyArn: string; readonly caCertificateUri: string };
  /** Set when the MLflow server requires authentication: the app user's credentials secret. */
  readonly mlflowCredentials?: { readonly secretArn: string; readonly kmsKeyArn?: string };
}

/** The local services' addresses and the scoring shard count for environments/local.ts. */
export function localEndpoints(env: NodeJS.ProcessEnv = process.env): LocalEndpoints {
  const raw = Object.fromEntries(
    Object.entries(LOCAL_ENDPOINT_VARIABLES).map(([key, variable]) => [key, env[variable] === '' ? undefined : env[variable]]),
  );
  const parsed = schema.safeParse(raw, { reportInput: true });
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const key = issue.path[0] as keyof typeof LOCAL_ENDPOINT_VARIABLES;
        return `${LOCAL_ENDPOINT_VARIABLES[key]}: ${issue.message} — got ${JSON.stringify(raw[key])}`;
      });
  const given = KAFKA_SECURITY_KEYS.filter((key) => raw[key] !== undefined);
  if (given.length > 0 && given.length < KAFKA_SECURITY_KEYS.length) {
    const missing = KAFKA_SECURITY_KEYS.filter((key) => raw[key] === undefined).map((key) => LOCAL_ENDPOINT_VARIABLES[key]);
    problems.push(`${missing.join(', ')}: must be set together with ${given.map((key) => LOCAL_ENDPOINT_VARIABLES[key]).join(', ')} (a secured broker needs its secret, the secret's KMS key and its CA)`);
  }
  if (raw.mlflowCredentialsKmsKeyArn !== undefined && raw.mlflowCredentialsSecretArn === undefined) {
    problems.push(`${LOCAL_ENDPOINT_VARIABLES.mlflowCredentialsSecretArn}: must be set when ${LOCAL_ENDPOINT_VARIABLES.mlflowCredentialsKmsKeyArn} is`);
  }
  if (!parsed.success || problems.length > 0) throw new EnvironmentConfigError('environments/local.ts', problems);
  const data = parsed.data;
  return {
    kafkaBrokers: data.kafkaBrokers ?? LOCAL_DEFAULTS.kafkaBrokers,
    mlflowUri: data.mlflowUri ?? LOCAL_DEFAULTS.mlflowUri,
    scoreInstances: data.scoreInstances ?? LOCAL_DEFAULTS.scoreInstances,
    ...(data.kafkaSecretArn && data.kafkaSecretKmsKeyArn && data.kafkaCaUri
      ? { kafkaSecurity: { secretArn: data.kafkaSecretArn, secretKmsKeyArn: data.kafkaSecretKmsKeyArn, caCertificateUri: data.kafkaCaUri } }
      : {}),
    ...(data.mlflowCredentialsSecretArn
      ? { mlflowCredentials: { secretArn: data.mlflowCredentialsSecretArn, ...(data.mlflowCredentialsKmsKeyArn ? { kmsKeyArn: data.mlflowCredentialsKmsKeyArn } : {}) } }
      : {}),
  };
}

/** The environment that lives on this machine: deployed into the AWS emulator, run by the local executor. */
export const LOCAL_ENVIRONMENT = 'local';
