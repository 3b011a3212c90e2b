// The environment variables through which apps, tests and scripts find the local services.
import { AWS_REGION, AWS_TEST_CREDENTIALS } from './aws';
import type { Endpoints } from './types';

export function endpointsToEnv(endpoints: Endpoints): Record<string, string> {
  const env: Record<string, string> = {};
  if (endpoints.kafka) env.KAFKA_BROKERS = endpoints.kafka.brokers.join(',');
  if (endpoints.mlflow) env.MLFLOW_TRACKING_URI = endpoints.mlflow.trackingUri;
  if (endpoints.aws) {
    env.AWS_ENDPOINT_URL = endpoints.aws.endpointUrl;
    env.AWS_REGION = endpoints.aws.region || AWS_REGION;
    env.AWS_ACCESS_KEY_ID = AWS_TEST_CREDENTIALS.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = AWS_TEST_CREDENTIALS.secretAccessKey;
  }
  return env;
}

/** `export A='x' B='y'` for a shell; values are single-quoted so nothing in them is expanded. */
export function renderExportLine(env: Record<string, string>): string {
  const parts = Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`);
  return parts.length === 0 ? '' : `export ${parts.join(' ')}`;
}
