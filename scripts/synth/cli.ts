// npm run synth — validates every environment first, so an invalid file is reported once (cdktf echoes whatever its
// app prints twice: live and again in its error summary), then runs `cdktf synth` without its version check
// (CHECKPOINT_DISABLE=1: the check calls HashiCorp's checkpoint service, which offline machines cannot reach).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EnvironmentConfigError, loadEnvironments } from '../../environments';
import { CliSpec, OptionSpec } from '../cli/args';
import { ExitCode, UsageError } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';

const repoRoot = path.resolve(__dirname, '..', '..');

export const synthSpec = {
  command: 'npm run synth --',
  summary:
    'Validate every environment under environments/ and synthesize one Terraform stack per environment into ' +
    'cdktf.out/stacks/<env>/cdk.tf.json (native Terraform JSON configuration: terraform reads *.tf.json files as they are).',
  options: {},
  examples: ['npm run synth', 'CHECKPOINT_DISABLE=1 npx cdktf diff staging    # plan one stack (cdktf synthesizes again)'],
  notes: ['Exit codes: 0 synthesized, 1 synth failed (cdktf printed why), 2 an environment file is invalid (each problem is named with its file, field and fix).'],
} satisfies CliSpec<Record<string, OptionSpec>>;

export interface SynthDeps {
  validate: () => void;
  runCdktf: (args: readonly string[]) => Promise<number>;
}

/**
 * cdktf's environment: no version check, and no TF_CLI_CONFIG_FILE that names a missing file (terraform, which cdktf
 * runs for its version, would warn about it three times per synth; synth reads no CLI configuration).
 */
export function synthEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...env, CHECKPOINT_DISABLE: '1' };
  if (result.TF_CLI_CONFIG_FILE && !fs.existsSync(result.TF_CLI_CONFIG_FILE)) delete result.TF_CLI_CONFIG_FILE;
  return result;
}

function runCdktf(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'node_modules', '.bin', 'cdktf'), [...args], {
      cwd: repoRoot,
      stdio: 'inherit',
      env: synthEnv(process.env),
    });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? ExitCode.failed));
  });
}

export const defaultSynthDeps: SynthDeps = { validate: () => void loadEnvironments(), runCdktf };

export function synthCommand(argv: readonly string[], deps: SynthDeps = defaultSynthDeps, io?: CliIo): Promise<number> {
  return runCli(
    synthSpec,
    argv,
    async () => {
      try {
        deps.validate();
      } catch (error) {
        if (error instanceof EnvironmentConfigError) throw new UsageError(`Invalid environment configuration:\n${error.message}`, { cause: error });
        throw error;
      }
      return (await deps.runCdktf(['synth'])) === 0 ? ExitCode.ok : ExitCode.failed;
    },
    io,
  );
}

if (require.main === module) exitWith(synthCommand(process.argv.slice(2)));
