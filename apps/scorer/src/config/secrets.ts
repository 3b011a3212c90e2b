// Credentials from AWS Secrets Manager, by ARN: the only way the pipelines hand the scorer a password or token, so
// none ever appears in the pipeline definition, Terraform state or the logs.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ScorerError } from '../errors';

export type SecretCredentials = { username: string; password: string } | { token: string };

/** The secret could not be read or does not hold what it must; `retryable` only for throttling and network trouble. */
export class CredentialsError extends ScorerError {
  readonly secretArn: string;
  constructor(secretArn: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super('CREDENTIALS_UNAVAILABLE', message, options);
    this.secretArn = secretArn;
  }
}

// Answers that the same call will get again until someone changes the secret, its key policy or the role.
const PERMANENT = new Set([
  'AccessDeniedException',
  'ResourceNotFoundException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
  'ValidationException',
  'UnrecognizedClientException',
]);

/**
 * Reads `{"username","password"}` (or, where `token` is accepted, `{"token"}`) from a secret. `purpose` names the
 * secret in messages ("Kafka SASL", "MLflow credentials"). The values never appear in a message.
 */
export async function readCredentialsSecret(
  client: SecretsManagerClient,
  secretArn: string,
  purpose: string,
  options: { acceptToken?: boolean } = {},
): Promise<SecretCredentials> {
  const shape = options.acceptToken ? '{"username","password"} or {"token"}' : '{"username","password"}';
  let secretString: string | undefined;
  try {
    secretString = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    const name = (error as { name?: string }).name ?? 'Error';
    const permanent = PERMANENT.has(name);
    const hint =
      name === 'AccessDeniedException' || name === 'DecryptionFailure'
        ? ': the role needs secretsmanager:GetSecretValue on the secret and kms:Decrypt on its key'
        : name === 'ResourceNotFoundException'
          ? ': no such secret in this account and region'
          : '';
    throw new CredentialsError(secretArn, `reading the ${purpose} secret ${secretArn} failed (${name})${hint}`, { retryable: !permanent, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? '');
  } catch (error) {
    throw new CredentialsError(secretArn, `the ${purpose} secret ${secretArn} is not JSON ${shape}`, { retryable: false, cause: error });
  }
  const value = (parsed ?? {}) as { username?: unknown; password?: unknown; token?: unknown };
  if (typeof value.username === 'string' && value.username !== '' && typeof value.password === 'string') {
    return { username: value.username, password: value.password };
  }
  if (options.acceptToken && typeof value.token === 'string' && value.token !== '') return { token: value.token };
  throw new CredentialsError(secretArn, `the ${purpose} secret ${secretArn} must hold ${shape}`, { retryable: false });
}
