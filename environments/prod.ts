// Prod: larger instances, scoring sharded over 4 instances, strict quality gate, trains "challenger" and
// scores with "champion" (moved by the promote-model script, never by training). Inside a VPC, MSK IAM auth.
import { defineEnvironment } from './schema';

export default defineEnvironment({
  account: { id: '222222222222', region: 'eu-central-1' },
  namePrefix: 'mlp-prod',
  tags: { Project: 'ml-platform', Environment: 'prod', CostCenter: 'ml-platform', DataClassification: 'confidential' },
  remoteState: {
    bucket: 'mlp-terraform-state-222222222222',
    key: 'ml-platform/prod.tfstate',
    region: 'eu-central-1',
    locking: { type: 'dynamodb', table: 'mlp-terraform-locks' },
  },
  mlflow: {
    server: {
      type: 'sagemaker',
      trackingServerArn: 'arn:aws:sagemaker:eu-central-1:222222222222:mlflow-tracking-server/mlp-prod',
    },
    artifactStoreUri: 's3://mlp-mlflow-artifacts-222222222222/prod/',
    experimentName: 'churn-nightly-prod',
    modelName: 'churn-classifier',
    scoringAlias: 'champion',
    trainingAlias: 'challenger',
    compareAlias: 'champion',
  },
  kafka: {
    brokers: [
      'b-1.mlp-prod.kafka.eu-central-1.amazonaws.com:9098',
      'b-2.mlp-prod.kafka.eu-central-1.amazonaws.com:9098',
      'b-3.mlp-prod.kafka.eu-central-1.amazonaws.com:9098',
    ],
    topic: 'prod.predictions',
    deadLetterTopic: 'prod.predictions.dlq',
    tls: true,
    auth: { type: 'msk-iam', clusterArn: 'arn:aws:kafka:eu-central-1:222222222222:cluster/mlp-prod/6f1c2b3a-1d2e-4f5a-9b8c-7d6e5f4a3b2c-2' },
  },
  schedules: {
    training: { cron: '30 0 * * ? *', timezone: 'Europe/Berlin', enabled: true },
    inference: { cron: '0 4 * * ? *', timezone: 'Europe/Berlin', enabled: true },
    retry: { maximumRetryAttempts: 5, maximumEventAgeSeconds: 7200 },
  },
  steps: {
    train: { instanceType: 'ml.m5.2xlarge', instanceCount: 1, volumeSizeGb: 100, maxRuntimeSeconds: 14400 },
    evaluate: { instanceType: 'ml.m5.large', instanceCount: 1, volumeSizeGb: 50, maxRuntimeSeconds: 3600 },
    register: { instanceType: 'ml.t3.medium', instanceCount: 1, volumeSizeGb: 20, maxRuntimeSeconds: 900 },
    score: { instanceType: 'ml.c5.2xlarge', instanceCount: 4, volumeSizeGb: 100, maxRuntimeSeconds: 10800 },
  },
  images: { trainer: '0.1.0', scorer: '0.1.0', keepTaggedImages: 50, untaggedExpiryDays: 7 },
  data: {
    trainingInputPrefix: 'input/training/',
    evaluationInputPrefix: 'input/evaluation/',
    inferenceInputPrefix: 'input/scoring/',
    runOutputPrefix: 'runs/',
    runOutputRetentionDays: 180,
  },
  qualityGate: { metric: 'auc', threshold: 0.8 },
  scoring: { maxRejectedRatio: 0.01 },
  alerts: {
    subscriptions: [
      { protocol: 'email', endpoint: 'ml-platform-oncall@example.com' },
      { protocol: 'https', endpoint: 'https://alerts.example.com/hooks/ml-platform' },
    ],
  },
  vpc: { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1c2d3e4f5a60719'], securityGroupIds: ['sg-0c1d2e3f4a5b60712'] },
});
