// One side of a promotion, from an environment's config: its MLflow server (and how to authenticate), the model
// and alias, the quality gate, the experiment copies are logged in, and where promotion records go. Then the
// connection to it: the scorer's registry client and the tracking calls, on one shared transport.
import { S3Client } from '@aws-sdk/client-s3';
import { EnvironmentConfig, platformNames } from '../../environments';
import { MlflowClient, RequestAuthenticator, authenticator, awsCredentials } from '../../apps/scorer/src/mlflow';
import type { MlflowAuth } from '../../apps/scorer/src/config/schema';
import { environmentMlflowAuth, secretsReaderFor } from '../cli/mlflow-auth';
import { MlflowTracking } from './mlflow-tracking';

export interface RegistryTarget {
  env: string;
  /** The server this command talks to: the override if one was given, else the configured URL or SageMaker ARN. */
  trackingUri: string;
  /** True when --*-tracking-uri replaced the configured server (testing, a tunnel). */
  overridden: boolean;
  auth: MlflowAuth;
  region: string;
  /** AWS profile for this side's SigV4 signing and S3 access (two accounts: two profiles); default chain otherwise. */
  awsProfile?: string;
  modelName: string;
  /** The source alias (what is promoted) or the target alias (what moves). */
  alias: string;
  /** The experiment copies are logged in on this server, next to the nightly runs but apart from them. */
  copyExperiment: string;
  qualityGate: { metric: string; threshold: number };
  /** s3://<data bucket>/promotions/ of this environment. */
  recordsUri: string;
}

export interface TargetOverrides {
  trackingUri?: string;
  /** Default: the environment's scoring alias. */
  alias?: string;
  awsProfile?: string;
}

export function registryTarget(config: EnvironmentConfig, overrides: TargetOverrides = {}): RegistryTarget {
  // SigV4 for SageMaker managed MLflow; for a self-hosted server MLflow's client variables, else the environment's
  // credentials secret; an override only with MLflow's client variables (shared by every operator script).
  const { trackingUri, auth } = environmentMlflowAuth(config, { trackingUriOverride: overrides.trackingUri });
  return {
    env: config.name,
    trackingUri,
    overridden: overrides.trackingUri !== undefined,
    auth,
    region: config.account.region,
    ...(overrides.awsProfile ? { awsProfile: overrides.awsProfile } : {}),
    modelName: config.mlflow.modelName,
    alias: overrides.alias ?? config.mlflow.scoringAlias,
    copyExperiment: `${config.mlflow.experimentName}-promotions`,
    qualityGate: { metric: config.qualityGate.metric, threshold: config.qualityGate.threshold },
    recordsUri: platformNames(config).promotionRecordsUri,
  };
}

/** Two sides are one registry when they reach the same server: then an alias can move, nothing is copied. */
export function sameRegistry(a: RegistryTarget, b: RegistryTarget): boolean {
  return a.trackingUri.replace(/\/+$/, '') === b.trackingUri.replace(/\/+$/, '');
}

export interface RegistryConnection {
  target: RegistryTarget;
  /** Registry reads and writes, artifacts (proxy or S3). */
  client: MlflowClient;
  /** Experiments, runs, logged models. */
  tracking: MlflowTracking;
}

export interface ConnectOptions {
  authenticate?: RequestAuthenticator;
  retries?: number;
  timeoutMs?: number;
  /** Tests only: see (or disturb) every request. */
  fetchImpl?: typeof fetch;
}

/** S3 for this side (artifacts on S3, promotion records); AWS_ENDPOINT_URL (the SDK reads it) points it at an emulator. */
export function s3ClientFor(target: Pick<RegistryTarget, 'region' | 'awsProfile'>): S3Client {
  const emulated = Boolean(process.env.AWS_ENDPOINT_URL || process.env.AWS_ENDPOINT_URL_S3);
  return new S3Client({ region: target.region, credentials: awsCredentials(target.awsProfile), forcePathStyle: emulated });
}

export function connect(target: RegistryTarget, options: ConnectOptions = {}): RegistryConnection {
  const client = new MlflowClient({
    trackingUri: target.trackingUri,
    auth: target.auth,
    authenticate: options.authenticate ?? authenticator(target.auth, awsCredentials(target.awsProfile), secretsReaderFor(target.auth, target.awsProfile)),
    s3: s3ClientFor(target),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
  });
  return { target, client, tracking: new MlflowTracking(client.transport) };
}
