import { ScorerError } from '../errors';

/** An MLflow call failed. `retryable` is true for network errors, timeouts, 429 and 5xx; never for 4xx. */
export class MlflowError extends ScorerError {
  readonly status: number | undefined;
  readonly errorCode: string | undefined;

  constructor(message: string, options: { status?: number; errorCode?: string; retryable: boolean; cause?: unknown }) {
    super(options.status === 404 || options.errorCode === 'RESOURCE_DOES_NOT_EXIST' ? 'MLFLOW_NOT_FOUND' : 'MLFLOW_FAILED', message, options);
    this.status = options.status;
    this.errorCode = options.errorCode;
  }

  get notFound(): boolean {
    return this.code === 'MLFLOW_NOT_FOUND';
  }
}
