// pipeline:watch — follow an existing pipeline execution by ARN until it ends; exit code = outcome.
import { z } from 'zod';
import { CliSpec, OptionSpec, validateOptions } from '../cli/args';
import { ExitCode } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { SageMakerClientFactory, defaultClientFactory, parseExecutionArn } from './client';
import { Clock, followExecution, realClock } from './follow';
import { pollOption, timeoutOption, watchSettingsSchema } from './options';
import { exitCodeNotes } from './watch-execution';

export const watchSpec = {
  command: 'npm run pipeline:watch --',
  summary: 'Watch a pipeline execution until it ends, printing status, step states and failure reasons as they change.',
  options: {
    arn: { type: 'string', short: 'a', valueName: 'ARN', description: 'Pipeline execution ARN (printed by pipeline:start and pipeline:list). The region is read from it.' },
    timeout: timeoutOption,
    poll: pollOption,
  },
  examples: ['npm run pipeline:watch -- --arn arn:aws:sagemaker:eu-west-1:123456789012:pipeline/ml-staging-training/execution/abc123 --timeout 2h'],
  notes: exitCodeNotes,
} satisfies CliSpec<Record<string, OptionSpec>>;

const watchSchema = z.object({ arn: z.string({ error: 'is required' }), ...watchSettingsSchema });

export function watchCommand(
  argv: readonly string[],
  deps: { clientFor: SageMakerClientFactory; clock: Clock } = { clientFor: defaultClientFactory, clock: realClock },
  io?: CliIo,
): Promise<ExitCode> {
  return runCli(
    watchSpec,
    argv,
    async (raw, out) => {
      const options = validateOptions(watchSchema, raw);
      const { region } = parseExecutionArn(options.arn);
      return followExecution(deps.clientFor({ region, executionArn: options.arn }), options.arn, { timeoutMs: options.timeout, pollMs: options.poll }, deps.clock, out);
    },
    io,
  );
}

if (require.main === module) exitWith(watchCommand(process.argv.slice(2)));
