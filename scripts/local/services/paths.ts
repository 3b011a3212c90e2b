// Where the local services keep their installs, data and logs. Everything lives under one git-ignored folder
// (.local by default) except the Python virtualenv, which the whole project shares at <repo>/.venv.
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const defaultBaseDir = path.join(repoRoot, '.local');
export const defaultVenvDir = path.join(repoRoot, '.venv');
export const requirementsFile = path.join(repoRoot, 'requirements-dev.txt');
export const kafkaPom = path.join(repoRoot, 'scripts', 'local', 'services', 'kafka', 'pom.xml');

export function kafkaLibsDir(baseDir: string = defaultBaseDir): string {
  return path.join(baseDir, 'kafka', 'libs');
}

/** Per-run folders (data, logs, pid records) live here; see run-registry.ts. */
export function runsDir(baseDir: string = defaultBaseDir): string {
  return path.join(baseDir, 'run');
}

export function venvBin(name: string, venvDir: string = defaultVenvDir): string {
  return path.join(venvDir, 'bin', name);
}
