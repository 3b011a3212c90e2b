// How integration tests find the local services: the env vars set by global-setup.ts (or by whoever started
// the services before running jest). A missing variable is a setup problem, reported with the fix.
export interface AwsTestConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(
      `${name} is not set. Integration tests get it from test/support/global-setup.ts: run them with ` +
        `'npx jest --selectProjects integration' (or 'npm test'), or start the services yourself with ` +
        `'npm run services -- start' and export the variables it prints.`,
    );
  }
  return value;
}

export function kafkaBrokers(): string[] {
  return required('KAFKA_BROKERS').split(',').map((b) => b.trim()).filter((b) => b !== '');
}

export function mlflowTrackingUri(): string {
  return required('MLFLOW_TRACKING_URI').replace(/\/+$/, '');
}

/** Client config for any @aws-sdk client, pointed at the emulator. */
export function awsConfig(): AwsTestConfig {
  return {
    endpoint: required('AWS_ENDPOINT_URL'),
    region: required('AWS_REGION'),
    credentials: { accessKeyId: required('AWS_ACCESS_KEY_ID'), secretAccessKey: required('AWS_SECRET_ACCESS_KEY') },
  };
}

/** A name no other test (or earlier run against the same services) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
