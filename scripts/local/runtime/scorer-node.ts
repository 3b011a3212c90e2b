// The Node.js binary the scorer image runs on, for running the scorer locally "as its image would".
// containers/scorer/Dockerfile pins `FROM node:<version>-bookworm-slim`; containers/scorer/node/package.json pins the
// same version of the registry's Node.js binary packages, which scripts/bootstrap.sh installs (Linux only, like the
// image) at a stable path: containers/scorer/node/node_modules/.bin/node.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const scorerNodeDir = path.join(repoRoot, 'containers', 'scorer', 'node');
/** Where scripts/bootstrap.sh puts the scorer image's Node.js binary. */
export const scorerNodePath = path.join(scorerNodeDir, 'node_modules', '.bin', 'node');

export class ScorerNodeUnavailableError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'ScorerNodeUnavailableError';
  }
}

/** The Node.js version of the scorer image, e.g. `22.23.5`. */
export function scorerNodeVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(scorerNodeDir, 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Absolute path of the scorer image's Node.js binary, checked to be the pinned version. Throws with the fix when it is
 * not installed, or on a platform the image's Node is not installed for (anything but Linux).
 */
export function scorerNodeBinary(): string {
  const version = scorerNodeVersion();
  if (process.platform !== 'linux') {
    throw new ScorerNodeUnavailableError(`the scorer image's Node.js ${version} is installed on Linux only (this is ${process.platform}); the image itself runs on Linux`);
  }
  if (!fs.existsSync(scorerNodePath)) {
    throw new ScorerNodeUnavailableError(`the scorer image's Node.js ${version} is not installed at ${scorerNodePath}: run \`bash scripts/bootstrap.sh\``);
  }
  const reported = execFileSync(scorerNodePath, ['--version'], { encoding: 'utf8' }).trim();
  if (reported !== `v${version}`) {
    throw new ScorerNodeUnavailableError(`${scorerNodePath} is Node.js ${reported}, not the scorer image's v${version}: run \`bash scripts/bootstrap.sh\``);
  }
  return scorerNodePath;
}
