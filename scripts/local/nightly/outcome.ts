// What the night produced, read from where production keeps it: the step records (status, attempts, the
// Condition's outcome), the jobs' outputs in S3 (evaluation.json, registration.json, the scorer's manifests per
// shard), the alert topic's subscription, and the prediction topic itself (read_committed).
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StepRecord } from '../pipelines';
import { INFERENCE_STEPS } from '../../../stacks/inference-pipeline';
import { TRAINING_STEPS } from '../../../stacks/training-pipeline';
import type { ScheduledRun } from './night';

function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** The S3 URI a processing step uploaded an output to (its resolved ProcessingOutputConfig). */
export function stepOutputUri(step: StepRecord | undefined, outputName: string): string | undefined {
  const outputs = (step?.Local.Properties?.ProcessingOutputConfig as { Outputs?: { OutputName: string; S3Output?: { S3Uri: string } }[] } | undefined)?.Outputs;
  return outputs?.find((output) => output.OutputName === outputName)?.S3Output?.S3Uri;
}

async function readJson<T>(s3: S3Client, uri: string): Promise<T | undefined> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await object.Body!.transformToString()) as T;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

async function listKeys(s3: S3Client, uri: string): Promise<string[]> {
  const { bucket, key } = parseS3Uri(uri);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((object) => `s3://${bucket}/${object.Key}`));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

export const byName = (steps: readonly StepRecord[], name: string) => steps.find((step) => step.StepName === name);

export interface Evaluation {
  metrics: Record<string, { value: number }>;
  gate: { metric: string; passed: boolean; reason: string };
}

export interface TrainingOutcome {
  readonly run: ScheduledRun;
  /** The Condition step's branch: True (Register ran), False (the Fail step ran), or not reached. */
  readonly gate: 'passed' | 'refused' | 'not reached';
  readonly evaluation?: Evaluation;
  readonly registration?: { model_name: string; version: string; alias: string; alias_moved: boolean };
}

export async function trainingOutcome(s3: S3Client, run: ScheduledRun): Promise<TrainingOutcome> {
  const outcome = byName(run.steps, TRAINING_STEPS.gate)?.Metadata.Condition?.Outcome;
  const evaluationUri = stepOutputUri(byName(run.steps, TRAINING_STEPS.evaluate), 'evaluation');
  const registrationUri = stepOutputUri(byName(run.steps, TRAINING_STEPS.register), 'registration');
  return {
    run,
    gate: outcome === 'True' ? 'passed' : outcome === 'False' ? 'refused' : 'not reached',
    evaluation: evaluationUri ? await readJson<Evaluation>(s3, `${evaluationUri}/evaluation.json`) : undefined,
    registration: registrationUri ? await readJson(s3, `${registrationUri}/registration.json`) : undefined,
  };
}

export interface ScorerManifest {
  status: string;
  shardId: string;
  model: { name: string; version: string | null; alias: string | null };
  kafka: { topic: string; deadLetterTopic: string };
  counts: { read: number; scored: number; rejected: number; published: number; deadLettered: number };
  error?: { message: string };
}

export interface InferenceOutcome {
  readonly run: ScheduledRun;
  readonly manifests: ScorerManifest[];
  readonly outputUri?: string;
  /** Set when the manifests were read from the failed job's local folder: a failed job's outputs are not uploaded. */
  readonly localFolder?: string;
  /** Sum over the shards' manifests. */
  readonly counts: ScorerManifest['counts'];
}

export async function inferenceOutcome(s3: S3Client, run: ScheduledRun): Promise<InferenceOutcome> {
  const outputUri = stepOutputUri(byName(run.steps, INFERENCE_STEPS.score), 'output');
  const manifests: ScorerManifest[] = [];
  if (outputUri) {
    for (const key of (await listKeys(s3, outputUri)).filter((k) => k.endsWith('/manifest.json')).sort()) {
      const manifest = await readJson<ScorerManifest>(s3, key);
      if (manifest) manifests.push(manifest);
    }
  }
  let localFolder: string | undefined;
  const score = byName(run.steps, INFERENCE_STEPS.score);
  const job = score?.Local.Attempts.at(-1)?.Job;
  if (manifests.length === 0 && job && job.LogFiles.length > 0) {
    localFolder = path.dirname(job.LogFiles[0] as string);
    for (const file of findFiles(localFolder, 'manifest.json')) manifests.push(JSON.parse(readFileSync(file, 'utf8')) as ScorerManifest);
  }
  const counts = { read: 0, scored: 0, rejected: 0, published: 0, deadLettered: 0 };
  for (const m of manifests) for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += m.counts[k];
  return { run, manifests, outputUri, counts, ...(localFolder && manifests.length > 0 ? { localFolder } : {}) };
}

function findFiles(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findFiles(full, name));
    else if (entry.name === name) found.push(full);
  }
  return found.sort();
}

export interface Alert {
  readonly status: string;
  readonly pipelineArn: string;
  readonly executionArn: string;
}

/** The alerts the deployed rule delivered to the alert topic, as its subscribed queue received them. */
export async function receivedAlerts(sqs: SQSClient, queueUrl: string): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (;;) {
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: alerts.length === 0 ? 1 : 0 }));
    const messages = received.Messages ?? [];
    if (messages.length === 0) return alerts;
    for (const message of messages) {
      const event = JSON.parse(message.Body ?? '{}') as { detail?: { currentPipelineExecutionStatus?: string; pipelineArn?: string; pipelineExecutionArn?: string } };
      alerts.push({
        status: event.detail?.currentPipelineExecutionStatus ?? '?',
        pipelineArn: event.detail?.pipelineArn ?? '?',
        executionArn: event.detail?.pipelineExecutionArn ?? '?',
      });
    }
  }
}
