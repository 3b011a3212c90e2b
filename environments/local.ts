// Local: the environment `npm run nightly` deploys into the AWS emulator (moto) with real terraform and runs
// with the local pipeline executor, against the Kafka broker and MLflow server of scripts/local/services.
// Same schema and same stack as staging and prod: only the values differ. Service addresses and the scoring
// shard count come from environments/lib/local-endpoints.ts (fixed defaults, overridden by the local run). When the
// services run secured, the same file hands over the provisioned secrets and CA, and `local` is configured like
// staging: TLS, SASL/SCRAM-SHA-512 with the secret's ARN and KMS key, an MLflow server that requires credentials.
import { defineEnvironment } from './schema';
import { localEndpoints } from './lib/local-endpoints';

const local = localEndpoints();

export default defineEnvironment({
  // One moto server answers as this account (MOTO_ACCOUNT_ID); the provider's allowed_account_ids checks it.
  account: { id: '000000000000', region: 'eu-central-1' },
  namePrefix: 'mlp-local',
  tags: { Project: 'ml-platform', Environment: 'local', CostCenter: 'ml-platform' },
  // Replaced by a local backend when deploying into the emulator (scripts/local/deploy); kept valid for synth.
  remoteState: {
    bucket: 'mlp-terraform-state-000000000000',
    key: 'ml-platform/local.tfstate',
    region: 'eu-central-1',
    locking: { type: 's3-lockfile' },
  },
  mlflow: {
    server: {
      type: 'self-hosted',
      trackingUri: local.mlflowUri,
      ...(local.mlflowCredentials
        ? {
            credentialsSecretArn: local.mlflowCredentials.secretArn,
            ...(local.mlflowCredentials.kmsKeyArn ? { credentialsSecretKmsKeyArn: local.mlflowCredentials.kmsKeyArn } : {}),
          }
        : {}),
    },
    artifactStoreUri: 's3://mlp-mlflow-artifacts-000000000000/local/',
    experimentName: 'churn-nightly-local',
    modelName: 'churn-classifier',
    // Like staging: training moves "challenger" and scoring reads it; "champion" is what a candidate must beat.
    scoringAlias: 'challenger',
    trainingAlias: 'challenger',
    compareAlias: 'champion',
  },
  kafka: {
    brokers: [...local.kafkaBrokers],
    topic: 'local.predictions',
    deadLetterTopic: 'local.predictions.dlq',
    ...(local.kafkaSecurity
      ? {
          tls: true,
          caCertificateUri: local.kafkaSecurity.caCertificateUri,
          auth: {
            type: 'sasl-scram',
            mechanism: 'scram-sha-512',
            secretArn: local.kafkaSecurity.secretArn,
            secretKmsKeyArn: local.kafkaSecurity.secretKmsKeyArn,
          },
        }
      : { tls: false, auth: { type: 'none' } }),
  },
  schedules: {
    training: { cron: '0 1 * * ? *', timezone: 'UTC', enabled: true },
    inference: { cron: '30 3 * * ? *', timezone: 'UTC', enabled: true },
    retry: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 1800 },
  },
  steps: {
    train: { instanceType: 'ml.m5.large', instanceCount: 1, volumeSizeGb: 30, maxRuntimeSeconds: 1800 },
    evaluate: { instanceType: 'ml.t3.medium', instanceCount: 1, volumeSizeGb: 20, maxRuntimeSeconds: 900 },
    register: { instanceType: 'ml.t3.medium', instanceCount: 1, volumeSizeGb: 20, maxRuntimeSeconds: 900 },
    score: { instanceType: 'ml.m5.large', instanceCount: local.scoreInstances, volumeSizeGb: 30, maxRuntimeSeconds: 1800 },
  },
  images: { trainer: '0.1.0', scorer: '0.1.0', keepTaggedImages: 5, untaggedExpiryDays: 1 },
  data: {
    trainingInputPrefix: 'input/training/',
    evaluationInputPrefix: 'input/evaluation/',
    inferenceInputPrefix: 'input/scoring/',
    runOutputPrefix: 'runs/',
    runOutputRetentionDays: 7,
  },
  qualityGate: { metric: 'auc', threshold: 0.7 },
  scoring: { maxRejectedRatio: 0.01 },
  alerts: { subscriptions: [] },
});
