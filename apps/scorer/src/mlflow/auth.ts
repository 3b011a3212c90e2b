import { Sha256 } from '@aws-crypto/sha256-js';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { MlflowAuth } from '../config/schema';
import { readCredentialsSecret } from '../config/secrets';

export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** JSON text, or the bytes of an artifact upload. */
  body?: string | Uint8Array;
}

/** Adds authentication to a request just before it is sent (SigV4 signs the final URL, headers and body). */
export type RequestAuthenticator = (request: OutgoingRequest) => Promise<Record<string, string>>;

/** AWS credentials from the default provider chain, or from a named profile (an operator with two accounts). */
export function awsCredentials(profile?: string): AwsCredentialIdentityProvider {
  return fromNodeProviderChain(profile ? { profile } : {});
}

export const SAGEMAKER_MLFLOW_SERVICE = 'sagemaker-mlflow';
export const TRACKING_SERVER_ARN_HEADER = 'x-mlflow-sm-tracking-server-arn';

export function authenticator(
  auth: MlflowAuth,
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider = fromNodeProviderChain(),
  secrets: () => SecretsManagerClient = () => new SecretsManagerClient({}),
): RequestAuthenticator {
  switch (auth.kind) {
    case 'none':
      return async (request) => request.headers;
    case 'bearer':
      return async (request) => ({ ...request.headers, authorization: `Bearer ${auth.token}` });
    case 'basic': {
      const encoded = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      return async (request) => ({ ...request.headers, authorization: `Basic ${encoded}` });
    }
    case 'secret': {
      // Read on the first request and kept for the run; a failed read is not kept, so a retry reads again.
      let resolved: Promise<RequestAuthenticator> | undefined;
      return async (request) => {
        resolved ??= readCredentialsSecret(secrets(), auth.secretArn, 'MLflow credentials', { acceptToken: true }).then(
          (found) => authenticator('token' in found ? { kind: 'bearer', token: found.token } : { kind: 'basic', ...found }),
          (error: unknown) => {
            resolved = undefined;
            throw error;
          },
        );
        return (await resolved)(request);
      };
    }
    case 'sigv4':
      return sigv4Authenticator({ region: auth.region, service: SAGEMAKER_MLFLOW_SERVICE, trackingServerArn: auth.trackingServerArn }, credentials);
  }
}

/**
 * SigV4 with the AWS SDK's signer (@smithy/signature-v4), signing what AWS's own client for SageMaker managed MLflow
 * (the sagemaker-mlflow plugin, botocore's SigV4Auth) signs: service "sagemaker-mlflow" for tracking servers, the
 * host, x-amz-date, the session token and the x-mlflow-sm-tracking-server-arn header, and no x-amz-content-sha256
 * header (applyChecksum off; the payload hash is still part of the signature). `service` is a parameter only so
 * that AWS's published SigV4 test vectors can run through this same wiring (test/scorer/sigv4.test.ts).
 */
export function sigv4Authenticator(
  options: { region: string; service: string; trackingServerArn?: string },
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider,
): RequestAuthenticator {
  const signer = new SignatureV4({ service: options.service, region: options.region, credentials, sha256: Sha256, applyChecksum: false });
  return async (request) => {
    const headers: Record<string, string> = { ...request.headers, host: request.url.host };
    if (options.trackingServerArn) headers[TRACKING_SERVER_ARN_HEADER] = options.trackingServerArn;
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of request.url.searchParams) {
      const previous = query[key];
      query[key] = previous === undefined ? value : ([] as string[]).concat(previous, value);
    }
    const signed = await signer.sign({
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port ? Number(request.url.port) : undefined,
      path: request.url.pathname,
      query,
      headers,
      body: request.body,
    });
    return signed.headers as Record<string, string>;
  };
}

/** SageMaker managed MLflow is reached at a regional endpoint; the ARN travels in a header. */
export function trackingBaseUrl(trackingUri: string, auth: MlflowAuth): string {
  if (auth.kind === 'sigv4' && auth.trackingServerArn === trackingUri) {
    return `https://${auth.region}.experiments.sagemaker.aws`;
  }
  return trackingUri.replace(/\/+$/, '');
}
