// npm run deploy:local — synthesizes an environment (default `local`) and applies its stack with real terraform
// into the local AWS emulator. See docs/local-deploy.md.
import path from 'node:path';
import { z } from 'zod';
import { CliSpec, OptionSpec, validateOptions } from '../../cli/args';
import { loadEnvironmentForCli } from '../../cli/environment';
import { CliError, ExitCode } from '../../cli/errors';
import { CliIo, exitWith, runCli } from '../../cli/main';
import { ensureInstalled, startServices } from '../services';
import { AWS_TEST_CREDENTIALS } from '../services/aws';
import { findEmulator, runningEmulator } from './emulator';
import { DeployError } from './errors';
import { prepareLocalDeployment } from './local-deployment';
import { repoRoot } from './synth';

export const deploySpec = {
  command: 'npm run deploy:local --',
  summary:
    'Synthesize an environment and apply its Terraform stack, unchanged, with real terraform into the local AWS emulator (moto). ' +
    'A generated override file sets the provider endpoints, test credentials and a local state file.',
  options: {
    env: { type: 'string', valueName: 'NAME', description: 'Environment to deploy (default local; staging and prod work too, into an emulator of their account).' },
    endpoint: { type: 'string', valueName: 'URL', description: 'The emulator to deploy into (default: AWS_ENDPOINT_URL, else a running `npm run services` emulator of the account, else one is started).' },
    'plugin-dir': { type: 'string', valueName: 'DIR', description: 'Terraform provider mirror (default: TF_PLUGIN_MIRROR, the CLI config, implied mirror dirs, a search of /opt; else the registry).' },
    plan: { type: 'boolean', description: 'Only show whether the deployed resources differ from the stack (terraform plan -detailed-exitcode).' },
    destroy: { type: 'boolean', description: 'Destroy what an earlier deploy:local created in this emulator.' },
    'work-dir': { type: 'string', valueName: 'DIR', description: 'Where synth output, state and the terraform log live (default .local/deploy/<env>).' },
  },
  examples: ['npm run deploy:local', 'npm run deploy:local -- --plan', 'npm run deploy:local -- --env staging --endpoint http://127.0.0.1:5055'],
  notes: [
    'When no emulator for the environment\'s account is running, one is started and kept running after the deploy until Ctrl-C.',
    'Exit codes: 0 deployed (or --plan: no changes), 1 failed (terraform\'s error is quoted, the log is named), 2 bad usage or configuration, 3 --plan found changes.',
  ],
} satisfies CliSpec<Record<string, OptionSpec>>;

const optionsSchema = z.object({
  env: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected an environment name').default('local'),
  endpoint: z.string().url('expected a URL like http://127.0.0.1:5055').optional(),
  'plugin-dir': z.string().optional(),
  plan: z.boolean().default(false),
  destroy: z.boolean().default(false),
  'work-dir': z.string().optional(),
});

async function run(raw: Record<string, unknown>, io: CliIo): Promise<ExitCode> {
  const o = validateOptions(optionsSchema, raw);
  if (o.plan && o.destroy) throw new CliError('--plan and --destroy exclude each other', { exitCode: ExitCode.usage });
  const config = loadEnvironmentForCli(o.env);
  const accountId = config.account.id;
  const log = (line: string) => io.out(`  ${line}`);

  let emulator = o.endpoint || process.env.AWS_ENDPOINT_URL ? findEmulator({ accountId, endpoint: o.endpoint }) : runningEmulator(accountId);
  let stopServices: (() => Promise<void>) | undefined;
  if (!emulator) {
    if (o.plan || o.destroy) throw new DeployError(`no AWS emulator for account ${accountId} is running, so there is nothing deployed to ${o.plan ? 'compare' : 'destroy'}`);
    io.out(`no AWS emulator for account ${accountId} is running: starting one`);
    await ensureInstalled(['aws'], { log });
    const services = await startServices({ only: ['aws'], awsAccountId: accountId, log });
    emulator = { endpointUrl: services.endpoints.aws!.endpointUrl, credentials: AWS_TEST_CREDENTIALS };
    stopServices = () => services.stop();
  }

  try {
    const workDir = path.resolve(o['work-dir'] ?? path.join(repoRoot, '.local', 'deploy', o.env));
    const deployment = await prepareLocalDeployment({ environment: o.env, emulator, workDir, mirror: o['plugin-dir'], log });
    if (o.plan) {
      const { changed, plan } = await deployment.hasChanges();
      io.out(changed ? plan.trim() : `no changes: what is deployed in ${emulator.endpointUrl} matches the ${o.env} stack`);
      return changed ? ExitCode.stopped : ExitCode.ok;
    }
    if (o.destroy) {
      await deployment.destroy();
      io.out(`destroyed the ${o.env} stack in ${emulator.endpointUrl}`);
      return ExitCode.ok;
    }
    io.out(`deploying ${o.env} (account ${accountId}) into ${emulator.endpointUrl} with terraform…`);
    const result = await deployment.deploy();
    io.out(`\n${o.env} deployed in ${result.seconds.toFixed(1)} s; state and log in ${result.workDir}`);
    for (const [name, value] of Object.entries(result.outputs)) io.out(`  ${name.padEnd(32)} ${String(value)}`);
    if (!stopServices) return ExitCode.ok;
    io.out(`\nThe emulator keeps running (export AWS_ENDPOINT_URL=${emulator.endpointUrl}); press Ctrl-C to stop it and with it this deployment.`);
    await new Promise<void>((resolve) => {
      const keepAlive = setInterval(() => undefined, 1 << 30);
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.once(signal, () => {
          clearInterval(keepAlive);
          resolve();
        });
      }
    });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof DeployError) throw new CliError(error.message, { retryable: error.retryable, cause: error.cause });
    throw error;
  } finally {
    await stopServices?.();
  }
}

export function main(argv: readonly string[], io?: CliIo): Promise<ExitCode> {
  return runCli(deploySpec, argv, run, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
