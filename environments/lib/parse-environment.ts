// Validation of one environment: the raw object an environment file exports, plus the optional image-tag
// override recorded by the build-push script. Pure, so tests can feed it any object.
import { existsSync, readFileSync } from 'node:fs';
import { environmentSchema, imageTagsOverrideSchema, type EnvironmentConfig, type ImageTagsOverride } from '../schema';
import { configError, EnvironmentConfigError } from './config-error';

export interface EnvironmentSource {
  /** Environment name (the file name without .ts). */
  readonly name: string;
  /** Path shown in error messages, e.g. "environments/staging.ts". */
  readonly source: string;
  readonly raw: unknown;
}

export function parseEnvironment(input: EnvironmentSource, imageTags?: { source: string; tags: ImageTagsOverride }): EnvironmentConfig {
  if (typeof input.raw !== 'object' || input.raw === null) {
    throw new EnvironmentConfigError(input.source, ['(whole file): must export default defineEnvironment({ ... })']);
  }
  const result = environmentSchema.safeParse({ ...input.raw, name: input.name }, { reportInput: true });
  if (!result.success) throw configError(input.source, result.error);
  if (!imageTags) return result.data;
  return { ...result.data, images: { ...result.data.images, ...definedOnly(imageTags.tags) } };
}

function definedOnly(tags: ImageTagsOverride): Partial<Record<keyof ImageTagsOverride, string>> {
  return Object.fromEntries(Object.entries(tags).filter(([, tag]) => tag !== undefined));
}

/**
 * Reads environments/image-tags/<env>.json when it exists. The build-push script records the tags it pushed
 * there, so a deploy uses exactly the images that were built without editing the environment file.
 */
export function readImageTagsOverride(file: string, source: string): { source: string; tags: ImageTagsOverride } | undefined {
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EnvironmentConfigError(source, [`(whole file): must be JSON like {"trainer":"<tag>","scorer":"<tag>"} — ${String(error)}`], {
      cause: error,
    });
  }
  const result = imageTagsOverrideSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw configError(source, result.error);
  return { source, tags: result.data };
}
