// Applies a synthesized stack (cdk.tf.json, unchanged) into the AWS emulator with real terraform: a working
// directory per stack holds a copy of the stack, the generated override file, the local state and the log.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import fs from 'node:fs';
import path from 'node:path';
import { DeployError } from './errors';
import { OVERRIDE_FILE, pinnedProviderVersion, renderOverride, type SynthesizedStack } from './override';
import { chooseProvider, describeProvider, type ProviderChoice } from './provider-mirror';
import { terraformEnv, terraformOk, type TerraformRunner } from './terraform';

export interface Emulator {
  readonly endpointUrl: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface StackTarget {
  /** The synthesized cdk.tf.json. */
  readonly stackFile: string;
  /** Working directory of this stack's local deployment (state, override, log). */
  readonly workDir: string;
  readonly emulator: Emulator;
  /** An explicit provider mirror directory (else TF_PLUGIN_MIRROR, the CLI config, implied dirs, /opt). */
  readonly mirror?: string;
  readonly log: (line: string) => void;
}

export interface DeployResult {
  readonly outputs: Record<string, unknown>;
  /** Resources the stack declares (all of them were applied). */
  readonly resources: number;
  readonly provider: ProviderChoice;
  readonly seconds: number;
  readonly workDir: string;
}

interface StackConfig extends SynthesizedStack {
  readonly provider?: { aws?: { allowed_account_ids?: string[]; region?: string }[] };
}

function readStack(file: string): StackConfig {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StackConfig;
  } catch (error) {
    throw new DeployError(`cannot read the synthesized stack ${file}: run the synth first`, { cause: error });
  }
}

/** The provider's allowed_account_ids must name the account the emulator answers as, or terraform refuses late. */
export async function checkEmulatorAccount(stack: StackConfig, emulator: Emulator): Promise<string> {
  const allowed = stack.provider?.aws?.[0]?.allowed_account_ids ?? [];
  const sts = new STSClient({ endpoint: emulator.endpointUrl, region: stack.provider?.aws?.[0]?.region ?? 'us-east-1', credentials: emulator.credentials });
  let account: string | undefined;
  try {
    account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (error) {
    throw new DeployError(`the AWS emulator at ${emulator.endpointUrl} does not answer (sts:GetCallerIdentity): is it running?`, { retryable: true, cause: error });
  } finally {
    sts.destroy();
  }
  if (account === undefined || (allowed.length > 0 && !allowed.includes(account))) {
    throw new DeployError(
      `the AWS emulator at ${emulator.endpointUrl} answers as account ${account ?? '(none)'}, but the stack may only be deployed to ${allowed.join(', ')} ` +
        `(allowed_account_ids): start an emulator for that account, e.g. npm run services -- start --only aws --aws-account ${allowed[0] ?? '<id>'}`,
    );
  }
  return account;
}

async function prepare(target: StackTarget): Promise<{ runner: TerraformRunner; provider: ProviderChoice }> {
  const stack = readStack(target.stackFile);
  const pinned = pinnedProviderVersion(stack);
  let provider: ProviderChoice;
  try {
    provider = chooseProvider(pinned, { mirror: target.mirror });
  } catch (error) {
    throw new DeployError((error as Error).message, { cause: error });
  }
  await checkEmulatorAccount(stack, target.emulator);
  fs.mkdirSync(target.workDir, { recursive: true });
  fs.copyFileSync(target.stackFile, path.join(target.workDir, 'cdk.tf.json'));
  const override = renderOverride({
    stack,
    endpointUrl: target.emulator.endpointUrl,
    stateFile: path.join(target.workDir, 'terraform.tfstate'),
    providerVersion: provider.version === pinned ? undefined : provider.version,
    credentials: target.emulator.credentials,
  });
  fs.writeFileSync(path.join(target.workDir, OVERRIDE_FILE), `${JSON.stringify(override, null, 2)}\n`);
  const runner: TerraformRunner = { dir: target.workDir, logFile: path.join(target.workDir, 'terraform.log'), env: terraformEnv(), progress: target.log };
  await terraformOk(runner, ['init', '-input=false', ...(provider.pluginDir ? [`-plugin-dir=${provider.pluginDir}`] : [])], [0], { quiet: true });
  return { runner, provider };
}

/** terraform init + apply; resolves with the stack's outputs. */
export async function deployStack(target: StackTarget): Promise<DeployResult> {
  const started = Date.now();
  const { runner, provider } = await prepare(target);
  target.log(describeProvider(provider));
  await terraformOk(runner, ['apply', '-auto-approve', '-input=false']);
  const outputs = await readOutputs(runner);
  const resources = Object.values(readStack(target.stackFile).resource ?? {}).reduce<number>((count, byName) => count + Object.keys(byName as object).length, 0);
  return { outputs, resources, provider, seconds: (Date.now() - started) / 1000, workDir: target.workDir };
}

/** `terraform plan -detailed-exitcode`: true when the deployed resources differ from the stack. */
export async function hasChanges(target: StackTarget): Promise<{ changed: boolean; plan: string }> {
  const { runner } = await prepare(target);
  const result = await terraformOk(runner, ['plan', '-detailed-exitcode', '-input=false'], [0, 2], { quiet: true });
  return { changed: result.code === 2, plan: result.stdout };
}

export async function destroyStack(target: StackTarget): Promise<void> {
  const { runner } = await prepare(target);
  await terraformOk(runner, ['destroy', '-auto-approve', '-input=false']);
}

async function readOutputs(runner: TerraformRunner): Promise<Record<string, unknown>> {
  const { stdout } = await terraformOk(runner, ['output', '-json'], [0], { quiet: true });
  const parsed = JSON.parse(stdout) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(parsed).map(([name, output]) => [name, output.value]));
}
