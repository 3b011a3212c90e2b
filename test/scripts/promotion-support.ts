// Helpers of the model:promote integration tests: models registered by the trainer's own entrypoints (the steps
// the training pipeline runs), the promote command pointed at local servers, and the promotion records in S3.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadEnvironment, platformNames } from '../../environments';
import { PromoteDeps, defaultPromoteDeps, promoteCommand } from '../../scripts/models/promote';
import type { PromotionRecord } from '../../scripts/models/promotion-record';
import { registryTarget } from '../../scripts/models/registry-target';
import { REPO_ROOT } from '../scorer/support/contract-validator';
import { PYTHON } from '../scorer/support/mlflow-fixture';
import { awsConfig } from '../support/services';
import { CapturedIo, captureIo } from './support';

const run = promisify(execFile);

// As in test/trainer/trainer_support.py: a fast, decent model and a deliberately weak one.
export const FAST_HYPERPARAMETERS = { n_estimators: '30', max_depth: '3', learning_rate: '0.2', random_seed: '7' };
export const WEAK_HYPERPARAMETERS = { n_estimators: '1', max_depth: '1', learning_rate: '0.01', random_seed: '7' };

export interface TrainerWorkspace {
  dir: string;
  env: Record<string, string>;
}

/** Training and test data from the trainer's generator, and the variables the training pipeline's steps get. */
export async function trainerWorkspace(dir: string, trackingUri: string, modelName: string, alias: string, compareAlias = alias): Promise<TrainerWorkspace> {
  await mkdir(dir, { recursive: true });
  const env = {
    MLFLOW_TRACKING_URI: trackingUri,
    MLFLOW_EXPERIMENT_NAME: `${modelName}-training`,
    MODEL_NAME: modelName,
    TARGET_ALIAS: alias,
    COMPARE_ALIAS: compareAlias,
    QUALITY_METRIC: 'auc',
    QUALITY_THRESHOLD: '0.7',
    RUN_DATE: '2026-11-23',
    GIT_SHA: 'abc1234',
    GIT_PYTHON_REFRESH: 'quiet',
  };
  await python(['-m', 'trainer', 'generate-data', '--rows', '4000', '--out', path.join(dir, 'train'), '--seed', '1', '--overwrite'], env);
  await python(['-m', 'trainer', 'generate-data', '--rows', '2000', '--out', path.join(dir, 'test'), '--seed', '2', '--overwrite'], env);
  return { dir, env: { ...env, DATA_URI: path.join(dir, 'train') } };
}

export interface Evaluation {
  metrics: Record<string, { value: number }>;
  champion: { alias: string; version: string | null; metrics: Record<string, { value: number }> };
  gate: { passed: boolean; reason: string };
}

/** train → evaluate, the commands of the pipeline's first two steps; returns evaluation.json. */
export async function trainAndEvaluate(ws: TrainerWorkspace, name: string, hyperparameters: Record<string, string>): Promise<Evaluation> {
  const root = path.join(ws.dir, name);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'hp.json'), JSON.stringify(hyperparameters));
  await run(path.join(path.dirname(PYTHON), 'train'), ['--train-dir', path.join(ws.dir, 'train'), '--hyperparameters', path.join(root, 'hp.json'), '--model-dir', path.join(root, 'model'), '--failure-file', path.join(root, 'failure')], {
    env: { ...process.env, ...ws.env },
    cwd: REPO_ROOT,
    maxBuffer: 10 * 1024 * 1024,
  });
  await python(['-m', 'trainer', 'evaluate', '--model-dir', path.join(root, 'model'), '--test-dir', path.join(ws.dir, 'test'), '--evaluation-dir', path.join(root, 'evaluation'), '--failure-file', path.join(root, 'failure')], ws.env);
  return JSON.parse(await readFile(path.join(root, 'evaluation', 'evaluation.json'), 'utf8')) as Evaluation;
}

/** train → evaluate → register, the training pipeline's three steps; returns registration.json. */
export async function trainEvaluateRegister(ws: TrainerWorkspace, name: string, hyperparameters: Record<string, string>): Promise<{ version: string; gate_passed: boolean }> {
  await trainAndEvaluate(ws, name, hyperparameters);
  const root = path.join(ws.dir, name);
  await python(['-m', 'trainer', 'register', '--model-dir', path.join(root, 'model'), '--evaluation', path.join(root, 'evaluation', 'evaluation.json'), '--output-dir', path.join(root, 'registration'), '--failure-file', path.join(root, 'failure')], ws.env);
  return JSON.parse(await readFile(path.join(root, 'registration', 'registration.json'), 'utf8')) as { version: string; gate_passed: boolean };
}

async function python(args: string[], env: Record<string, string>): Promise<void> {
  await run(PYTHON, args, { env: { ...process.env, ...env }, cwd: REPO_ROOT, maxBuffer: 10 * 1024 * 1024 });
}

/** The environments' config, with this test's model name (the servers are shared with other suites). */
export function promoteDeps(modelName: string, user = 'int-test'): PromoteDeps {
  return {
    ...defaultPromoteDeps,
    targetFor: (env, overrides) => ({ ...registryTarget(loadEnvironment(env), overrides), modelName }),
    user: () => user,
  };
}

export async function promote(deps: PromoteDeps, args: string[]): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo();
  const code = await promoteCommand(args, deps, io);
  return { code, io };
}

export function s3(): S3Client {
  const aws = awsConfig();
  return new S3Client({ endpoint: aws.endpoint, region: aws.region, credentials: aws.credentials, forcePathStyle: true });
}

/** The environment's data bucket in the emulator (the stack creates it in AWS). */
export async function ensureDataBucket(env: string): Promise<string> {
  const config = loadEnvironment(env);
  const bucket = platformNames(config).dataBucket;
  try {
    await s3().send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: config.account.region as never } }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
  return bucket;
}

/** Every promotion record of one model in the bucket, oldest first. */
export async function promotionRecords(bucket: string, modelName: string): Promise<{ key: string; record: PromotionRecord }[]> {
  const client = s3();
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `promotions/${modelName}/` }));
  const keys = (listed.Contents ?? []).map((object) => object.Key!).sort();
  return Promise.all(
    keys.map(async (key) => {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { key, record: JSON.parse(await object.Body!.transformToString()) as PromotionRecord };
    }),
  );
}
