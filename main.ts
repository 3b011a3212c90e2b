// cdktf entry point: reads and validates every environment under environments/ once, then builds one
// stack per environment, named after it (`cdktf deploy staging`, `cdktf deploy prod`).
import { App } from 'cdktf';
import { EnvironmentConfigError, loadEnvironments, type EnvironmentConfig } from './environments';
import { MlPlatformStack } from './stacks/ml-platform-stack';

export function buildApp(app: App, environments: readonly EnvironmentConfig[]): MlPlatformStack[] {
  return environments.map((config) => new MlPlatformStack(app, { config }));
}

/**
 * Validates all environments, then synthesizes their stacks into outdir. Throws EnvironmentConfigError
 * before anything is written when a file is invalid. `cdktf synth` sets CDKTF_OUTDIR; App reads it.
 */
export function synthesize(options: { environmentsDirectory?: string; outdir?: string } = {}): string[] {
  const environments = loadEnvironments(options.environmentsDirectory);
  const app = new App(options.outdir ? { outdir: options.outdir } : undefined);
  const stacks = buildApp(app, environments);
  app.synth();
  return stacks.map((stack) => stack.node.id);
}

if (require.main === module) {
  try {
    synthesize();
  } catch (error) {
    if (!(error instanceof EnvironmentConfigError)) throw error;
    // The message already names file, field and fix; a stack trace would only bury it.
    console.error(`Invalid environment configuration:\n${error.message}`);
    process.exit(1);
  }
}
