// The typed shape of one environment's configuration. Every environment file under environments/ is
// validated against this schema when the cdktf app starts, so a typo fails synth with a message naming
// the environment, the field and the fix (see environments/lib/format-issues.ts).
//
// Messages are written as "must be …" so that the formatted error reads
// `environments/staging.ts: kafka.topic: must be a Kafka topic name (…) — got "bad topic"`.
import { z } from 'zod';
import { regionProblem } from './lib/aws-regions';
import { cronProblems } from './lib/eventbridge-cron';
import { credentialsInUrl } from './lib/url-credentials';

const accountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id, e.g. "123456789012"');
const region = z.string().superRefine((code, ctx) => {
  const problem = regionProblem(code);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: code });
});

/** A URL that must not carry credentials: they would be written into the Terraform state in clear. */
function withoutCredentials<T extends z.ZodType<string>>(url: T, fix: string) {
  return url.superRefine((text, ctx) => {
    const found = credentialsInUrl(text);
    if (!found) return;
    // The issue's input is the redacted URL: the error message must not print the secret either.
    ctx.addIssue({
      code: 'custom',
      message: `must not carry credentials (${found.what}): the URL is stored in clear in the Terraform state — ${fix}`,
      input: found.redacted,
    });
  });
}
const nonEmpty = (what: string) => z.string().min(1, `must be a non-empty ${what}`);

// S3 bucket names: 3-63 characters, lowercase letters, digits, dots and hyphens.
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lowercase letters, digits, . -)');
const s3Uri = withoutCredentials(
  z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'must be an S3 URI, e.g. "s3://my-bucket/prefix/"'),
  'name the location only; access comes from the job roles',
);
// A key prefix inside the environment's data bucket: relative, ending with "/" so prefixes never overlap.
const keyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/, 'must be a relative S3 key prefix ending with "/", e.g. "input/training/"');

const kafkaTopic = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name (letters, digits, . _ -)');
const broker = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be a broker address "host:port"');
const mlflowAlias = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,254}$/, 'must be an MLflow alias (letters, digits, _ -; not starting with a digit or "v<number>")')
  .refine((alias) => !/^v\d+$/i.test(alias), 'must not look like a version ("v1" is reserved by MLflow)');

// Immutable ECR tags: "latest" would be pushed once and never move again, so it is refused.
const imageTag = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker image tag (letters, digits, _ . -; at most 128)')
  .refine((tag) => tag !== 'latest', 'must not be "latest": repositories are immutable, use a version or git sha');

// EventBridge Scheduler cron: six fields "minutes hours day-of-month month day-of-week year", e.g. "0 2 * * ? *",
// each checked against its documented values and wildcards (environments/lib/eventbridge-cron.ts).
const cron = z
  .string()
  .regex(/^\S+( \S+){5}$/, 'must be an EventBridge cron with 6 fields "min hour day-of-month month day-of-week year", e.g. "0 2 * * ? *"')
  .superRefine((expression, ctx) => {
    const problems = cronProblems(expression);
    if (problems.length > 0) ctx.addIssue({ code: 'custom', message: `must be a valid EventBridge cron: ${problems.join('; ')}`, input: expression });
  });

const timeZones = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
const timezone = z.string().refine((tz) => timeZones.has(tz), 'must be an IANA time zone, e.g. "Europe/Berlin" or "UTC"');

const schedule = z.strictObject({
  cron,
  timezone,
  enabled: z.boolean().default(true),
});

const step = z.strictObject({
  instanceType: z.string().regex(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be a SageMaker instance type, e.g. "ml.m5.xlarge"'),
  instanceCount: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(1),
  volumeSizeGb: z.number().int('must be a whole number').min(1, 'must be at least 1 GB').max(16384, 'must be at most 16384 GB').default(30),
  maxRuntimeSeconds: z
    .number()
    .int('must be a whole number of seconds')
    .min(60, 'must be at least 60 seconds')
    .max(432000, 'must be at most 432000 seconds (5 days, the SageMaker limit)')
    .default(3600),
});

const secretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
    'must be a Secrets Manager secret ARN "arn:aws:secretsmanager:<region>:<account>:secret:<name>"',
  );
const kmsKeyArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-f0-9-]+$/, 'must be a KMS key ARN "arn:aws:kms:<region>:<account>:key/<id>"');

const mlflowServer = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('sagemaker'),
      trackingServerArn: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:mlflow-tracking-server\/[A-Za-z0-9-]+$/,
          'must be a SageMaker MLflow tracking server ARN "arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>"',
        ),
    }),
    z.strictObject({
      type: z.literal('self-hosted'),
      trackingUri: withoutCredentials(
        z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL of the MLflow tracking server'),
        'give the containers credentials as a secret (mlflow.server.credentialsSecretArn), never in the URL',
      ),
      // A server that requires authentication: a secret {"username","password"} or {"token"} the steps read at
      // start (MLFLOW_CREDENTIALS_SECRET_ARN); only the ARN reaches Terraform and the pipeline definition.
      credentialsSecretArn: secretArn.optional(),
      // The key that secret is encrypted with, when it is not the AWS-managed aws/secretsmanager key.
      credentialsSecretKmsKeyArn: kmsKeyArn.optional(),
    }),
  ],
  { error: 'must have type "sagemaker" (with trackingServerArn) or "self-hosted" (with trackingUri)' },
);

const kafkaAuth = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({
      type: z.literal('sasl-scram'),
      // Amazon MSK supports SASL/SCRAM with SHA-512 only. (The scorer also speaks SCRAM-SHA-256, for brokers outside
      // MSK that it is pointed at directly; an environment deploys against MSK, so the schema does not offer it.)
      mechanism: z.literal('scram-sha-512', 'must be "scram-sha-512": Amazon MSK supports SASL/SCRAM only with SHA-512').default('scram-sha-512'),
      // Only the ARN: the credentials never enter config or Terraform state.
      secretArn,
      // MSK only accepts SCRAM secrets encrypted with a customer-managed key; the scoring role decrypts with it.
      secretKmsKeyArn: z.custom<string>((value) => value !== undefined, {
        error: 'is required with sasl-scram: Amazon MSK requires the SCRAM secret to be encrypted with a customer-managed KMS key, and the scoring role must be allowed to decrypt with it — add the key ARN "arn:aws:kms:<region>:<account>:key/<id>"',
      }).pipe(kmsKeyArn),
    }),
    z.strictObject({
      type: z.literal('msk-iam'),
      clusterArn: z
        .string()
        .regex(
          /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/,
          'must be an MSK cluster ARN "arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>"',
        ),
    }),
  ],
  { error: 'must have type "none", "sasl-scram" (with secretArn and secretKmsKeyArn) or "msk-iam" (with clusterArn)' },
);

const alertSubscription = z.discriminatedUnion(
  'protocol',
  [
    z.strictObject({ protocol: z.literal('email'), endpoint: z.email('must be an e-mail address') }),
    z.strictObject({
      protocol: z.literal('https'),
      endpoint: withoutCredentials(
        z.string().regex(/^https:\/\/\S+$/, 'must be an https URL'),
        'have the endpoint authenticate SNS by verifying the message signature instead',
      ),
    }),
    z.strictObject({
      protocol: z.literal('sqs'),
      endpoint: z.string().regex(/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'must be an SQS queue ARN'),
    }),
    z.strictObject({
      protocol: z.literal('lambda'),
      endpoint: z.string().regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$/, 'must be a Lambda function ARN'),
    }),
  ],
  { error: 'must have protocol "email", "https", "sqs" or "lambda"' },
);

export const environmentSchema = z
  .strictObject({
    /** Environment (and stack) name; taken from the file name, e.g. environments/staging.ts → "staging". */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be a lowercase name (letters, digits, -), the file name without .ts'),
    account: z.strictObject({ id: accountId, region }),
    /** Prefix of every resource name; keep it short: bucket and role names have length limits. */
    namePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/, 'must be 3-24 lowercase letters, digits and -, starting with a letter'),
    tags: z.record(z.string(), z.string()).default({}),
    remoteState: z.strictObject({
      bucket: bucketName,
      key: z.string().regex(/^[A-Za-z0-9!_.*'()/-]+\.tfstate$/, 'must be an S3 key ending with ".tfstate", e.g. "ml-platform/staging.tfstate"'),
      region,
      locking: z
        .discriminatedUnion(
          'type',
          [
            z.strictObject({ type: z.literal('s3-lockfile') }),
            z.strictObject({ type: z.literal('dynamodb'), table: nonEmpty('DynamoDB table name') }),
          ],
          { error: 'must have type "s3-lockfile" or "dynamodb" (with table)' },
        )
        .default({ type: 's3-lockfile' }),
    }),
    mlflow: z.strictObject({
      server: mlflowServer,
      /** Where the tracking server stores artifacts; the execution role may read and write there. */
      artifactStoreUri: s3Uri,
      experimentName: nonEmpty('MLflow experiment name'),
      modelName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$/, 'must be a registered model name (letters, digits, _ . -)'),
      /** The alias the batch-inference pipeline scores with. */
      scoringAlias: mlflowAlias,
      /** The alias Register moves when the quality gate passes. */
      trainingAlias: mlflowAlias,
      /** The alias the candidate must match or beat; defaults to trainingAlias. */
      compareAlias: mlflowAlias.optional(),
    }),
    kafka: z.strictObject({
      brokers: z.array(broker).min(1, 'must list at least one broker "host:port"'),
      topic: kafkaTopic,
      deadLetterTopic: kafkaTopic,
      tls: z.boolean().default(true),
      // A PEM file with the CA that signed the brokers' certificates, for brokers a public CA did not sign (MSK's
      // are: leave it unset). The scoring step gets it as a processing input (KAFKA_CA_FILE).
      caCertificateUri: s3Uri.refine((uri) => !uri.endsWith('/'), 'must be the S3 URI of a PEM file, not a prefix').optional(),
      auth: kafkaAuth.default({ type: 'none' }),
    }),
    schedules: z.strictObject({
      training: schedule,
      inference: schedule,
      retry: z
        .strictObject({
          maximumRetryAttempts: z.number().int().min(0, 'must be 0-185').max(185, 'must be 0-185').default(3),
          maximumEventAgeSeconds: z.number().int().min(60, 'must be 60-86400 seconds').max(86400, 'must be 60-86400 seconds').default(3600),
        })
        .default({ maximumRetryAttempts: 3, maximumEventAgeSeconds: 3600 }),
    }),
    steps: z.strictObject({ train: step, evaluate: step, register: step, score: step }),
    images: z.strictObject({
      trainer: imageTag,
      scorer: imageTag,
      /** ECR lifecycle: how many tagged images to keep, how long untagged layers live. */
      keepTaggedImages: z.number().int().min(1, 'must be at least 1').default(30),
      untaggedExpiryDays: z.number().int().min(1, 'must be at least 1 day').default(7),
    }),
    data: z.strictObject({
      trainingInputPrefix: keyPrefix,
      evaluationInputPrefix: keyPrefix,
      inferenceInputPrefix: keyPrefix,
      runOutputPrefix: keyPrefix.default('runs/'),
      runOutputRetentionDays: z.number().int().min(1, 'must be at least 1 day').default(90),
      /** S3 server access logs of the data bucket expire after this many days. */
      accessLogRetentionDays: z.number().int().min(1, 'must be at least 1 day').default(365),
    }),
    qualityGate: z.strictObject({
      metric: z.enum(['auc', 'accuracy', 'f1'], 'must be one of "auc", "accuracy", "f1" (higher is better)').default('auc'),
      threshold: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
    }),
    scoring: z
      .strictObject({
        maxRejectedRatio: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(0.01),
      })
      .default({ maxRejectedRatio: 0.01 }),
    alerts: z.strictObject({ subscriptions: z.array(alertSubscription).default([]) }).default({ subscriptions: [] }),
    vpc: z
      .strictObject({
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must be a subnet id "subnet-…"')).min(1, 'must list at least one subnet'),
        securityGroupIds: z
          .array(z.string().regex(/^sg-[0-9a-f]+$/, 'must be a security group id "sg-…"'))
          .min(1, 'must list at least one security group'),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    const auth = config.kafka.auth;
    if (auth.type !== 'none' && !config.kafka.tls) {
      ctx.addIssue({
        code: 'custom',
        path: ['kafka', 'tls'],
        input: config.kafka.tls,
        message: `must be true when kafka.auth.type is "${auth.type}" (MSK only offers it over TLS)`,
      });
    }
    if (config.kafka.caCertificateUri !== undefined && !config.kafka.tls) {
      ctx.addIssue({ code: 'custom', path: ['kafka', 'caCertificateUri'], input: config.kafka.caCertificateUri, message: 'must only be set when kafka.tls is true' });
    }
    if (config.kafka.topic === config.kafka.deadLetterTopic) {
      ctx.addIssue({
        code: 'custom',
        path: ['kafka', 'deadLetterTopic'],
        input: config.kafka.deadLetterTopic,
        message: 'must differ from kafka.topic, or rejected rows would reach consumers of the predictions',
      });
    }
    const sameRegion = (arn: string, path: (string | number)[]) => {
      // An invalid region is already reported on account.region; comparing against it would only add noise.
      if (regionProblem(config.account.region)) return;
      if (arn.split(':')[3] !== config.account.region) {
        ctx.addIssue({ code: 'custom', path, input: arn, message: `must be in the environment's region ${config.account.region}` });
      }
    };
    if (config.mlflow.server.type === 'sagemaker') sameRegion(config.mlflow.server.trackingServerArn, ['mlflow', 'server', 'trackingServerArn']);
    if (auth.type === 'msk-iam') sameRegion(auth.clusterArn, ['kafka', 'auth', 'clusterArn']);
    if (auth.type === 'sasl-scram' && auth.secretKmsKeyArn.split(':')[3] !== auth.secretArn.split(':')[3]) {
      ctx.addIssue({
        code: 'custom',
        path: ['kafka', 'auth', 'secretKmsKeyArn'],
        input: auth.secretKmsKeyArn,
        message: "must be in the secret's region (Secrets Manager encrypts a secret with a key of its own region)",
      });
    }
  });

/** A validated environment, with defaults applied. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;
/** What an environment file writes: the name comes from the file name, defaults may be left out. */
export type EnvironmentInput = Omit<z.input<typeof environmentSchema>, 'name'>;

/** Identity function that gives environment files type checking and editor completion. */
export function defineEnvironment(input: EnvironmentInput): EnvironmentInput {
  return input;
}

/** environments/image-tags/<env>.json, written by the build-push script, overrides images.trainer/scorer. */
export const imageTagsOverrideSchema = z.strictObject({ trainer: imageTag.optional(), scorer: imageTag.optional() });
export type ImageTagsOverride = z.output<typeof imageTagsOverrideSchema>;
