// The edge of every operator CLI: parse, run, print errors with their causes, and exit with the outcome code.
import { CliSpec, OptionSpec, ParsedOptions, parseCli } from './args';
import { credentialProblem } from './aws-errors';
import { CliError, ExitCode, describeError } from './errors';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs one CLI and resolves to its exit code (never throws), so that tests can call it directly and the
 * script's entry only has to set process.exitCode.
 */
export async function runCli<O extends Record<string, OptionSpec>, C extends number = ExitCode>(
  spec: CliSpec<O>,
  argv: readonly string[],
  action: (options: ParsedOptions<O>, io: CliIo) => Promise<C>,
  io: CliIo = processIo,
): Promise<C | ExitCode> {
  // The AWS SDK warns on Node 20 that its releases after January 2027 need Node 22. The versions this project pins
  // support Node 20, and the lock file, not the operator, decides when to take newer ones (npm then reports their
  // engines); so our commands do not repeat that notice on every run. The SDK's own switch; an explicit value wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    const parsed = parseCli(spec, argv);
    if (parsed.help) {
      io.out(parsed.usage);
      return ExitCode.ok;
    }
    return await action(parsed.options, io);
  } catch (error) {
    const described = describeError(error);
    io.err(described);
    // A credential problem deep in the chain (an MLflow call signed with AWS credentials, an S3 write) gets its fix.
    const credentials = credentialProblem(error);
    if (credentials && !described.includes(credentials.split('. ')[0]!)) io.err(`AWS credentials: ${credentials}`);
    // Errors from the apps' own modules carry `retryable` too (ScorerError, EnvironmentConfigError).
    if ((error as { retryable?: unknown } | null)?.retryable === true) io.err('(retrying may help: the failure looks transient)');
    return error instanceof CliError ? error.exitCode : ExitCode.failed;
  }
}

/** For a script's `if (require.main === module)` block. */
export function exitWith(code: Promise<number>): void {
  code.then(
    (value) => {
      process.exitCode = value;
    },
    (error: unknown) => {
      process.stderr.write(`${describeError(error)}\n`);
      process.exitCode = ExitCode.failed;
    },
  );
}
