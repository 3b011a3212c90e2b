// model:promote — move the production alias to the model version staging scores with, guarded and recorded.
import os from 'node:os';
import { z } from 'zod';
import { CliSpec, OptionSpec, validateOptions } from '../cli/args';
import { loadEnvironmentForCli } from '../cli/environment';
import { ExitCode } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { applyPromotion, describePlan, planPromotion } from './promotion';
import { RegistryClient, RegistryTarget, registryClient, registryTarget } from './registry-target';

export const promoteSpec = {
  command: 'npm run model:promote --',
  summary: 'Promote a model version from one environment\'s scoring alias (default staging) to another\'s (default prod) in MLflow. Shows the version\'s tags and metrics first and changes nothing without --yes; records promoted_by/at/from/to as tags on the version.',
  options: {
    version: { type: 'string', short: 'v', valueName: 'N', description: 'The version to promote; must be the one the source alias points at.' },
    from: { type: 'string', valueName: 'ENV', description: 'Source environment (default staging).' },
    to: { type: 'string', valueName: 'ENV', description: 'Target environment (default prod).' },
    yes: { type: 'boolean', short: 'y', description: 'Really move the alias (without it: show the plan and change nothing).' },
    by: { type: 'string', valueName: 'NAME', description: 'Who promotes, recorded as promoted_by (default: your user name).' },
    'tracking-uri': { type: 'string', valueName: 'URL', description: 'Use this MLflow server for both environments (a tunnel, or the local server).' },
  },
  examples: ['npm run model:promote -- --version 7', 'npm run model:promote -- --version 7 --yes'],
  notes: ['Exit codes: 0 promoted (or already promoted), 1 an MLflow call failed, 2 bad usage, refused, or no --yes given.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

const promoteSchema = z.object({
  version: z.string({ error: 'is required: name the version you mean to promote' }).regex(/^[1-9]\d*$/, 'expected a version number like 7'),
  from: z.string().default('staging'),
  to: z.string().default('prod'),
  yes: z.boolean().default(false),
  by: z.string().min(1).optional(),
  'tracking-uri': z.string().regex(/^https?:\/\/\S+$/, 'expected an http(s) URL').optional(),
});

export interface PromoteDeps {
  targetFor: (env: string, trackingUriOverride?: string) => RegistryTarget;
  clientFor: (target: RegistryTarget) => RegistryClient;
  now: () => Date;
  user: () => string;
}

export const defaultPromoteDeps: PromoteDeps = {
  targetFor: (env, override) => registryTarget(loadEnvironmentForCli(env), override),
  clientFor: registryClient,
  now: () => new Date(),
  user: () => os.userInfo().username,
};

export function promoteCommand(argv: readonly string[], deps: PromoteDeps = defaultPromoteDeps, io?: CliIo): Promise<ExitCode> {
  return runCli(
    promoteSpec,
    argv,
    async (raw, out) => {
      const options = validateOptions(promoteSchema, raw);
      const from = deps.targetFor(options.from, options['tracking-uri']);
      const to = deps.targetFor(options.to, options['tracking-uri']);
      const client = deps.clientFor(from);
      const plan = await planPromotion(client, from, to, options.version);
      for (const line of describePlan(plan)) out.out(line);
      if (plan.alreadyPromoted) {
        out.out(`Nothing to do: ${to.modelName}@${to.alias} already points at version ${options.version}.`);
        return ExitCode.ok;
      }
      if (!options.yes) {
        out.err('Not promoted: review the above and rerun with --yes to move the alias.');
        return ExitCode.usage;
      }
      const tags = await applyPromotion(client, plan, options.by ?? deps.user(), deps.now());
      out.out(`Promoted: ${to.modelName}@${to.alias} -> version ${options.version}; recorded ${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(', ')}`);
      return ExitCode.ok;
    },
    io,
  );
}

if (require.main === module) exitWith(promoteCommand(process.argv.slice(2)));
