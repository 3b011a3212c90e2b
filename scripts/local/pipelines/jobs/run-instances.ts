// Runs the instances of one job (algo-1..N) to completion: each a process of its own, its output to a log file
// and live with the step's name in front; StoppingCondition.MaxRuntimeInSeconds and a stop request end them the
// way SageMaker does (SIGTERM, then SIGKILL after a grace period); one failed instance stops the others.
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { InstanceLaunch, JobEngine } from './engines';
import { SANDBOX_FAILURE_EXIT, SANDBOX_FAILURE_PREFIX } from './sandbox';

export interface InstanceRun extends InstanceLaunch {
  readonly host: string;
  readonly logFile: string;
}

export interface InstanceResult {
  readonly host: string;
  readonly logFile: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly spawnedAt: Date;
  readonly exitedAt: Date;
  /** Set when the namespace could not be built (not the job's fault). */
  readonly sandboxError?: string;
}

export type JobOutcome = 'Completed' | 'Failed' | 'MaxRuntimeExceeded' | 'Stopped';

export interface JobRunResult {
  readonly outcome: JobOutcome;
  readonly instances: readonly InstanceResult[];
}

export interface RunInstancesOptions {
  readonly engine: JobEngine;
  readonly instances: readonly InstanceRun[];
  readonly maxRuntimeSeconds: number;
  /** Seconds between SIGTERM and SIGKILL (SageMaker gives training containers 120 s). */
  readonly stopGraceSeconds: number;
  readonly signal: AbortSignal;
  /** Prefix of live lines, e.g. "[Train]". */
  readonly prefix: string;
  readonly log: (line: string) => void;
  readonly onLine?: (host: string, line: string) => void;
}

/**
 * Process groups of jobs still running in this process. If the executor exits (Ctrl-C twice, process.exit), they
 * are killed with it; a SIGKILLed executor's job process is killed by the kernel (setpriv --pdeathsig).
 */
const liveGroups = new Set<number>();
let exitHook = false;
function track(pid: number | undefined): void {
  if (pid === undefined) return;
  liveGroups.add(pid);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const group of liveGroups) signalGroup(group, 'SIGKILL');
    });
  }
}

const signalGroup = (pid: number | undefined, signal: NodeJS.Signals) => {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
};

export async function runInstances(options: RunInstancesOptions): Promise<JobRunResult> {
  const { engine, instances } = options;
  if (options.signal.aborted) return { outcome: 'Stopped', instances: [] };
  let reason: 'MaxRuntimeExceeded' | 'Stopped' | 'InstanceFailed' | undefined;
  const children = new Map<string, number | undefined>();
  let killTimer: NodeJS.Timeout | undefined;

  const terminate = (why: NonNullable<typeof reason>) => {
    if (reason) return;
    reason = why;
    for (const pid of children.values()) signalGroup(pid, 'SIGTERM');
    killTimer = setTimeout(() => {
      for (const [name, pid] of children) {
        signalGroup(pid, 'SIGKILL');
        const instance = instances.find((i) => i.name === name);
        if (instance) engine.kill?.(instance);
      }
    }, options.stopGraceSeconds * 1000);
  };
  const onAbort = () => terminate('Stopped');
  options.signal.addEventListener('abort', onAbort, { once: true });
  const runtimeTimer = setTimeout(() => terminate('MaxRuntimeExceeded'), options.maxRuntimeSeconds * 1000);

  const runOne = (instance: InstanceRun) =>
    new Promise<InstanceResult>((resolve) => {
      const spawnedAt = new Date();
      const file = createWriteStream(instance.logFile, { flags: 'a' });
      let sandboxError: string | undefined;
      const live = instances.length > 1 ? `${options.prefix.slice(0, -1)} ${instance.host}]` : options.prefix;
      const child = engine.launch(instance);
      children.set(instance.name, child.pid);
      track(child.pid);
      const pending: Array<Promise<void>> = [];
      const follow = (stream: NodeJS.ReadableStream | null, isStderr: boolean) => {
        if (!stream) return;
        const lines = createInterface({ input: stream, crlfDelay: Infinity });
        lines.on('line', (line) => {
          if (isStderr && line.startsWith(SANDBOX_FAILURE_PREFIX)) sandboxError = line.slice(SANDBOX_FAILURE_PREFIX.length).trim();
          file.write(`${line}\n`);
          options.log(`${live} ${line}`);
          options.onLine?.(instance.host, line);
        });
        pending.push(new Promise((done) => lines.on('close', () => done())));
      };
      follow(child.stdout, false);
      follow(child.stderr, true);
      let finished = false;
      const finish = async (exitCode: number | null, signal: string | null, error?: Error) => {
        if (finished) return;
        finished = true;
        await Promise.all(pending);
        // Whatever the job left running in its process group goes with it.
        signalGroup(child.pid, 'SIGKILL');
        if (child.pid !== undefined) liveGroups.delete(child.pid);
        children.set(instance.name, undefined);
        if (error) sandboxError = `cannot start the job process: ${error.message}`;
        await new Promise<void>((done) => file.end(() => done()));
        resolve({
          host: instance.host,
          logFile: instance.logFile,
          exitCode,
          signal,
          spawnedAt,
          exitedAt: new Date(),
          sandboxError: exitCode === SANDBOX_FAILURE_EXIT || error ? sandboxError : undefined,
        });
      };
      child.once('error', (error) => void finish(null, null, error));
      child.once('exit', (code, signal) => {
        void finish(code, signal);
        if (code !== 0) terminate('InstanceFailed');
      });
    });

  try {
    const results = await Promise.all(instances.map(runOne));
    const outcome: JobOutcome =
      reason === 'MaxRuntimeExceeded' ? 'MaxRuntimeExceeded' : reason === 'Stopped' ? 'Stopped' : results.every((r) => r.exitCode === 0) ? 'Completed' : 'Failed';
    return { outcome, instances: results };
  } finally {
    clearTimeout(runtimeTimer);
    if (killTimer) clearTimeout(killTimer);
    options.signal.removeEventListener('abort', onAbort);
  }
}
