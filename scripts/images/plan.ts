// The exact commands that build and push the two images to an environment's ECR repositories. Pure, so the
// dry run prints precisely what a real run executes and tests can assert it.

export const imageNames = ['trainer', 'scorer'] as const;
export type ImageName = (typeof imageNames)[number];

export interface ImageTarget {
  /** Full repository URL, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml-staging-trainer */
  repositoryUrl: string;
  dockerfile: string;
}

export interface BuildPushInput {
  region: string;
  tag: string;
  /** Git commit the images are built from: the GIT_SHA build argument (OCI revision label and GIT_SHA in the image). */
  revision: string;
  /** Build context, relative to the repository root. */
  context: string;
  /** SageMaker runs linux/amd64 instances, so build for that whatever the operator's machine is. */
  platform: string;
  images: Record<ImageName, ImageTarget>;
}

/** One process to run; `stdinFrom` pipes the previous command's stdout into this one (the ECR login). */
export interface PlannedCommand {
  argv: string[];
  pipeFromPrevious?: boolean;
  description: string;
}

export function registryOf(repositoryUrl: string): string {
  const slash = repositoryUrl.indexOf('/');
  if (slash <= 0) throw new Error(`ECR repository URL ${JSON.stringify(repositoryUrl)} has no registry part (expected <registry>/<name>)`);
  return repositoryUrl.slice(0, slash);
}

/**
 * The command that tells whether an image's tag is already in ECR (exit 0: it is). The repositories are
 * immutable, so a rerun after a partial push skips what is there instead of failing on it.
 */
export function existsCommand(input: BuildPushInput, name: ImageName): PlannedCommand {
  const url = input.images[name].repositoryUrl;
  return {
    argv: ['aws', 'ecr', 'describe-images', '--region', input.region, '--repository-name', url.slice(url.indexOf('/') + 1), '--image-ids', `imageTag=${input.tag}`],
    description: `check whether ${name}:${input.tag} is already pushed`,
  };
}

/** Login, build and push of the given images (both by default). */
export function planBuildPush(input: BuildPushInput, only: readonly ImageName[] = imageNames): PlannedCommand[] {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(input.tag)) throw new Error(`Image tag ${JSON.stringify(input.tag)} is not a valid Docker tag`);
  const selected = imageNames.filter((name) => only.includes(name));
  if (selected.length === 0) return [];
  const registries = [...new Set(selected.map((name) => registryOf(input.images[name].repositoryUrl)))];
  const commands: PlannedCommand[] = [];
  for (const registry of registries) {
    commands.push({ argv: ['aws', 'ecr', 'get-login-password', '--region', input.region], description: `get an ECR token for ${registry}` });
    commands.push({ argv: ['docker', 'login', '--username', 'AWS', '--password-stdin', registry], pipeFromPrevious: true, description: `log docker in to ${registry}` });
  }
  for (const name of selected) {
    const image = `${input.images[name].repositoryUrl}:${input.tag}`;
    commands.push({
      argv: ['docker', 'build', '--platform', input.platform, '--file', input.images[name].dockerfile, '--tag', image, '--build-arg', `GIT_SHA=${input.revision}`, input.context],
      description: `build the ${name} image`,
    });
  }
  for (const name of selected) {
    commands.push({ argv: ['docker', 'push', `${input.images[name].repositoryUrl}:${input.tag}`], description: `push the ${name} image` });
  }
  return commands;
}

/** Shell text for one command, quoted so it can be pasted into a POSIX shell as is. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The plan as shell lines; a piped pair becomes `a | b`. */
export function planAsShell(commands: readonly PlannedCommand[]): string[] {
  const lines: string[] = [];
  for (const command of commands) {
    if (command.pipeFromPrevious && lines.length > 0) lines[lines.length - 1] = `${lines[lines.length - 1]} | ${shellQuote(command.argv)}`;
    else lines.push(shellQuote(command.argv));
  }
  return lines;
}
