// The ECR repositories of an environment, derived from its config with the same helper the stacks use
// (imageUri), so the pushed image is exactly the one the pipelines will pull once the tag is recorded.
import path from 'node:path';
import { EnvironmentConfig, imageUri } from '../../environments';
import { BuildPushInput, ImageName, imageNames } from './plan';

export const repoRoot = path.resolve(__dirname, '..', '..');

const dockerfiles: Record<ImageName, string> = {
  trainer: 'containers/trainer/Dockerfile',
  scorer: 'containers/scorer/Dockerfile',
};

/** Paths whose content goes into the images: uncommitted changes there make the git-sha tag a lie. */
export const imageSourcePaths = ['apps', 'containers', 'package.json', 'package-lock.json', 'tsconfig.json', '.npmrc'];

export function buildPushInput(config: EnvironmentConfig, tag: string, revision: string, platform: string): BuildPushInput {
  const withTag = { ...config, images: { ...config.images, trainer: tag, scorer: tag } };
  const images = Object.fromEntries(
    imageNames.map((name) => {
      const reference = imageUri(withTag, name);
      return [name, { repositoryUrl: reference.slice(0, reference.lastIndexOf(':')), dockerfile: dockerfiles[name] }];
    }),
  ) as BuildPushInput['images'];
  return { region: config.account.region, tag, revision, context: '.', platform, images };
}
