// Loads an environment's validated config for the operator CLIs. Config errors name the file and field to fix;
// the CLI reports them as usage problems (fix the config or the --env flag; retrying does not help).
import { EnvironmentConfig, EnvironmentConfigError, loadEnvironment } from '../../environments';
import { UsageError } from './errors';

export function loadEnvironmentForCli(name: string, directory?: string): EnvironmentConfig {
  try {
    return loadEnvironment(name, directory);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) {
      throw new UsageError(`--env ${name}: the environment config cannot be used:\n${error.message}`, { cause: error });
    }
    throw error;
  }
}
