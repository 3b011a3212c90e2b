// One environment deployed into an emulator: synthesize with the given local addresses, then apply. Used by the
// deploy:local CLI, the local nightly run and the tests, so all three deploy the same way.
import fs from 'node:fs';
import path from 'node:path';
import { deployStack, destroyStack, hasChanges, type DeployResult, type Emulator, type StackTarget } from './deploy';
import { emptyStackBuckets } from './empty-buckets';
import { synthStack } from './synth';

export interface LocalDeploymentOptions {
  readonly environment: string;
  readonly emulator: Emulator;
  /** Folder of this deployment: synth output, terraform working directory, state and log. */
  readonly workDir: string;
  /** MLP_LOCAL_* addresses of the local services (environments/lib/local-endpoints.ts), for `local`. */
  readonly synthEnv?: Record<string, string>;
  /** The cdktf app to synthesize (default this repository). */
  readonly appDir?: string;
  readonly mirror?: string;
  readonly log: (line: string) => void;
}

export interface LocalDeployment {
  readonly target: StackTarget;
  deploy(): Promise<DeployResult>;
  hasChanges(): Promise<{ changed: boolean; plan: string }>;
  destroy(): Promise<void>;
}

/** Synthesizes the environment's stack into workDir/synth and returns what can be done with it. */
export async function prepareLocalDeployment(o: LocalDeploymentOptions): Promise<LocalDeployment> {
  const terraformDir = path.join(o.workDir, 'terraform');
  // State belongs to one emulator: a deployment into another one (after a restart) starts from empty state.
  const marker = path.join(terraformDir, 'emulator.json');
  const previous = fs.existsSync(marker) ? (JSON.parse(fs.readFileSync(marker, 'utf8')) as { endpointUrl?: string }) : undefined;
  if (previous && previous.endpointUrl !== o.emulator.endpointUrl) {
    o.log(`the emulator changed (${previous.endpointUrl} → ${o.emulator.endpointUrl}): starting from empty state`);
    fs.rmSync(terraformDir, { recursive: true, force: true });
  }
  fs.mkdirSync(terraformDir, { recursive: true });
  fs.writeFileSync(marker, `${JSON.stringify({ endpointUrl: o.emulator.endpointUrl })}\n`);

  const started = Date.now();
  const stackFile = await synthStack({ stack: o.environment, outdir: path.join(o.workDir, 'synth'), env: o.synthEnv, appDir: o.appDir });
  o.log(`synthesized ${o.environment} in ${((Date.now() - started) / 1000).toFixed(1)} s (${path.relative(process.cwd(), stackFile)})`);
  const target: StackTarget = { stackFile, workDir: terraformDir, emulator: o.emulator, mirror: o.mirror, log: o.log };
  return {
    target,
    deploy: () => deployStack(target),
    hasChanges: () => hasChanges(target),
    destroy: async () => {
      await emptyStackBuckets(stackFile, o.emulator, o.log);
      await destroyStack(target);
    },
  };
}
