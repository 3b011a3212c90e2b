// Environment discovery: every environments/<name>.ts (except this file and schema.ts) is one environment and
// becomes one stack named <name>. Adding an environment is adding one file; helpers live in environments/lib/.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { EnvironmentConfig } from './schema';
import { EnvironmentConfigError } from './lib/config-error';
import { parseEnvironment, readImageTagsOverride } from './lib/parse-environment';
import { environmentConflicts } from './lib/environment-conflicts';

export type { EnvironmentConfig, EnvironmentInput } from './schema';
export { defineEnvironment } from './schema';
export { EnvironmentConfigError } from './lib/config-error';
export { parseEnvironment, readImageTagsOverride } from './lib/parse-environment';
export { platformNames, platformArns, imageUri, type PlatformNames, type PlatformArns } from './lib/platform-names';
export { scorerTopics, runsTopicOf } from './lib/kafka-topics';

const NOT_ENVIRONMENTS = new Set(['index', 'schema']);
const ENVIRONMENTS_DIR = __dirname;

/** Names of the environments, from the files in environments/, sorted. */
export function environmentNames(directory: string = ENVIRONMENTS_DIR): string[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .filter((name) => !NOT_ENVIRONMENTS.has(name))
    .sort();
}

/** Loads and validates one environment (including its image-tags override); throws EnvironmentConfigError. */
export function loadEnvironment(name: string, directory: string = ENVIRONMENTS_DIR): EnvironmentConfig {
  const known = environmentNames(directory);
  const source = `environments/${name}.ts`;
  if (!known.includes(name)) {
    throw new EnvironmentConfigError(source, [`(whole file): no such environment — known: ${known.join(', ')}`]);
  }
  // A dynamic require: environment files are discovered, not imported by name.
  const module = require(path.join(directory, `${name}.ts`)) as { default?: unknown };
  const imageTags = readImageTagsOverride(path.join(directory, 'image-tags', `${name}.json`), `environments/image-tags/${name}.json`);
  return parseEnvironment({ name, source, raw: module.default }, imageTags);
}

/**
 * Loads every environment. All environments are validated before anything fails, so one run reports
 * every broken file at once; then they are checked against each other (no shared state, names or topics).
 */
export function loadEnvironments(directory: string = ENVIRONMENTS_DIR): EnvironmentConfig[] {
  const configs: EnvironmentConfig[] = [];
  const errors: EnvironmentConfigError[] = [];
  for (const name of environmentNames(directory)) {
    try {
      configs.push(loadEnvironment(name, directory));
    } catch (error) {
      if (!(error instanceof EnvironmentConfigError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw EnvironmentConfigError.combine(errors);
  }
  const conflicts = environmentConflicts(configs.map((config) => ({ config, source: `environments/${config.name}.ts` })));
  if (conflicts) throw conflicts;
  return configs;
}
