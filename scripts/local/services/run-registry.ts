// Each startServices() call owns one run folder, <baseDir>/run/<id>/, holding the services' data, logs and pid
// records. Several runs can coexist (parallel test runs in one work tree); a run whose owner process is gone is
// stale and can be cleaned up by the next start or by `services stop`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isAlive, stopGroup } from './processes';
import { runsDir } from './paths';

export interface RunRecord {
  ownerPid: number;
  startedAt: string;
  keep: boolean;
  endpoints?: unknown;
  env?: Record<string, string>;
  /** Set when a kept run's leftovers were cleaned up: its folder stays for its data and logs, nothing runs. */
  stoppedAt?: string;
}

export interface RunFolder {
  id: string;
  dir: string;
  pidDir: string;
}

export function createRunFolder(baseDir: string, keep: boolean): RunFolder {
  const id = `${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const dir = path.join(runsDir(baseDir), id);
  const pidDir = path.join(dir, 'pids');
  fs.mkdirSync(pidDir, { recursive: true });
  writeRunRecord(dir, { ownerPid: process.pid, startedAt: new Date().toISOString(), keep });
  return { id, dir, pidDir };
}

export function writeRunRecord(dir: string, record: RunRecord): void {
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(record, null, 2));
}

export function readRunRecord(dir: string): RunRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
  } catch {
    return undefined;
  }
}

export function recordPid(pidDir: string, name: string, pid: number): void {
  fs.writeFileSync(path.join(pidDir, `${name}.pid`), `${pid}\n`);
}

export function forgetPid(pidDir: string, name: string): void {
  fs.rmSync(path.join(pidDir, `${name}.pid`), { force: true });
}

export interface RunInfo {
  id: string;
  dir: string;
  record: RunRecord | undefined;
  ownerAlive: boolean;
  pids: Record<string, number>;
}

export function listRuns(baseDir: string): RunInfo[] {
  const root = runsDir(baseDir);
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => {
      const dir = path.join(root, e.name);
      const record = readRunRecord(dir);
      const pids: Record<string, number> = {};
      const pidDir = path.join(dir, 'pids');
      if (fs.existsSync(pidDir)) {
        for (const f of fs.readdirSync(pidDir).filter((n) => n.endsWith('.pid'))) {
          const pid = Number(fs.readFileSync(path.join(pidDir, f), 'utf8').trim());
          if (Number.isInteger(pid) && pid > 0) pids[f.slice(0, -4)] = pid;
        }
      }
      return { id: e.name, dir, record, ownerAlive: record !== undefined && isAlive(record.ownerPid) && !startedAfter(record.ownerPid, record.startedAt), pids };
    });
}

/**
 * Guards against pid reuse for owners: a process that started after the run was recorded cannot be its owner (the
 * owner died and the system gave its pid to someone else, who must never be signalled by `stop --all`). Linux only;
 * elsewhere every live pid counts.
 */
function startedAfter(pid: number, recordedAt: string): boolean {
  try {
    const bootSeconds = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    // Field 22 of /proc/PID/stat, counted after the parenthesised command name: start time in clock ticks after boot.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const startedAt = (bootSeconds + Number(fields[19]) / CLOCK_TICKS_PER_SECOND) * 1000;
    // Slack: boot time and ticks are coarse (a second or more off in containers); a reused pid starts much later.
    return Number.isFinite(startedAt) && startedAt > Date.parse(recordedAt) + 5_000;
  } catch {
    return false;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Guards against pid reuse: a recorded pid is ours only if the process still runs inside the run folder. */
function belongsToRun(pid: number, runDir: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    return cwd === runDir || cwd.startsWith(runDir + path.sep);
  } catch {
    // No /proc (not Linux): trust the record.
    return !fs.existsSync('/proc/self');
  }
}

export interface CleanupResult {
  /** Process groups that were still running and are now stopped. */
  stopped: number;
  /** What could not be stopped or removed, one line each (the run, the process, why). */
  failures: string[];
  /** Folders of kept runs (started with keep) that now hold only data and logs. */
  kept: string[];
}

/**
 * Stops the processes of runs whose owner died and removes their folders; a kept run's folder stays for its data
 * and logs, marked stopped so that `status` no longer lists it as stale.
 */
export async function cleanStaleRuns(baseDir: string, log: (line: string) => void): Promise<CleanupResult> {
  const result: CleanupResult = { stopped: 0, failures: [], kept: [] };
  for (const run of listRuns(baseDir)) {
    if (run.ownerAlive || run.record?.stoppedAt !== undefined) continue;
    let left = 0;
    for (const [name, pid] of Object.entries(run.pids)) {
      if (!belongsToRun(pid, run.dir)) continue;
      log(`stopping leftover ${name} (pid ${pid}) of run ${run.id}, whose owner is gone`);
      if (await stopGroup(pid, 5_000)) result.stopped++;
      else {
        left++;
        result.failures.push(`run ${run.id}: ${name} (process group ${pid}) is still running after SIGKILL`);
      }
    }
    // Pid files stay while anything survived, so a later `stop` can try again.
    if (left > 0) continue;
    try {
      if (!run.record?.keep) fs.rmSync(run.dir, { recursive: true, force: true });
      else {
        fs.rmSync(path.join(run.dir, 'pids'), { recursive: true, force: true });
        writeRunRecord(run.dir, { ...run.record, stoppedAt: new Date().toISOString() });
        result.kept.push(run.dir);
      }
    } catch (error) {
      result.failures.push(`run ${run.id}: could not clean up ${run.dir}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return result;
}
