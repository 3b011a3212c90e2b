// `npm run services -- stop [--all]`: stops what runs left behind. Without --all only runs whose owner is gone
// (crashed, killed); with --all also live runs: their owner is asked to stop (SIGTERM, as Ctrl-C would), and
// whatever still runs after the grace period is stopped here.
import { isAlive, stopGroup } from './processes';
import { cleanStaleRuns, listRuns, type CleanupResult } from './run-registry';

export interface StopOptions {
  all: boolean;
  /** With all: how long owners get to stop their own services. */
  ownerGraceMs: number;
  log: (line: string) => void;
  /** The process that asks (never signalled itself). */
  self?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function stopRuns(baseDir: string, options: StopOptions): Promise<CleanupResult> {
  const self = options.self ?? process.pid;
  const failures: string[] = [];
  let stopped = 0;
  if (options.all) {
    const live = () => listRuns(baseDir).filter((run) => run.ownerAlive && run.record !== undefined && run.record.ownerPid !== self && run.record.stoppedAt === undefined);
    for (const run of live()) {
      options.log(`asking run ${run.id} (owner pid ${run.record!.ownerPid}) to stop`);
      try {
        process.kill(run.record!.ownerPid, 'SIGTERM');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ESRCH') failures.push(`run ${run.id}: cannot signal its owner pid ${run.record!.ownerPid} (${code ?? String(error)})`);
      }
    }
    const deadline = Date.now() + options.ownerGraceMs;
    while (Date.now() < deadline && live().length > 0) await sleep(200);
    // Owners that did not stop in time (busy, or not listening for SIGTERM): stop their services directly.
    for (const run of live()) {
      options.log(`run ${run.id}: its owner (pid ${run.record!.ownerPid}) did not stop within ${options.ownerGraceMs / 1000} s; stopping its services`);
      for (const [name, pid] of Object.entries(run.pids)) {
        if (!isAlive(pid)) continue;
        if (await stopGroup(pid, 5_000)) stopped++;
        else failures.push(`run ${run.id}: ${name} (process group ${pid}) is still running after SIGKILL`);
      }
    }
  }
  const cleanup = await cleanStaleRuns(baseDir, options.log);
  return { stopped: stopped + cleanup.stopped, failures: [...failures, ...cleanup.failures], kept: cleanup.kept };
}
