// The environment a job's process gets: clean, like a container's — never the executor's own environment.
// Layers, later ones win: the image's defaults (PATH, HOME, LANG, its Dockerfile ENV), the stand-in for the
// job's IAM role (credentials, region and endpoint of the AWS emulator, passed by the caller), the request's
// Environment, and what SageMaker itself sets (TRAINING_JOB_NAME, TRAINING_JOB_ARN for training jobs).
import type { LocalRuntime } from './runtimes';

export interface RoleCredentials {
  readonly endpointUrl?: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/** What stands in for the job's execution role here: the caller's credentials for the emulator. */
export function roleEnvironment(aws: RoleCredentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    ...(aws.credentials.sessionToken ? { AWS_SESSION_TOKEN: aws.credentials.sessionToken } : {}),
    AWS_REGION: aws.region,
    AWS_DEFAULT_REGION: aws.region,
    ...(aws.endpointUrl ? { AWS_ENDPOINT_URL: aws.endpointUrl } : {}),
  };
}

export function containerEnvironment(layers: {
  /** Absent when a container engine runs the real image (the image brings PATH, HOME and its ENV). */
  readonly runtime?: LocalRuntime;
  readonly role: Readonly<Record<string, string>>;
  readonly request: Readonly<Record<string, string>>;
  readonly injected: Readonly<Record<string, string>>;
}): Record<string, string> {
  const image = layers.runtime
    ? { PATH: layers.runtime.path.join(':'), HOME: layers.runtime.home, LANG: 'C.UTF-8', ...layers.runtime.environment }
    : {};
  return { ...image, ...layers.role, ...layers.request, ...layers.injected };
}
