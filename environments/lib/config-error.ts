// Turns zod issues into one line per problem: "<source>: <field.path>: <what it must be> — got <value>".
// The source is the file to edit (environments/staging.ts or environments/image-tags/staging.json).
import type { z } from 'zod';

/** An environment configuration that cannot be used. Not retryable: the file must be fixed. */
export class EnvironmentConfigError extends Error {
  readonly retryable = false;
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(problems.map((problem) => `${source}: ${problem}`).join('\n'), options);
    this.name = 'EnvironmentConfigError';
  }

  /** Several broken files reported at once: the message keeps each file's own lines. */
  static combine(errors: readonly EnvironmentConfigError[]): EnvironmentConfigError {
    const combined = new EnvironmentConfigError('environments/', [], { cause: new AggregateError(errors) });
    combined.message = errors.map((error) => error.message).join('\n');
    return combined;
  }
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.join('.') : '(whole file)';
  // zod v4 keeps the offending value when parsing with { reportInput: true }.
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type' && input === undefined) {
    return `${path}: is required (${issue.expected}) — add it`;
  }
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => (path === '(whole file)' ? key : `${path}.${key}`));
    return `${keys.join(', ')}: unknown field — remove it or fix its spelling`;
  }
  const message = issue.code === 'invalid_type' ? `must be a ${issue.expected}` : issue.message;
  return input === undefined ? `${path}: ${message}` : `${path}: ${message} — got ${describeValue(input)}`;
}

export function configError(source: string, error: z.ZodError): EnvironmentConfigError {
  return new EnvironmentConfigError(source, error.issues.map(formatIssue), { cause: error });
}
