// First-use installs, cached by stamp files: the Python virtualenv (MLflow, moto) from requirements-dev.txt and
// the Kafka jars from scripts/local/services/kafka/pom.xml. Each is redone only when the hash of its inputs changes.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { formatLogTail, LocalServicesError, missingToolError } from './errors';
import { commandWorks, isAlive, readLogTail } from './processes';
import { defaultBaseDir, defaultVenvDir, kafkaLibsDir, kafkaPom, requirementsFile, venvBin } from './paths';
import type { ServiceName } from './types';

export interface InstallOptions {
  baseDir?: string;
  venvDir?: string;
  log?: (line: string) => void;
}

/** A virtualenv of its own for a tool whose pinned dependencies must not meet the project's (e.g. checkov). */
export interface PythonEnvOptions extends InstallOptions {
  /** Default: requirements-dev.txt (MLflow, moto, the trainer). */
  requirementsFile?: string;
  /** Lock and log name, so two different virtualenvs install in parallel. Default: "python". */
  name?: string;
  /** What the packages are for, named in the error when python3 is missing. */
  purpose?: string;
}

const STAMP = '.install-stamp';

export function pythonBin(venvDir: string = defaultVenvDir): string {
  return venvBin('python', venvDir);
}

/** Java class path of the Kafka broker and its tools (a JVM wildcard over the resolved jars). */
export function kafkaClasspath(baseDir: string = defaultBaseDir): string {
  return path.join(kafkaLibsDir(baseDir), '*');
}

/** Hash of a requirements file and every file it pulls in with `-r`, so an edit to either reinstalls. */
export function requirementsHash(file: string): string {
  const hash = crypto.createHash('sha256');
  const seen = new Set<string>();
  // Paths relative to the top file: a copy of the tree sharing the .venv (a symlink) has the same stamp, so it never
  // reinstalls the shared venv from its own paths (which would re-point the editable trainer at the copy).
  const root = path.dirname(path.resolve(file));
  const visit = (f: string) => {
    const abs = path.resolve(f);
    if (seen.has(abs)) return;
    seen.add(abs);
    const text = fs.readFileSync(abs, 'utf8');
    hash.update(path.relative(root, abs)).update('\0').update(text).update('\0');
    for (const line of text.split('\n')) {
      const m = /^\s*(?:-r|--requirement)\s+(\S+)/.exec(line);
      if (m?.[1] !== undefined) visit(path.resolve(path.dirname(abs), m[1]));
    }
  };
  visit(file);
  return hash.digest('hex');
}

export function fileHash(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function stampMatches(dir: string, hash: string): boolean {
  try {
    return fs.readFileSync(path.join(dir, STAMP), 'utf8').trim() === hash;
  } catch {
    return false;
  }
}

/** Serializes installs across processes (parallel test runs share the venv and the jar folder). */
export async function withLock<T>(lockDir: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  const ownerFile = path.join(lockDir, 'owner');
  let warned = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(ownerFile, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.existsSync(ownerFile) ? fs.readFileSync(ownerFile, 'utf8') : NaN);
      if (Number.isInteger(owner) && !isAlive(owner)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!warned) log(`waiting for another install to finish (${lockDir})`);
      warned = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Runs a command with its output appended to logFile; a non-zero exit becomes an INSTALL_FAILED with the tail. */
export function runLogged(what: string, cmd: string, args: string[], logFile: string, cwd: string): Promise<void> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.appendFileSync(logFile, `\n$ ${cmd} ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const fd = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', fd, fd], env: process.env });
    fs.closeSync(fd);
    child.once('error', (err) =>
      reject(new LocalServicesError('INSTALL_FAILED', `${what} could not run '${cmd}': ${err.message}`, { cause: err })),
    );
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new LocalServicesError(
          'INSTALL_FAILED',
          `${what} failed (${signal ?? `exit code ${String(code)}`}); full log: ${logFile}` +
            formatLogTail(path.basename(logFile), readLogTail(logFile, 30)),
          { retryable: true },
        ),
      );
    });
  });
}

export async function ensurePythonEnv(opts: PythonEnvOptions = {}): Promise<void> {
  const venvDir = opts.venvDir ?? defaultVenvDir;
  const baseDir = opts.baseDir ?? defaultBaseDir;
  const requirements = opts.requirementsFile ?? requirementsFile;
  const name = opts.name ?? 'python';
  const log = opts.log ?? (() => undefined);
  const hash = requirementsHash(requirements);
  if (stampMatches(venvDir, hash)) return;
  await withLock(path.join(baseDir, 'locks', name), log, async () => {
    if (stampMatches(venvDir, hash)) return;
    const logFile = path.join(baseDir, 'logs', `install-${name}.log`);
    if (!fs.existsSync(pythonBin(venvDir))) {
      if (!commandWorks('python3')) {
        throw missingToolError('python3', opts.purpose ?? 'MLflow and the AWS emulator (moto)', 'Install Python 3.10 or newer with the venv module (e.g. apt-get install python3 python3-venv).');
      }
      log(`creating the Python virtualenv at ${venvDir}`);
      await runLogged('creating the Python virtualenv', 'python3', ['-m', 'venv', venvDir], logFile, path.dirname(requirements));
    }
    const started = Date.now();
    log(`installing Python packages from ${path.relative(process.cwd(), requirements)} (first use only, about a minute)`);
    await runLogged('pip install', pythonBin(venvDir), ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirements], logFile, path.dirname(requirements));
    fs.writeFileSync(path.join(venvDir, STAMP), hash);
    log(`Python packages installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

export async function ensureKafkaJars(opts: InstallOptions = {}): Promise<void> {
  const baseDir = opts.baseDir ?? defaultBaseDir;
  const log = opts.log ?? (() => undefined);
  const libs = kafkaLibsDir(baseDir);
  if (!commandWorks('java', ['-version'])) {
    throw missingToolError('java', 'the Kafka broker', 'Install a Java runtime, version 17 or newer (e.g. apt-get install openjdk-17-jre-headless).');
  }
  const hash = fileHash(kafkaPom);
  if (stampMatches(libs, hash)) return;
  await withLock(path.join(baseDir, 'locks', 'kafka'), log, async () => {
    if (stampMatches(libs, hash)) return;
    if (!commandWorks('mvn', ['-v'])) {
      throw missingToolError('mvn', 'resolving the Kafka jars', 'Install Apache Maven 3.6 or newer (e.g. apt-get install maven).');
    }
    const started = Date.now();
    log(`resolving the Kafka jars into ${libs} (first use only)`);
    fs.mkdirSync(libs, { recursive: true });
    await runLogged(
      'mvn dependency:copy-dependencies',
      'mvn',
      ['-B', '-q', '-f', kafkaPom, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime', '-DoverWriteReleases=false'],
      path.join(baseDir, 'logs', 'install-kafka.log'),
      path.dirname(kafkaPom),
    );
    fs.writeFileSync(path.join(libs, STAMP), hash);
    log(`Kafka jars resolved in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

/** Installs what the given services need (all three by default); cheap when everything is already cached. */
export async function ensureInstalled(only?: ServiceName[], opts: InstallOptions = {}): Promise<void> {
  const wanted = new Set<ServiceName>(only ?? ['kafka', 'mlflow', 'aws']);
  if (wanted.has('kafka')) await ensureKafkaJars(opts);
  if (wanted.has('mlflow') || wanted.has('aws')) await ensurePythonEnv(opts);
}

/** Fails fast with the fix when a service is started without its install. */
export function assertInstalled(name: ServiceName, opts: { baseDir: string; venvDir: string }): void {
  const missing =
    name === 'kafka'
      ? !hasKafkaJar(kafkaLibsDir(opts.baseDir))
      : !fs.existsSync(venvBin(name === 'mlflow' ? 'mlflow' : 'moto_server', opts.venvDir));
  if (missing) {
    throw new LocalServicesError('NOT_INSTALLED', `${name} is not installed; run 'npm run services -- install' (or call ensureInstalled()) first.`);
  }
}

function hasKafkaJar(libs: string): boolean {
  return fs.existsSync(libs) && fs.readdirSync(libs).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
}
