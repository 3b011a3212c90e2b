// Typed errors shared by the operator CLIs. The exit code travels with the error so that every CLI maps
// failures the same way, and `retryable` tells the operator whether running the command again can help.

/** Exit codes used by every operator CLI (documented in each --help). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  stopped: 3,
  timedOut: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly retryable: boolean;

  constructor(message: string, options: { exitCode?: ExitCode; retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? ExitCode.failed;
    this.retryable = options.retryable ?? false;
  }
}

/** Wrong flags or values: the fix is in the command line, so retrying unchanged never helps. */
export class UsageError extends CliError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { exitCode: ExitCode.usage, retryable: false, cause: options.cause });
    this.name = 'UsageError';
  }
}

/**
 * The error's message followed by its chain of causes, one per line, so nothing is swallowed. A cause whose message
 * the text already holds (errors that quote their cause) is not repeated, and zod's issue dumps are left out: our
 * code always turns zod issues into a message naming the field, which the error wrapping them carries.
 */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    if (depth > 0 && current instanceof Error && current.name === 'ZodError') break;
    const message = current instanceof Error ? current.message : String(current);
    const printed = lines.join('\n');
    if (depth === 0 || (message.trim() !== '' && !printed.includes(message.trim()))) {
      // The CLI's own errors are already phrased for the operator; other errors keep their type name.
      const own = depth === 0 && current instanceof CliError;
      const text = current instanceof Error && !own ? `${current.name}: ${message}` : message;
      lines.push(depth === 0 ? text : `  caused by ${text}`);
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n');
}
