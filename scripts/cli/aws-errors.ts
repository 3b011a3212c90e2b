// How operator commands explain a failed AWS call. Missing, expired, rejected or insufficient credentials are the
// operator's to fix and say how; only a missing resource may mean that the environment is not deployed; throttling,
// server errors and an unreachable endpoint are worth retrying.
import { CliError } from './errors';

export type AwsErrorKind =
  | 'no-credentials'
  | 'expired-credentials'
  | 'invalid-credentials'
  | 'access-denied'
  | 'not-found'
  | 'non-aws-response'
  | 'transient'
  | 'other';

interface AwsErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number };
}

const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired']);
const INVALID = new Set(['InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidSignatureException', 'AuthFailure', 'IncompleteSignature']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess']);
const NOT_FOUND = new Set(['ResourceNotFound', 'ResourceNotFoundException', 'NoSuchBucket', 'NoSuchKey', 'NotFound', 'NoSuchEntity']);

export function awsErrorKind(error: unknown): AwsErrorKind {
  if (error instanceof SyntaxError) return 'non-aws-response';
  const shape = (error ?? {}) as AwsErrorShape;
  const name = shape.name ?? '';
  const code = shape.Code ?? shape.code ?? name;
  const message = shape.message ?? String(error);
  const status = shape.$metadata?.httpStatusCode ?? shape.$response?.statusCode ?? 0;
  // The SDK's credential chain found nothing usable; an expired SSO session is reported the same way.
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') return /expired|refresh/i.test(message) ? 'expired-credentials' : 'no-credentials';
  if (EXPIRED.has(code) || EXPIRED.has(name)) return 'expired-credentials';
  if (INVALID.has(code) || INVALID.has(name)) return 'invalid-credentials';
  if (DENIED.has(code) || DENIED.has(name) || status === 403) return 'access-denied';
  if (NOT_FOUND.has(code) || NOT_FOUND.has(name) || (name === 'ValidationException' && /does not exist|not found/i.test(message))) return 'not-found';
  if (status >= 500 || status === 429 || /Throttl|Timeout|TimedOut|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up/i.test(`${name} ${code} ${message}`)) return 'transient';
  return 'other';
}

const WHO_AM_I = '`aws sts get-caller-identity` shows which identity is in use';

/** What went wrong with the credentials, and the fix, for the kinds that are the operator's to fix. */
const CREDENTIAL_PROBLEMS: Partial<Record<AwsErrorKind, { what: string; fix: string }>> = {
  'no-credentials': {
    what: 'no AWS credentials were found',
    fix: "Sign in for the environment's account and rerun: e.g. `aws sso login --profile NAME` and `export AWS_PROFILE=NAME`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
  },
  'expired-credentials': { what: 'the AWS credentials have expired', fix: 'Renew them (e.g. `aws sso login`, or new temporary keys) and rerun.' },
  'invalid-credentials': {
    what: 'AWS rejected the credentials: the access key is unknown or the secret or session token is wrong',
    fix: `Check AWS_PROFILE / AWS_ACCESS_KEY_ID (${WHO_AM_I}) and rerun.`,
  },
  'access-denied': {
    what: 'AWS denied the request: the identity in use lacks a permission',
    fix: `${WHO_AM_I}; the permissions the operator commands need are listed in docs/infrastructure.md.`,
  },
};

function describeAwsError(error: unknown): string {
  const shape = (error ?? {}) as AwsErrorShape;
  return `${shape.name && shape.name !== 'Error' ? `${shape.name}: ` : ''}${shape.message ?? String(error)}`;
}

/**
 * A CliError for a failed AWS call: `action` says what was being done, `notFound` what a missing resource most
 * likely means (e.g. "is the environment deployed? …"); the message names the cause and the fix.
 */
export function awsError(action: string, error: unknown, options: { notFound?: string } = {}): CliError {
  const kind = awsErrorKind(error);
  const detail = describeAwsError(error);
  const shape = (error ?? {}) as AwsErrorShape;
  const status = shape.$metadata?.httpStatusCode ?? shape.$response?.statusCode;
  const problem = CREDENTIAL_PROBLEMS[kind];
  let message: string;
  if (problem) message = `${action} failed: ${problem.what} (${detail}). ${problem.fix}`;
  else if (kind === 'not-found') message = `${action} failed: ${detail}${options.notFound ? ` (${options.notFound})` : ''}`;
  else if (kind === 'non-aws-response') message = `${action} failed: the endpoint answered${status ? ` HTTP ${status}` : ''} with a non-AWS response; it probably does not implement this API`;
  else message = `${action} failed: ${detail}`;
  return new CliError(message, { cause: error, retryable: kind === 'transient' });
}

/**
 * For errors wrapped without awsError (e.g. an MLflow request signed with AWS credentials): the credential problem
 * anywhere in the cause chain, as one line with its fix, or undefined when there is none.
 */
export function credentialProblem(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth += 1) {
    const problem = CREDENTIAL_PROBLEMS[awsErrorKind(current)];
    if (problem) return `${problem.what}. ${problem.fix}`;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}
