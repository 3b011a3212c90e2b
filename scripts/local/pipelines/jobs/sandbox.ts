// Runs a job process so that it sees SageMaker's container paths (/opt/ml/..., the image's working directory, its
// extra folders such as /app) without touching the host's real filesystem: a private mount namespace per job
// process (util-linux `unshare -m`, as root; `unshare -Urm` without root where the kernel allows user namespaces).
// Inside it a constructed root is assembled on a tmpfs: host top-level folders bind-mounted (read-only, except
// /dev, /proc, /sys), /opt and /home as overlays whose writable layer lives on that tmpfs (so /opt/ml and a home
// folder can exist), /tmp and /opt/ml bound to the job's own folders, the runtime's binds; then chroot, a clean
// environment and the working directory. Every mount disappears when the job's last process exits.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { LocalEnvironmentError } from '../errors';

export type NamespaceMode = 'root' | 'user-namespace';

export interface NamespaceSupport {
  readonly mode: NamespaceMode;
  readonly unshare: string;
}

export interface SandboxMount {
  /** Host path. */
  readonly source: string;
  /** Path inside the job. */
  readonly target: string;
  readonly readOnly: boolean;
}

export interface SandboxSpec {
  /** An empty folder of the job: the constructed root is mounted on it, inside the namespace only. */
  readonly rootDir: string;
  readonly mounts: readonly SandboxMount[];
  readonly workingDir: string;
  /** Folders that must exist in the job even if no mount creates them (HOME). */
  readonly ensureDirs?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
}

/** Setup failures (not the job's) exit with this code after a line starting with the prefix on stderr. */
export const SANDBOX_FAILURE_EXIT = 125;
export const SANDBOX_FAILURE_PREFIX = 'local-executor-sandbox:';

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const RW_HOST_DIRS = new Set(['dev', 'proc', 'sys']);

export const REQUIREMENT =
  'The local pipeline executor runs every job in a private mount namespace, so that the job sees SageMaker\'s ' +
  '/opt/ml paths without anything being written outside the execution folder. It needs util-linux `unshare` and ' +
  'either root (unshare -m) or unprivileged user namespaces (unshare -Urm; sysctl kernel.unprivileged_userns_clone=1 ' +
  'on some distributions), plus tmpfs, bind and overlay mounts inside them (see docs/local-pipelines.md).';

export function findTool(name: string): string | undefined {
  return SYSTEM_PATH.split(':')
    .map((dir) => `${dir}/${name}`)
    .find((candidate) => existsSync(candidate));
}

const run = promisify(execFile);
let support: Promise<NamespaceSupport> | undefined;

/** Whether (and how) this machine can give a job its own mount namespace; checked once per process. */
export function namespaceSupport(): Promise<NamespaceSupport> {
  support ??= probe();
  return support;
}

async function probe(): Promise<NamespaceSupport> {
  const unshare = findTool('unshare');
  if (!unshare) throw new LocalEnvironmentError(`util-linux \`unshare\` was not found in ${SYSTEM_PATH}.\n${REQUIREMENT}`);
  // Mounting a tmpfs over / inside the private namespace proves the mounts work and changes nothing outside it.
  const test = ['/bin/sh', '-c', 'mount -t tmpfs local-executor-probe / && mount -t tmpfs local-executor-probe /'];
  const attempts: Array<[NamespaceMode, string[]]> = [];
  if (process.getuid?.() === 0) attempts.push(['root', ['-m', '--propagation', 'private', ...test]]);
  attempts.push(['user-namespace', ['-Urm', '--propagation', 'private', ...test]]);
  const failures: string[] = [];
  for (const [mode, args] of attempts) {
    try {
      await run(unshare, args, { env: { PATH: SYSTEM_PATH }, timeout: 10_000 });
      return { mode, unshare };
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      failures.push(`${mode === 'root' ? 'unshare -m' : 'unshare -Urm'}: ${stderr || (error as Error).message}`);
    }
  }
  throw new LocalEnvironmentError(`this machine cannot give jobs a private mount namespace (${failures.join('; ')}).\n${REQUIREMENT}`);
}

/** The arguments of `unshare` that run the job in its namespace. */
export function unshareArgs(mode: NamespaceMode, script: string): string[] {
  return [...(mode === 'root' ? ['-m'] : ['-Urm']), '--propagation', 'private', '/bin/sh', '-c', script];
}

export const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

interface HostEntry {
  readonly name: string;
  readonly kind: 'dir' | 'symlink' | 'other';
  readonly link?: string;
}

let hostEntries: HostEntry[] | undefined;
function topLevelEntries(): HostEntry[] {
  hostEntries ??= readdirSync('/').map((name) => {
    const info = lstatSync(`/${name}`);
    if (info.isSymbolicLink()) return { name, kind: 'symlink' as const, link: readlinkSync(`/${name}`) };
    return { name, kind: info.isDirectory() ? ('dir' as const) : ('other' as const) };
  });
  return hostEntries;
}

const isDir = (file: string) => {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
};

/** The shell script (run by /bin/sh inside the new namespace) that builds the job's root and execs the job. */
export function sandboxScript(spec: SandboxSpec): string {
  const [command] = spec.argv;
  if (!command) throw new LocalEnvironmentError('the job has no command: set ContainerEntrypoint or the runtime\'s entrypoint/cmd');
  if (command.includes('=')) throw new LocalEnvironmentError(`the job's command "${command}" contains "=", which env(1) would read as a variable`);
  const tool = (name: string) => {
    const found = findTool(name);
    if (!found) throw new LocalEnvironmentError(`\`${name}\` was not found in ${SYSTEM_PATH}.\n${REQUIREMENT}`);
    return found;
  };
  const [mount, chroot, env, mkdir, ln] = ['mount', 'chroot', 'env', 'mkdir', 'ln'].map(tool) as [string, string, string, string, string];
  const q = shellQuote;
  const R = '"$R"';
  const lines = [
    'set -u',
    `die() { echo "${SANDBOX_FAILURE_PREFIX} $*" >&2; exit ${SANDBOX_FAILURE_EXIT}; }`,
    `R=${q(spec.rootDir)}`,
    `${mount} -t tmpfs -o mode=0755 local-executor-root ${R} || die "cannot mount a tmpfs on $R"`,
    `${mkdir} ${R}/.layers || die "cannot write to the job root"`,
  ];

  // Paths the job needs that the host does not have decide which top-level folders become writable overlays.
  const needed = [...spec.mounts.map((m) => m.target), spec.workingDir, ...(spec.ensureDirs ?? [])];
  const overlayTops = new Set(
    needed
      .filter((target) => !existsSync(target))
      .map((target) => target.split('/')[1]!)
      .filter((top) => top !== 'tmp' && isDir(`/${top}`)),
  );
  const ownTmp = spec.mounts.some((m) => m.target === '/tmp');

  for (const entry of topLevelEntries()) {
    const at = `${R}/${q(entry.name)}`;
    if (entry.kind === 'symlink') {
      lines.push(`${ln} -s ${q(entry.link!)} ${at} || die "cannot link /${entry.name}"`);
    } else if (entry.kind === 'dir' && entry.name === 'tmp' && ownTmp) {
      lines.push(`${mkdir} ${at}`);
    } else if (entry.kind === 'dir' && overlayTops.has(entry.name)) {
      const layer = `${R}/.layers/${q(entry.name)}`;
      lines.push(
        `${mkdir} -p ${layer}/upper ${layer}/work ${at} || die "cannot prepare the /${entry.name} overlay"`,
        `${mount} -t overlay local-executor-overlay -o ${q(`lowerdir=/${entry.name}`)},upperdir=${layer}/upper,workdir=${layer}/work ${at} || die "cannot mount an overlay on /${entry.name}"`,
      );
    } else if (entry.kind === 'dir') {
      lines.push(`${mkdir} ${at} && ${mount} --rbind ${q(`/${entry.name}`)} ${at} || die "cannot bind /${entry.name}"`);
      if (!RW_HOST_DIRS.has(entry.name)) lines.push(`${mount} -o remount,bind,ro ${at} || die "cannot make /${entry.name} read-only"`);
    }
  }
  for (const dir of new Set(needed)) lines.push(`${mkdir} -p ${R}${q(dir)} || die "cannot create ${dir}"`);
  for (const m of spec.mounts) {
    // Again here: a target inside an earlier mount (e.g. under the job's own /tmp) needs its mount point there.
    lines.push(`${mkdir} -p ${R}${q(m.target)} || die "cannot create ${m.target}"`);
    lines.push(`${mount} --bind ${q(m.source)} ${R}${q(m.target)} || die "cannot bind ${m.source} at ${m.target}"`);
    if (m.readOnly) lines.push(`${mount} -o remount,bind,ro ${R}${q(m.target)} || die "cannot make ${m.target} read-only"`);
  }
  const assignments = Object.entries(spec.env).map(([key, value]) => q(`${key}=${value}`));
  // The job's process is the executor's child: if the executor dies, the kernel kills the job too.
  const setpriv = findTool('setpriv');
  const orphanGuard = setpriv ? `${setpriv} --pdeathsig KILL ` : '';
  lines.push(`exec ${orphanGuard}${chroot} ${R} ${env} -i -C ${q(spec.workingDir)} ${assignments.join(' ')} ${spec.argv.map(q).join(' ')}`);
  return lines.join('\n');
}

export const SANDBOX_ENV = { PATH: SYSTEM_PATH };
