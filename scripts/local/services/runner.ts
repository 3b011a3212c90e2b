// Starts one service process in its folder, waits until it is really healthy, and stops it again.
import fs from 'node:fs';
import path from 'node:path';
import { formatLogTail, LocalServicesError } from './errors';
import { readLogTail, spawnInGroup, stopGroup, type SpawnedProcess } from './processes';
import { forgetPid, recordPid, type RunFolder } from './run-registry';
import type { ServiceContext, ServiceSpec } from './service-spec';

export interface ServiceHandle {
  spec: ServiceSpec;
  ctx: ServiceContext;
  logFile: string;
  process?: SpawnedProcess;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createHandle(
  spec: ServiceSpec,
  run: RunFolder,
  ports: number[],
  settings: Pick<ServiceContext, 'baseDir' | 'venvDir' | 'awsAccountId' | 'awsRegion' | 'security'>,
): ServiceHandle {
  const dir = path.join(run.dir, spec.name);
  fs.mkdirSync(dir, { recursive: true });
  return { spec, ctx: { dir, ports, ...settings }, logFile: path.join(run.dir, `${spec.name}.log`) };
}

export async function startHandle(h: ServiceHandle, run: RunFolder, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  await h.spec.prepare(h.ctx);
  const { cmd, args, env } = h.spec.command(h.ctx);
  fs.appendFileSync(h.logFile, `\n[local-services] ${new Date().toISOString()} starting: ${cmd} ${args.join(' ')}\n`);
  const proc = spawnInGroup({ cmd, args, cwd: h.ctx.dir, logFile: h.logFile, env });
  h.process = proc;
  if (proc.pid > 0) recordPid(run.pidDir, h.spec.name, proc.pid);
  const deadline = started + h.spec.startTimeoutMs;
  for (;;) {
    if (proc.hasExited()) {
      const { code, signal } = await proc.exited;
      forgetPid(run.pidDir, h.spec.name);
      throw new LocalServicesError(
        'START_FAILED',
        `${h.spec.name} exited during start-up (${signal ?? `exit code ${String(code)}`}); log: ${h.logFile}` +
          formatLogTail(path.basename(h.logFile), readLogTail(h.logFile)),
      );
    }
    if (await h.spec.isHealthy(h.ctx)) break;
    if (Date.now() > deadline) {
      throw new LocalServicesError(
        'UNHEALTHY',
        `${h.spec.name} did not become healthy within ${h.spec.startTimeoutMs / 1000} s; log: ${h.logFile}` +
          formatLogTail(path.basename(h.logFile), readLogTail(h.logFile)),
        { retryable: true },
      );
    }
    await sleep(250);
  }
  if (h.spec.afterStart) {
    try {
      await h.spec.afterStart(h.ctx);
    } catch (error) {
      throw new LocalServicesError('START_FAILED', `${h.spec.name} started but setting it up failed: ${error instanceof Error ? error.message : String(error)}; log: ${h.logFile}`, {
        cause: error,
      });
    }
  }
  log(`${h.spec.name} healthy in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${proc.pid}, log ${h.logFile})`);
}

export async function stopHandle(h: ServiceHandle, run: RunFolder): Promise<void> {
  const proc = h.process;
  if (proc === undefined) return;
  await stopGroup(proc.pid, h.spec.stopGraceMs);
  await proc.exited;
  forgetPid(run.pidDir, h.spec.name);
  h.process = undefined;
}
