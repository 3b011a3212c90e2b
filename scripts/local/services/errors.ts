// One error type for everything the local services can fail with, so callers (CLI, jest setup) can print a
// message that names the fix and decide whether retrying makes sense.
export type LocalServicesErrorCode =
  | 'MISSING_TOOL'
  | 'INSTALL_FAILED'
  | 'PORT_BUSY'
  | 'START_FAILED'
  | 'UNHEALTHY'
  | 'NOT_INSTALLED'
  | 'INVALID_ARGUMENT';

export class LocalServicesError extends Error {
  readonly code: LocalServicesErrorCode;
  /** True when the same call may succeed later without anyone changing anything (e.g. a slow start). */
  readonly retryable: boolean;

  constructor(code: LocalServicesErrorCode, message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LocalServicesError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
  }
}

export function missingToolError(tool: string, neededFor: string, hint: string): LocalServicesError {
  return new LocalServicesError(
    'MISSING_TOOL',
    `'${tool}' was not found on PATH; it is needed for ${neededFor}. ${hint}`,
  );
}

export function portBusyError(service: string, port: number): LocalServicesError {
  return new LocalServicesError(
    'PORT_BUSY',
    `port ${port} configured for ${service} is already in use on 127.0.0.1. ` +
      `Stop whatever listens there (see: ss -ltnp 'sport = :${port}'), run 'npm run services -- stop' if it is a ` +
      `leftover of an earlier run, or leave the port unset so a free one is chosen.`,
  );
}

/** Last lines of a log, indented, for error messages that must show why a process failed. */
export function formatLogTail(label: string, tail: string): string {
  const body = tail.trim() === '' ? '(empty)' : tail.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
  return `\n  last lines of ${label}:\n${body}`;
}
