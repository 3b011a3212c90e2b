// How an operator CLI authenticates to an environment's MLflow server, in one place for every script that talks to
// MLflow (model:promote's registry targets, …). The rules are those of MLflow's own clients, then the environment's config:
//   1. a SageMaker managed server (by ARN) is signed with SigV4 using the operator's AWS credentials;
//   2. MLFLOW_TRACKING_TOKEN → bearer token; MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD → basic auth;
//   3. else the environment's mlflow.server.credentialsSecretArn → the secret is read (operator's AWS credentials)
//      on the first request, as the pipeline steps do;
//   4. else no authentication.
// Credentials are never logged and never part of an error message.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MlflowAuth } from '../../apps/scorer/src/config/schema';
import { MlflowClient, awsCredentials } from '../../apps/scorer/src/mlflow';
import type { EnvironmentConfig } from '../../environments';
import { UsageError } from './errors';

export type { MlflowAuth } from '../../apps/scorer/src/config/schema';

/** MLflow's client variables, if any are set: bearer or basic. Half a username/password pair is a usage error. */
export function mlflowAuthFromVariables(env: NodeJS.ProcessEnv = process.env): MlflowAuth | undefined {
  const token = env.MLFLOW_TRACKING_TOKEN;
  const username = env.MLFLOW_TRACKING_USERNAME;
  const password = env.MLFLOW_TRACKING_PASSWORD;
  if (token) {
    if (username || password) throw new UsageError('MLFLOW_TRACKING_TOKEN and MLFLOW_TRACKING_USERNAME/PASSWORD are both set: give the MLflow credentials one way only');
    return { kind: 'bearer', token };
  }
  if (username || password) {
    if (!username || password === undefined) throw new UsageError('MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD must be set together');
    return { kind: 'basic', username, password };
  }
  return undefined;
}

/**
 * The tracking URI and authentication to use for `config`'s MLflow server; `trackingUriOverride` (a tunnel, the
 * local server) replaces the server, and then only MLflow's client variables can authenticate it.
 */
export function environmentMlflowAuth(
  config: EnvironmentConfig,
  options: { trackingUriOverride?: string; env?: NodeJS.ProcessEnv } = {},
): { trackingUri: string; auth: MlflowAuth } {
  const fromVariables = mlflowAuthFromVariables(options.env);
  if (options.trackingUriOverride) return { trackingUri: options.trackingUriOverride, auth: fromVariables ?? { kind: 'none' } };
  const server = config.mlflow.server;
  if (server.type === 'sagemaker') {
    return { trackingUri: server.trackingServerArn, auth: { kind: 'sigv4', region: config.account.region, trackingServerArn: server.trackingServerArn } };
  }
  const auth: MlflowAuth = fromVariables ?? (server.credentialsSecretArn ? { kind: 'secret', secretArn: server.credentialsSecretArn } : { kind: 'none' });
  return { trackingUri: server.trackingUri, auth };
}

/** A Secrets Manager client in the secret's own region (from its ARN), with the operator's AWS credentials (or a profile's). */
export function secretsClientFor(secretArn: string, awsProfile?: string): SecretsManagerClient {
  const region = secretArn.split(':')[3];
  return new SecretsManagerClient({ ...(region ? { region } : {}), ...(awsProfile ? { credentials: awsCredentials(awsProfile) } : {}) });
}

/** What an MLflow client reads a credentials secret with (one client, made on first use), for `auth` of kind secret. */
export function secretsReaderFor(auth: MlflowAuth, awsProfile?: string): (() => SecretsManagerClient) | undefined {
  if (auth.kind !== 'secret') return undefined;
  let client: SecretsManagerClient | undefined;
  return () => (client ??= secretsClientFor(auth.secretArn, awsProfile));
}

/** An MLflow REST client (the scorer's, the one in this codebase) for a server and its authentication. */
export function mlflowClientFor(target: { trackingUri: string; auth: MlflowAuth; awsProfile?: string }): MlflowClient {
  const secrets = secretsReaderFor(target.auth, target.awsProfile);
  return new MlflowClient({ trackingUri: target.trackingUri, auth: target.auth, ...(secrets ? { secrets } : {}) });
}
