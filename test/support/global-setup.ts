// Jest global setup of the integration project: reuse services already exported in the environment, otherwise
// install (first use) and start all three, and export their env vars so every test worker inherits them.
import { ensureInstalled, startServices, type RunningServices } from '../../scripts/local/services';

const REQUIRED = ['KAFKA_BROKERS', 'MLFLOW_TRACKING_URI', 'AWS_ENDPOINT_URL'] as const;

declare global {
  // Shared with global-teardown.ts, which runs in the same (parent) process.
  var __localServices: RunningServices | undefined;
}

const log = (line: string) => process.stderr.write(`[services] ${line}\n`);

export default async function globalSetup(): Promise<void> {
  if (REQUIRED.every((k) => (process.env[k] ?? '') !== '')) {
    log(`reusing the services in the environment (${REQUIRED.map((k) => `${k}=${process.env[k]}`).join(' ')})`);
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= 'testing';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
    return;
  }
  process.stderr.write('\n');
  await ensureInstalled(undefined, { log });
  const services = await startServices({ log });
  globalThis.__localServices = services;
  Object.assign(process.env, services.env());
}
