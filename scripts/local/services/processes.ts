// Child processes of the local services. Each runs in its own process group (detached) so that stopping it
// also stops whatever it forked (MLflow's web server workers); stop = SIGTERM to the group, SIGKILL after a grace
// period. Output goes to a log file, whose tail is shown when something fails.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface SpawnedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

export interface SpawnOptions {
  cmd: string;
  args: string[];
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

export function spawnInGroup(opts: SpawnOptions): SpawnedProcess {
  const fd = fs.openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.cmd, opts.args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      fs.appendFileSync(opts.logFile, `\n[local-services] could not start ${opts.cmd}: ${err.message}\n`);
      done = true;
      resolve({ code: null, signal: null });
    });
  });
  // The children must not keep our event loop (or a CLI that is done) alive.
  child.unref();
  if (child.pid === undefined) {
    // spawn failed synchronously-ish (ENOENT arrives as an 'error' event); report a pid of -1 so callers wait on `exited`.
    return { pid: -1, child, logFile: opts.logFile, exited, hasExited: () => true };
  }
  return { pid: child.pid, child, logFile: opts.logFile, exited, hasExited: () => done };
}

export function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 0) return;
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM the group, wait up to graceMs for every member to exit, then SIGKILL. Resolves to whether the group is
 * gone; false when a member survived even SIGKILL (e.g. stuck in uninterruptible I/O) or is not ours to signal.
 */
export async function stopGroup(pgid: number, graceMs = 10_000): Promise<boolean> {
  if (!isGroupAlive(pgid)) return true;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isGroupAlive(pgid)) return true;
    await sleep(100);
  }
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline && isGroupAlive(pgid)) await sleep(50);
  return !isGroupAlive(pgid);
}

/** Synchronous last resort for process 'exit' handlers, where nothing asynchronous runs any more. */
export function killGroupNow(pgid: number): void {
  try {
    signalGroup(pgid, 'SIGKILL');
  } catch {
    // exit handler: there is nobody left to report to, and the watchdog cleans up anything that survives.
  }
}

export function readLogTail(file: string, lines = 25): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

/**
 * A tiny detached shell that outlives us only long enough to notice we died without cleaning up (SIGKILL,
 * OOM kill, a crashed jest), then stops the services' process groups. It is what guarantees that no broker is
 * left behind even when no handler of ours could run.
 */
export function startWatchdog(ownerPid: number, pidDir: string, logFile: string): SpawnedProcess {
  // `kill -SIG -PGID` without `--`: the one spelling that dash (sh on Debian/Ubuntu) and bash both accept.
  // Pid files stay, so `services stop` can still find anything that survives even this.
  const script = [
    'owner="$1"; dir="$2"',
    'while kill -0 "$owner" 2>/dev/null; do sleep 1; done',
    'for f in "$dir"/*.pid; do [ -f "$f" ] && kill -TERM "-$(cat "$f")"; done',
    'sleep 10',
    'for f in "$dir"/*.pid; do [ -f "$f" ] && kill -KILL "-$(cat "$f")" 2>/dev/null; done',
  ].join('\n');
  return spawnInGroup({ cmd: 'sh', args: ['-c', script, 'local-services-watchdog', String(ownerPid), pidDir], cwd: pidDir, logFile });
}

/** True when `cmd` can be run (exists on PATH and exits 0 with the given args). */
export function commandWorks(cmd: string, args: string[] = ['--version']): boolean {
  // env passed explicitly: the PATH seen by this module (a jest sandbox has its own) is the one to search.
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000, env: process.env });
  return r.error === undefined && r.status === 0;
}
