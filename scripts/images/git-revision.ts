// The image tag is the git short sha of the commit being built; building from uncommitted changes would push
// an image whose tag lies about its content, so that is refused unless the operator insists.
import { spawnSync } from 'node:child_process';
import { CliError } from '../cli/errors';

export function gitShortSha(repoRoot: string): string {
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new CliError(`Could not read the git revision in ${repoRoot}: ${result.stderr?.trim() || result.error?.message}`, { cause: result.error });
  return result.stdout.trim();
}

/** Uncommitted changes under the paths that go into the images. */
export function uncommittedChanges(repoRoot: string, paths: readonly string[]): string[] {
  const result = spawnSync('git', ['status', '--porcelain', '--', ...paths], { cwd: repoRoot, encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new CliError(`Could not run git status in ${repoRoot}: ${result.stderr?.trim() || result.error?.message}`, { cause: result.error });
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}
