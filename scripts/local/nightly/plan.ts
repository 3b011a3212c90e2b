// The nightly flow as data: which folders one local run uses and the environment each container step gets.
// Kept pure so the wiring (paths, variables, aliases) is unit-tested without running anything.
import path from 'node:path';

export interface NightlyOptions {
  trainRows: number;
  scoreRows: number;
  badRows: number;
  scoreFormat: 'csv' | 'parquet';
  scoreFiles: number;
  seed: number;
  modelName: string;
  alias: string;
  qualityThreshold: number;
  topic: string;
  deadLetterTopic: string;
  workDir: string;
  keepServices: boolean;
}

export const DEFAULTS: Omit<NightlyOptions, 'workDir'> = {
  trainRows: 20_000,
  scoreRows: 100_000,
  badRows: 25,
  scoreFormat: 'parquet',
  scoreFiles: 2,
  seed: 7,
  modelName: 'churn-classifier',
  alias: 'champion',
  qualityThreshold: 0.7,
  topic: 'local.predictions',
  deadLetterTopic: 'local.predictions.dlq',
  keepServices: false,
};

export interface RunFolders {
  root: string;
  train: string;
  test: string;
  score: string;
  hyperparameters: string;
  model: string;
  evaluation: string;
  registration: string;
  scoreOutput: string;
  logs: string;
  failureFile: string;
}

export function runFolders(workDir: string, runId: string): RunFolders {
  const root = path.join(workDir, runId);
  return {
    root,
    train: path.join(root, 'data', 'train'),
    test: path.join(root, 'data', 'test'),
    score: path.join(root, 'data', 'score'),
    hyperparameters: path.join(root, 'config', 'hyperparameters.json'),
    model: path.join(root, 'model'),
    evaluation: path.join(root, 'evaluation'),
    registration: path.join(root, 'registration'),
    scoreOutput: path.join(root, 'score-output'),
    logs: path.join(root, 'logs'),
    failureFile: path.join(root, 'failure'),
  };
}

export interface RunIdentity {
  runId: string;
  runDate: string;
  gitSha: string;
}

/** The variables the training pipeline's steps get in SageMaker (docs/container-interface.md), for local endpoints. */
export function trainerEnv(o: NightlyOptions, id: RunIdentity, mlflowUri: string, dataUri: string): Record<string, string> {
  return {
    MLFLOW_TRACKING_URI: mlflowUri,
    MLFLOW_EXPERIMENT_NAME: `${o.modelName}-local`,
    MODEL_NAME: o.modelName,
    TARGET_ALIAS: o.alias,
    COMPARE_ALIAS: o.alias,
    QUALITY_METRIC: 'auc',
    QUALITY_THRESHOLD: String(o.qualityThreshold),
    RUN_DATE: id.runDate,
    DATA_URI: dataUri,
    GIT_SHA: id.gitSha,
  };
}

/** The variables the inference pipeline's Score step gets in SageMaker, for local endpoints and folders. */
export function scorerEnv(o: NightlyOptions, id: RunIdentity, f: RunFolders, mlflowUri: string, brokers: string[]): Record<string, string> {
  return {
    INPUT_PATH: f.score,
    OUTPUT_PATH: f.scoreOutput,
    MLFLOW_TRACKING_URI: mlflowUri,
    MODEL_NAME: o.modelName,
    MODEL_ALIAS: o.alias,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC: o.topic,
    KAFKA_DLQ_TOPIC: o.deadLetterTopic,
    // Local runs own their broker; in AWS the topics are provisioned by the Kafka team and never created here.
    KAFKA_CREATE_TOPICS: 'true',
    RUN_ID: id.runId,
    RUN_DATE: id.runDate,
  };
}
