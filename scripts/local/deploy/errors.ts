// Failures of a deploy into the AWS emulator. `retryable` says whether running the same command again can help
// (a terraform apply that hit a transient emulator error) or the input must change (an unknown resource type).
export class DeployError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeployError';
    this.retryable = options.retryable ?? false;
  }
}
