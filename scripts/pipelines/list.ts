// pipeline:list — the recent executions of an environment's pipelines, newest first.
import { z } from 'zod';
import { CliSpec, OptionSpec, positiveIntFlag, validateOptions } from '../cli/args';
import { ExitCode } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { SageMakerClientFactory, defaultClientFactory } from './client';
import { envOption, envSchema, pipelineKinds, pipelineOption, pipelineSchema } from './options';
import { formatRuns } from './progress';
import { listPipelineRuns } from './runs';
import { PipelineTargetResolver, resolvePipelineTarget } from './target';

export const listSpec = {
  command: 'npm run pipeline:list --',
  summary: 'List the recent executions of an environment\'s pipelines (both unless --pipeline is given).',
  options: {
    env: envOption,
    pipeline: { ...pipelineOption, description: 'Only this pipeline: training or inference (default: both).' },
    max: { type: 'string', short: 'n', valueName: 'N', description: 'How many executions per pipeline (default 10, at most 100).' },
  },
  examples: ['npm run pipeline:list -- --env staging', 'npm run pipeline:list -- --env prod --pipeline inference --max 3'],
} satisfies CliSpec<Record<string, OptionSpec>>;

const listSchema = z.object({
  env: envSchema,
  pipeline: pipelineSchema.optional(),
  max: positiveIntFlag.refine((n) => n <= 100, 'expected at most 100').default(10),
});

export function listCommand(
  argv: readonly string[],
  deps: { resolveTarget: PipelineTargetResolver; clientFor: SageMakerClientFactory } = { resolveTarget: resolvePipelineTarget, clientFor: defaultClientFactory },
  io?: CliIo,
): Promise<ExitCode> {
  return runCli(
    listSpec,
    argv,
    async (raw, out) => {
      const options = validateOptions(listSchema, raw);
      // Both pipelines of an environment are in its one region: one client serves them (for --env local, making one
      // reads the environment and looks for the running emulator).
      let client: ReturnType<SageMakerClientFactory> | undefined;
      for (const kind of options.pipeline ? [options.pipeline] : pipelineKinds) {
        const target = await deps.resolveTarget(options.env, kind);
        client ??= deps.clientFor({ region: target.region, env: options.env });
        const runs = await listPipelineRuns(client, target.pipelineName, options.max);
        for (const line of formatRuns(target.pipelineName, runs)) out.out(line);
      }
      return ExitCode.ok;
    },
    io,
  );
}

if (require.main === module) exitWith(listCommand(process.argv.slice(2)));
