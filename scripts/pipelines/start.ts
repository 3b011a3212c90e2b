// pipeline:start — start a training or inference pipeline run of one environment, optionally wait for it.
import { z } from 'zod';
import { CliSpec, OptionSpec, validateOptions } from '../cli/args';
import { ExitCode } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { SageMakerClientFactory, defaultClientFactory } from './client';
import { Clock, followExecution, realClock } from './follow';
import { envOption, envSchema, pipelineOption, pipelineSchema, pollOption, timeoutOption, watchSettingsSchema } from './options';
import { parseParameterOverrides } from './parameters';
import { startPipelineRun } from './runs';
import { PipelineTargetResolver, resolvePipelineTarget } from './target';
import { exitCodeNotes } from './watch-execution';

export const startSpec = {
  command: 'npm run pipeline:start --',
  summary: 'Start an execution of an environment\'s training or inference pipeline now, with optional parameter overrides.',
  options: {
    env: envOption,
    pipeline: pipelineOption,
    param: { type: 'string', multiple: true, valueName: 'NAME=VALUE', description: 'Override a pipeline parameter; checked against the deployed definition.' },
    'display-name': { type: 'string', valueName: 'TEXT', description: 'Display name of the execution (default: started-by-cli-<time>).' },
    wait: { type: 'boolean', short: 'w', description: 'Wait for the outcome, printing status, step states and failure reasons.' },
    timeout: timeoutOption,
    poll: pollOption,
  },
  examples: [
    'npm run pipeline:start -- --env staging --pipeline training --wait',
    'npm run pipeline:start -- --env prod --pipeline inference --param RunDate=2026-11-23 --param ModelAlias=champion',
  ],
  notes: exitCodeNotes,
} satisfies CliSpec<Record<string, OptionSpec>>;

const startSchema = z.object({
  env: envSchema,
  pipeline: pipelineSchema,
  param: z.array(z.string()).default([]),
  'display-name': z.string().regex(/^[A-Za-z0-9](-*[A-Za-z0-9]){0,81}$/, 'expected letters, digits and single hyphens, at most 82 characters').optional(),
  wait: z.boolean().default(false),
  ...watchSettingsSchema,
});

export interface StartDeps {
  resolveTarget: PipelineTargetResolver;
  clientFor: SageMakerClientFactory;
  clock: Clock;
}

export const defaultStartDeps: StartDeps = { resolveTarget: resolvePipelineTarget, clientFor: defaultClientFactory, clock: realClock };

export function startCommand(argv: readonly string[], deps: StartDeps = defaultStartDeps, io?: CliIo): Promise<ExitCode> {
  return runCli(
    startSpec,
    argv,
    async (raw, out) => {
      const options = validateOptions(startSchema, raw);
      const parameters = parseParameterOverrides(options.param);
      const target = await deps.resolveTarget(options.env, options.pipeline);
      const client = deps.clientFor({ region: target.region, env: options.env });
      const displayName = options['display-name'] ?? `started-by-cli-${new Date(deps.clock.now()).toISOString().replace(/[^0-9]/g, '').slice(0, 14)}`;
      const arn = await startPipelineRun(client, { pipelineName: target.pipelineName, parameters, displayName });
      out.out(`Started ${target.pipelineName} (${options.env}, ${target.region})${parameters.length ? ` with ${parameters.map((p) => `${p.Name}=${p.Value}`).join(', ')}` : ''}`);
      out.out(`Execution ARN: ${arn}`);
      if (!options.wait && !client.runsInProcess) {
        out.out(`Watch it with: npm run pipeline:watch -- --arn ${arn}`);
        return ExitCode.ok;
      }
      if (client.runsInProcess) {
        out.out(`(${options.env}: the local executor runs the execution in this process, so it is followed to its end; Ctrl-C stops it. Watch it from elsewhere with: npm run pipeline:watch -- --arn ${arn})`);
      }
      // Ctrl-C stops an execution this process runs, as StopPipelineExecution would; the watch then reports Stopped.
      const stop = () => void client.stopAll?.();
      process.on('SIGINT', stop);
      try {
        // Local records change on disk as the execution runs: poll them often unless --poll says otherwise.
        const pollMs = client.runsInProcess && raw.poll === undefined ? 2_000 : options.poll;
        return await followExecution(client, arn, { timeoutMs: options.timeout, pollMs }, deps.clock, out);
      } finally {
        process.off('SIGINT', stop);
      }
    },
    io,
  );
}

if (require.main === module) exitWith(startCommand(process.argv.slice(2)));
