// The operator scripts' one way to authenticate to an environment's MLflow (scripts/cli/mlflow-auth.ts).
import { loadEnvironment, type EnvironmentConfig } from '../../environments';
import { UsageError } from '../../scripts/cli/errors';
import { environmentMlflowAuth, mlflowAuthFromVariables, secretsClientFor } from '../../scripts/cli/mlflow-auth';

const staging = loadEnvironment('staging');
const local = loadEnvironment('local');
const secretArn = 'arn:aws:secretsmanager:eu-central-1:000000000000:secret:mlflow-app-AbCdEf';
const withSecret: EnvironmentConfig = { ...local, mlflow: { ...local.mlflow, server: { type: 'self-hosted', trackingUri: 'http://127.0.0.1:15000', credentialsSecretArn: secretArn } } };

describe('MLflow authentication of the operator scripts', () => {
  it('signs a SageMaker managed server with SigV4 in the environment\'s region', () => {
    if (staging.mlflow.server.type !== 'sagemaker') throw new Error('staging is expected to use SageMaker managed MLflow');
    const arn = staging.mlflow.server.trackingServerArn;
    expect(environmentMlflowAuth(staging, { env: {} })).toEqual({ trackingUri: arn, auth: { kind: 'sigv4', region: 'eu-central-1', trackingServerArn: arn } });
  });

  it('prefers MLflow\'s client variables, then the environment\'s credentials secret, then nothing', () => {
    expect(environmentMlflowAuth(withSecret, { env: { MLFLOW_TRACKING_TOKEN: 't' } }).auth).toEqual({ kind: 'bearer', token: 't' });
    expect(environmentMlflowAuth(withSecret, { env: { MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' } }).auth).toEqual({ kind: 'basic', username: 'u', password: 'p' });
    expect(environmentMlflowAuth(withSecret, { env: {} }).auth).toEqual({ kind: 'secret', secretArn });
    expect(environmentMlflowAuth(local, { env: {} }).auth).toEqual({ kind: 'none' });
  });

  it('authenticates an overriding tracking URI only with MLflow\'s client variables', () => {
    expect(environmentMlflowAuth(withSecret, { trackingUriOverride: 'http://127.0.0.1:5000', env: {} })).toEqual({ trackingUri: 'http://127.0.0.1:5000', auth: { kind: 'none' } });
    expect(environmentMlflowAuth(staging, { trackingUriOverride: 'http://127.0.0.1:5000', env: { MLFLOW_TRACKING_TOKEN: 't' } }).auth).toEqual({ kind: 'bearer', token: 't' });
  });

  it('refuses half a username/password pair and credentials given two ways', () => {
    expect(() => mlflowAuthFromVariables({ MLFLOW_TRACKING_USERNAME: 'u' })).toThrow(UsageError);
    expect(() => mlflowAuthFromVariables({ MLFLOW_TRACKING_TOKEN: 't', MLFLOW_TRACKING_PASSWORD: 'p' })).toThrow('one way only');
  });

  it('reads a secret in the secret\'s own region', async () => {
    await expect(secretsClientFor(secretArn).config.region()).resolves.toBe('eu-central-1');
  });
});
