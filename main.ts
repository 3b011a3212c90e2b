// cdktf entry point: reads and validates every environment under environments/ once, then builds one
// stack per environment, named after it (`cdktf deploy staging`, `cdktf deploy prod`).
import { App } from 'cdktf';
import { EnvironmentConfigError, loadEnvironments, type EnvironmentConfig } from './environments';
import { MlPlatformStack } from './stacks/ml-platform-stack';

export function buildApp(app: App, environments: readonly EnvironmentConfig[]): MlPlatformStack[] {
  return environments.map((config) => new MlPlatformStack(app, { config }));
}

function main(): void {
  let environments: EnvironmentConfig[];
  try {
    environments = loadEnvironments();
  } catch (error) {
    if (error instanceof EnvironmentConfigError) {
      // The message already names file, field and fix; a stack trace would only bury it.
      console.error(`Invalid environment configuration:\n${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const app = new App();
  buildApp(app, environments);
  app.synth();
}

if (require.main === module) main();
