// Staging: small instances, runs early so results are there before the working day, trains the
// "challenger" alias and scores with it, publishes to staging topics. Reference: docs/infrastructure.md.
import { defineEnvironment } from './schema';

export default defineEnvironment({
  account: { id: '111111111111', region: 'eu-central-1' },
  namePrefix: 'mlp-staging',
  tags: { Project: 'ml-platform', Environment: 'staging', CostCenter: 'ml-platform' },
  remoteState: {
    bucket: 'mlp-terraform-state-111111111111',
    key: 'ml-platform/staging.tfstate',
    region: 'eu-central-1',
    locking: { type: 's3-lockfile' },
  },
  mlflow: {
    server: {
      type: 'sagemaker',
      trackingServerArn: 'arn:aws:sagemaker:eu-central-1:111111111111:mlflow-tracking-server/mlp-staging',
    },
    artifactStoreUri: 's3://mlp-mlflow-artifacts-111111111111/staging/',
    experimentName: 'churn-nightly-staging',
    modelName: 'churn-classifier',
    scoringAlias: 'challenger',
    trainingAlias: 'challenger',
    compareAlias: 'champion',
  },
  kafka: {
    brokers: ['b-1.mlp-staging.kafka.eu-central-1.amazonaws.com:9096', 'b-2.mlp-staging.kafka.eu-central-1.amazonaws.com:9096'],
    topic: 'staging.predictions',
    deadLetterTopic: 'staging.predictions.dlq',
    tls: true,
    auth: {
      type: 'sasl-scram',
      mechanism: 'scram-sha-512',
      secretArn: 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:AmazonMSK_mlp-staging-scorer-Ab12Cd',
      // MSK requires SCRAM secrets to be encrypted with a customer-managed key; the scoring role may decrypt with it.
      secretKmsKeyArn: 'arn:aws:kms:eu-central-1:111111111111:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
    },
  },
  schedules: {
    training: { cron: '0 1 * * ? *', timezone: 'Europe/Berlin', enabled: true },
    inference: { cron: '30 3 * * ? *', timezone: 'Europe/Berlin', enabled: true },
    retry: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 1800 },
  },
  steps: {
    train: { instanceType: 'ml.m5.large', instanceCount: 1, volumeSizeGb: 30, maxRuntimeSeconds: 3600 },
    evaluate: { instanceType: 'ml.t3.medium', instanceCount: 1, volumeSizeGb: 20, maxRuntimeSeconds: 1800 },
    register: { instanceType: 'ml.t3.medium', instanceCount: 1, volumeSizeGb: 20, maxRuntimeSeconds: 900 },
    score: { instanceType: 'ml.m5.large', instanceCount: 1, volumeSizeGb: 30, maxRuntimeSeconds: 3600 },
  },
  images: { trainer: '0.1.0', scorer: '0.1.0', keepTaggedImages: 20, untaggedExpiryDays: 3 },
  data: {
    trainingInputPrefix: 'input/training/',
    evaluationInputPrefix: 'input/evaluation/',
    inferenceInputPrefix: 'input/scoring/',
    runOutputPrefix: 'runs/',
    runOutputRetentionDays: 30,
  },
  qualityGate: { metric: 'auc', threshold: 0.7 },
  scoring: { maxRejectedRatio: 0.05 },
  alerts: { subscriptions: [{ protocol: 'email', endpoint: 'ml-platform-staging@example.com' }] },
});
