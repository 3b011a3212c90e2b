import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunManifest } from '../../../apps/scorer/src/manifest';
import { kafkaBrokers, mlflowTrackingUri } from '../../support/services';
import { REPO_ROOT } from './contract-validator';

export interface ScorerProcessResult {
  code: number | null;
  /** The signal that ended the process when it did not exit by itself (SIGKILL). */
  signal: NodeJS.Signals | null;
  events: Record<string, unknown>[];
  stderr: string;
  /** When the process ended (ms since the epoch). */
  endedAt: number;
}

export interface LocalScorerRun {
  model: string;
  topic: string;
  input: string;
  modelCacheDir: string;
  /** Default: the brokers of the global setup's services. */
  brokers?: string;
}

/** The variables every scorer run against the local services needs; each test adds what it varies. */
export function localScorerEnv(run: LocalScorerRun): Record<string, string> {
  return {
    INPUT_PATH: run.input,
    MODEL_CACHE_DIR: run.modelCacheDir,
    MLFLOW_TRACKING_URI: mlflowTrackingUri(),
    MODEL_NAME: run.model,
    KAFKA_BROKERS: run.brokers ?? kafkaBrokers().join(','),
    KAFKA_TOPIC: run.topic,
    KAFKA_DLQ_TOPIC: `${run.topic}.dlq`,
    // The local broker starts without topics; in AWS they are provisioned by the Kafka team.
    KAFKA_CREATE_TOPICS: 'true',
  };
}

/**
 * Runs the scorer as the container does (its main, a separate process), collecting its JSON log lines. The process is
 * node itself (tsx as a loader, not its CLI, which would be a parent process), so signals sent to it reach the scorer.
 */
export function runScorer(
  env: Record<string, string>,
  options: { onEvent?: (event: Record<string, unknown>, scorer: ChildProcess) => void; timeoutMs?: number } = {},
): Promise<ScorerProcessResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'apps/scorer/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        options.onEvent?.(event, child);
      } catch {
        stderr += `unparsed stdout: ${line}\n`;
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, events, stderr, endedAt: Date.now() });
    });
  });
}

/** The run manifest a scorer wrote to its output folder. */
export function readManifest(outputDir: string): RunManifest {
  return JSON.parse(readFileSync(path.join(outputDir, 'manifest.json'), 'utf8')) as RunManifest;
}
