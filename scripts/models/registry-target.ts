// Where an environment's model lives in MLflow (server, auth, model name, aliases), from its config. The
// client is the scorer's MlflowClient: one typed MLflow REST client in the codebase.
import { EnvironmentConfig } from '../../environments';
import { MlflowClient } from '../../apps/scorer/src/mlflow';
import type { MlflowAuth } from '../../apps/scorer/src/config/schema';

export interface RegistryTarget {
  env: string;
  /** A self-hosted URL or the SageMaker tracking server ARN; also identifies the registry. */
  trackingUri: string;
  auth: MlflowAuth;
  modelName: string;
  /** The alias this environment scores with: staging's is promoted from, prod's is promoted to. */
  alias: string;
}

export type RegistryClient = Pick<MlflowClient, 'getModelVersionByAlias' | 'getModelVersion' | 'setAlias' | 'setModelVersionTag'>;

/** `trackingUriOverride` points both sides at one reachable server (a tunnel, or the local MLflow). */
export function registryTarget(config: EnvironmentConfig, trackingUriOverride?: string): RegistryTarget {
  const common = { env: config.name, modelName: config.mlflow.modelName, alias: config.mlflow.scoringAlias };
  if (trackingUriOverride) return { ...common, trackingUri: trackingUriOverride, auth: { kind: 'none' } };
  const server = config.mlflow.server;
  return server.type === 'sagemaker'
    ? { ...common, trackingUri: server.trackingServerArn, auth: { kind: 'sigv4', region: config.account.region, trackingServerArn: server.trackingServerArn } }
    : { ...common, trackingUri: server.trackingUri, auth: { kind: 'none' } };
}

export function registryClient(target: RegistryTarget): RegistryClient {
  return new MlflowClient({ trackingUri: target.trackingUri, auth: target.auth });
}
