// Typed errors of the local SageMaker Pipelines executor. Each says whether retrying can help. Messages name the
// field, step or value and the fix; nothing here prints a stack trace to a user.

/**
 * What StartPipelineExecution (or CreatePipeline) would answer with HTTP 400 ValidationException: bad parameter
 * values, an invalid definition. Raised before anything runs; never retryable.
 */
export class ValidationException extends Error {
  readonly retryable = false;
  readonly code = 'ValidationException';
  constructor(
    readonly operation: 'StartPipelineExecution' | 'CreatePipeline',
    readonly problems: readonly string[],
  ) {
    // botocore's ClientError wording, so the text reads like what `aws sagemaker start-pipeline-execution` prints.
    super(`An error occurred (ValidationException) when calling the ${operation} operation: ${problems.join('; ')}`);
    this.name = 'ValidationException';
  }
}

/** The definition uses something SageMaker supports but this executor does not run (a step type, Pipe mode…). */
export class UnsupportedDefinitionError extends Error {
  readonly retryable = false;
  constructor(readonly problems: readonly string[]) {
    super(`the local pipeline executor cannot run this definition (nothing was started):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'UnsupportedDefinitionError';
  }
}

/**
 * This machine cannot run jobs the way the executor must (no mount namespace, an image without a local runtime,
 * a runtime that is not prepared). The message names the requirement and how to meet it.
 */
export class LocalEnvironmentError extends Error {
  readonly retryable = false;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LocalEnvironmentError';
  }
}

/** SageMaker's retryable exception types (RetryPolicy.ExceptionType). */
export const EXCEPTION_TYPES = [
  'Step.SERVICE_FAULT',
  'Step.THROTTLING',
  'SageMaker.JOB_INTERNAL_ERROR',
  'SageMaker.CAPACITY_ERROR',
  'SageMaker.RESOURCE_LIMIT',
] as const;
export type ExceptionType = (typeof EXCEPTION_TYPES)[number];

/**
 * A step attempt that did not succeed. `reason` becomes the step's FailureReason. `exceptionType` is set only for
 * failures SageMaker classifies as one of the retryable types; a job whose container exits non-zero has none
 * (it is the algorithm's failure, never retried by a policy).
 */
export class StepFailure extends Error {
  constructor(
    readonly reason: string,
    readonly options: {
      exceptionType?: ExceptionType;
      stopped?: boolean;
      failStep?: { errorMessage: string };
      /** What Describe*Job returns for the failed job (e.g. its ExitMessage), kept in the step record. */
      properties?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepFailure';
  }
  get exceptionType(): ExceptionType | undefined {
    return this.options.exceptionType;
  }
}

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** DescribePipelineExecution / StopPipelineExecution on an ARN the store does not hold. */
export class ResourceNotFound extends Error {
  readonly retryable = false;
  constructor(readonly arn: string, storeDir: string) {
    super(`ResourceNotFound: no pipeline execution ${arn} in ${storeDir}`);
    this.name = 'ResourceNotFound';
  }
}
