import { ScorerError } from '../errors';

/** An MLflow call failed. `retryable` is true for network errors, timeouts, 429 and 5xx; never for 4xx. */
export class MlflowError extends ScorerError {
  readonly status: number | undefined;
  readonly errorCode: string | undefined;

  constructor(message: string, options: { status?: number; errorCode?: string; retryable: boolean; cause?: unknown }) {
    super(codeOf(options), message, options);
    this.status = options.status;
    this.errorCode = options.errorCode;
  }

  get notFound(): boolean {
    return this.code === 'MLFLOW_NOT_FOUND';
  }
}

function codeOf(options: { status?: number; errorCode?: string }): string {
  if (options.status === 404 || options.errorCode === 'RESOURCE_DOES_NOT_EXIST') return 'MLFLOW_NOT_FOUND';
  if (options.status === 401) return 'MLFLOW_UNAUTHENTICATED';
  if (options.status === 403) return 'MLFLOW_FORBIDDEN';
  return 'MLFLOW_FAILED';
}

/** What to do about a refused request, for the message: who is asking is the fix, not the request. */
export function authHint(status: number, auth: string): string {
  if (status === 401) {
    return auth === 'none'
      ? 'the server requires authentication and no credentials were given: set MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN or MLFLOW_CREDENTIALS_SECRET_ARN'
      : `the server did not accept the ${auth} credentials: check the user name and password (or token)`;
  }
  return `the ${auth} credentials were accepted but the user lacks permission for this request: grant it the permission on the model or experiment (READ to score, EDIT to register and move aliases)`;
}
