// images:build-push — build the trainer and scorer images, push them to the environment's ECR repositories
// tagged with the git short sha, then record the tag in environments/image-tags/<env>.json.
import { z } from 'zod';
import { CliSpec, OptionSpec, validateOptions } from '../cli/args';
import { loadEnvironmentForCli } from '../cli/environment';
import { CliError, ExitCode } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { gitShortSha, uncommittedChanges } from './git-revision';
import { existsCommand, imageNames, planAsShell, planBuildPush } from './plan';
import { checkTools, imageExists, runPlan } from './run-commands';
import { imageTagsPath, recordImageTags } from './tag-file';
import { buildPushInput, imageSourcePaths, repoRoot } from './targets';

export const buildPushSpec = {
  command: 'npm run images:build-push --',
  summary: 'Build the trainer and scorer images, push them to the environment\'s ECR repositories tagged with the git short sha, and record the tag in environments/image-tags/<env>.json (read by the environment config at synth).',
  options: {
    env: { type: 'string', short: 'e', valueName: 'ENV', description: 'Environment whose account, region and repositories to push to.' },
    'dry-run': { type: 'boolean', short: 'n', description: 'Print the exact aws/docker commands and the tag file change; run nothing, write nothing.' },
    tag: { type: 'string', valueName: 'TAG', description: 'Use this tag instead of the git short sha.' },
    platform: { type: 'string', valueName: 'OS/ARCH', description: 'Target platform (default linux/amd64, what SageMaker instances run).' },
    'allow-dirty': { type: 'boolean', description: 'Build even with uncommitted changes in what goes into the images (the tag would not describe the content).' },
  },
  examples: ['npm run images:build-push -- --env staging --dry-run', 'npm run images:build-push -- --env prod'],
  notes: [
    'Then deploy so the pipelines use the new images: npx cdktf deploy <env>.',
    'Exit codes: 0 pushed and recorded (or dry run printed), 1 a command failed (nothing recorded), 2 bad usage.',
  ],
} satisfies CliSpec<Record<string, OptionSpec>>;

const buildPushSchema = z.object({
  env: z.string({ error: 'is required, e.g. --env staging' }),
  'dry-run': z.boolean().default(false),
  tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'expected a Docker tag (letters, digits, _ . -)').refine((tag) => tag !== 'latest', 'repositories are immutable: "latest" cannot move').optional(),
  platform: z.string().regex(/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/, 'expected OS/ARCH, e.g. linux/amd64').default('linux/amd64'),
  'allow-dirty': z.boolean().default(false),
});

export function buildPushCommand(argv: readonly string[], io?: CliIo): Promise<ExitCode> {
  return runCli(
    buildPushSpec,
    argv,
    async (raw, out) => {
      const options = validateOptions(buildPushSchema, raw);
      const config = loadEnvironmentForCli(options.env);
      const revision = gitShortSha(repoRoot);
      const tag = options.tag ?? revision;
      const dirty = uncommittedChanges(repoRoot, imageSourcePaths);
      const input = buildPushInput(config, tag, revision, options.platform);
      const plan = planBuildPush(input);
      const tagFile = imageTagsPath(repoRoot, options.env);
      const relativeTagFile = `environments/image-tags/${options.env}.json`;

      if (options['dry-run']) {
        if (dirty.length > 0) out.err(`Warning: ${dirty.length} uncommitted change(s) under ${imageSourcePaths.join(', ')}; a real run refuses them without --allow-dirty.`);
        out.out(`# Dry run for ${options.env} (${config.account.id}, ${config.account.region}), tag ${tag}. Commands, run from ${repoRoot}:`);
        out.out('# A real run first skips images whose tag is already in ECR (immutable tags), checking with:');
        for (const name of imageNames) out.out(`#   ${planAsShell([existsCommand(input, name)])[0]}`);
        for (const line of planAsShell(plan)) out.out(line);
        out.out(`# then write ${relativeTagFile}: ${JSON.stringify({ trainer: tag, scorer: tag })}`);
        return ExitCode.ok;
      }
      if (dirty.length > 0 && !options['allow-dirty']) {
        throw new CliError(`Uncommitted changes would go into images tagged ${tag}:\n${dirty.map((line) => `  ${line}`).join('\n')}\nCommit them first, or pass --allow-dirty.`, { exitCode: ExitCode.usage });
      }
      checkTools();
      const missing = imageNames.filter((name) => !imageExists(existsCommand(input, name), repoRoot));
      for (const name of imageNames.filter((n) => !missing.includes(n))) out.out(`${name}:${tag} is already in ECR; not rebuilding it.`);
      await runPlan(planBuildPush(input, missing), repoRoot, out.out);
      const written = await recordImageTags(tagFile, { trainer: tag, scorer: tag });
      out.out(`Pushed both images with tag ${tag}; recorded in ${relativeTagFile}: ${JSON.stringify(written)}`);
      out.out(`Commit that file and deploy: npx cdktf deploy ${options.env}`);
      return ExitCode.ok;
    },
    io,
  );
}

if (require.main === module) exitWith(buildPushCommand(process.argv.slice(2)));
