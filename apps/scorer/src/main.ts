import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SAGEMAKER_DEFAULTS, ScorerConfig, loadConfig } from './config';
import { ScorerError, describeError } from './errors';
import { jsonLogger } from './log';
import { MlflowClient } from './mlflow/client';
import { saslOptions } from './publish/kafka-auth';
import { fenceTransactionalIds, prepareTopics } from './publish/topics';
import { newS3Client } from './input/s3-files';
import { RunKafka, executeRun } from './run/execute-run';
import { ThreadPipeline } from './run/thread-pipeline';
import { STOP_BACKSTOP_MS, STOP_EXIT_CODES, StopSignal } from './run/stop';

/**
 * Exit codes: 0 success, 1 run failed (manifest written), 2 invalid configuration (nothing attempted),
 * 143 / 130 stopped by SIGTERM / SIGINT (transaction aborted, `stopped` manifest written).
 */
export const EXIT = { ok: 0, runFailed: 1, badConfig: 2, ...STOP_EXIT_CODES } as const;

function resourceConfig(): { current_host?: string; hosts?: string[] } {
  try {
    return JSON.parse(readFileSync(SAGEMAKER_DEFAULTS.resourceConfigPath, 'utf8')) as { current_host?: string; hosts?: string[] };
  } catch {
    return {}; // not on SageMaker: the shard id defaults to "0", the shards are not known
  }
}

/**
 * Why the run did not succeed, for DescribeProcessingJob's ExitMessage (SageMaker developer guide, "Save and Access
 * Metadata Information About Your Processing Job"), so an operator sees the reason without opening the logs. Only
 * where the platform provides /opt/ml/output (SageMaker, the local executor); never credentials.
 */
export function writeExitMessage(text: string, file: string = SAGEMAKER_DEFAULTS.exitMessagePath): void {
  if (!existsSync(path.dirname(file))) return;
  writeFileSync(file, Buffer.from(text).subarray(0, 1024));
}

export async function main(argv: string[], env: Record<string, string | undefined>, stop?: AbortSignal): Promise<number> {
  const log = jsonLogger();
  let config: ScorerConfig;
  try {
    const { current_host: currentHost, hosts } = resourceConfig();
    config = loadConfig({ env, argv, currentHost, hosts: Array.isArray(hosts) ? hosts.map(String) : undefined });
  } catch (error) {
    log.error('config_invalid', { error: describeError(error) });
    writeExitMessage(describeError(error));
    return EXIT.badConfig;
  }
  const aws = { region: config.aws.region, endpoint: config.aws.endpointUrl };
  let s3: S3Client | undefined;
  const getS3 = () => (s3 ??= newS3Client(config.aws));
  const mlflow = new MlflowClient({
    trackingUri: config.mlflow.trackingUri,
    auth: config.mlflow.auth,
    timeoutMs: config.mlflow.timeoutMs,
    retries: config.mlflow.retries,
    s3: getS3(),
    secrets: () => new SecretsManagerClient(aws),
  });
  // The main thread's own Kafka work (topics, fencing) authenticates once; each pipeline thread does so itself.
  let sasl: Promise<Awaited<ReturnType<typeof saslOptions>>> | undefined;
  const mainSasl = () => (sasl ??= saslOptions(config.kafka.auth, () => new SecretsManagerClient(aws)));
  const kafka: RunKafka = {
    prepareTopics: async () => prepareTopics(config.kafka, log, await mainSasl()),
    fence: async (ids) => fenceTransactionalIds(ids, config.kafka, log, await mainSasl()),
    pipeline: (data, rejectedRows, onProgress) => new ThreadPipeline(data, log, rejectedRows, onProgress),
  };
  const manifest = await executeRun({ config, log, mlflow, s3: getS3, stop, kafka });
  s3?.destroy();
  if (manifest.status !== 'succeeded') writeExitMessage(`${manifest.error?.code ?? manifest.status}: ${manifest.error?.message ?? 'the run did not succeed'}`);
  if (manifest.status === 'stopped') return STOP_EXIT_CODES[stop?.reason as StopSignal] ?? EXIT.SIGTERM;
  return manifest.status === 'succeeded' ? EXIT.ok : EXIT.runFailed;
}

/**
 * SIGTERM (SageMaker's StopProcessingJob and MaxRuntimeInSeconds; `docker stop`) and SIGINT (Ctrl-C) stop the run
 * gracefully: it stops reading, aborts its transaction and writes a `stopped` manifest. A second signal, or the
 * backstop timer, exits at once. Handling the signals also matters in the container, where node runs as PID 1 and
 * would otherwise ignore SIGTERM until SIGKILL.
 */
function onStopSignals(controller: AbortController): void {
  for (const signal of Object.keys(STOP_EXIT_CODES) as StopSignal[]) {
    process.on(signal, () => {
      if (controller.signal.aborted) {
        process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), level: 'warn', event: 'stop_forced', signal })}\n`);
        process.exit(STOP_EXIT_CODES[signal]);
      }
      controller.abort(signal);
      setTimeout(() => process.exit(STOP_EXIT_CODES[signal]), STOP_BACKSTOP_MS).unref();
    });
  }
}

if (require.main === module) {
  const controller = new AbortController();
  onStopSignals(controller);
  main(process.argv.slice(2), process.env, controller.signal).then(
    (code) => {
      // A stopped run does not wait for what it left behind (a producer thread still retrying a send).
      if (controller.signal.aborted) process.exit(code);
      process.exitCode = code;
    },
    (error: unknown) => {
      const retryable = error instanceof ScorerError ? error.retryable : false;
      process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), level: 'error', event: 'crashed', retryable, error: describeError(error) })}\n`);
      process.exitCode = EXIT.runFailed;
    },
  );
}
