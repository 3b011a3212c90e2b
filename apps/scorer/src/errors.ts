/**
 * Every error the scorer raises on purpose says what failed and whether trying again can help,
 * so main can pick an exit code and operators know whether a rerun is worth it.
 */
export class ScorerError extends Error {
  readonly retryable: boolean;
  readonly code: string;

  constructor(code: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable;
  }
}

export class ConfigError extends ScorerError {
  constructor(message: string, cause?: unknown) {
    super('CONFIG_INVALID', message, { retryable: false, cause });
  }
}

export class InputError extends ScorerError {
  readonly source: string;
  constructor(source: string, message: string, cause?: unknown) {
    super('INPUT_UNREADABLE', `${source}: ${message}`, { retryable: false, cause });
    this.source = source;
  }
}

export class ModelError extends ScorerError {
  constructor(message: string, cause?: unknown) {
    super('MODEL_INVALID', message, { retryable: false, cause });
  }
}

export class PublishError extends ScorerError {
  constructor(message: string, options: { retryable: boolean; cause?: unknown; code?: string }) {
    super(options.code ?? 'PUBLISH_FAILED', message, options);
  }
}

/** The message and its chain of causes, skipping a cause whose text the message already carries. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (!(error.cause instanceof Error)) return error.message;
  const cause = describeError(error.cause);
  return error.message.includes(cause) || error.message.includes(error.cause.message) ? error.message : `${error.message} (cause: ${cause})`;
}
