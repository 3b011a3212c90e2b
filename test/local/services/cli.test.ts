// The services command line without starting services: usage errors, --help of every command, and `stop` against
// run folders made here, whose "services" are sleep processes in their own process groups (as the real ones are).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { servicesCli, type ServicesCliDeps } from '../../../scripts/local/services/cli';
import { isAlive } from '../../../scripts/local/services/processes';
import { listRuns, readRunRecord, recordPid, writeRunRecord } from '../../../scripts/local/services/run-registry';
import { stopRuns } from '../../../scripts/local/services/stop-runs';
import { captureIo } from '../../scripts/support';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilDead(pid: number, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  return !isAlive(pid);
}

/** A pid that certainly belonged to a process that has exited: an owner that is gone. */
function deadPid(): number {
  const result = spawnSync('sh', ['-c', 'echo $$']);
  return Number(result.stdout.toString().trim());
}

let baseDir: string;
const started: number[] = [];

beforeEach(() => {
  baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'services-cli-'));
});

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already stopped by the test
    }
  }
  fs.rmSync(baseDir, { recursive: true, force: true });
});

/** A run folder as startServices leaves it, with one running "service" (a sleep in its own process group). */
function fakeRun(id: string, options: { ownerPid: number; keep: boolean; startedAt?: Date }): { dir: string; servicePid: number } {
  const dir = path.join(baseDir, 'run', id);
  fs.mkdirSync(path.join(dir, 'pids'), { recursive: true });
  const startedAt = (options.startedAt ?? new Date()).toISOString();
  writeRunRecord(dir, { ownerPid: options.ownerPid, startedAt, keep: options.keep, env: { KAFKA_BROKERS: '127.0.0.1:1' } });
  const service = spawn('sleep', ['300'], { cwd: dir, detached: true, stdio: 'ignore' });
  service.unref();
  started.push(service.pid!);
  recordPid(path.join(dir, 'pids'), 'kafka', service.pid!);
  return { dir, servicePid: service.pid! };
}

const deps = (): ServicesCliDeps => ({ baseDir, stopRuns });

describe('npm run services: usage', () => {
  it.each([
    ['stop --bogus', /Unknown option '--bogus'/],
    ['install --bogus', /Unknown option '--bogus'/],
    ['start --port kafka=x', /--port expects SERVICE=PORT/],
    ['start --only postgres', /unknown service\(s\) 'postgres'; choose from kafka, mlflow, aws/],
    ['exec --only aws', /exec needs a command after '--'/],
    ['stop --timeout 5s', /--timeout applies to --all only/],
    ['frobnicate', /unknown command 'frobnicate'; choose from install, start, exec, status, stop/],
  ])('`%s` is a usage error: exit 2, the problem in one message, no stack trace', async (args, message) => {
    const io = captureIo();
    const code = await servicesCli(args.split(' '), io, deps());
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
    expect(io.text()).not.toMatch(/\n\s+at /);
  });

  it('without a command prints the list of commands and exits 2', async () => {
    const io = captureIo();
    expect(await servicesCli([], io, deps())).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/Commands:[\s\S]*install[\s\S]*start[\s\S]*exec[\s\S]*status[\s\S]*stop/);
  });

  it.each(['install', 'start', 'exec', 'status', 'stop'])('`%s --help` prints its usage and exits 0 without doing anything', async (name) => {
    const io = captureIo();
    expect(await servicesCli([name, '--help'], io, deps())).toBe(0);
    expect(io.stdout.join('\n')).toMatch(new RegExp(`^Usage: npm run services -- ${name} `));
    expect(io.stdout.join('\n')).toMatch(/Exit codes:/);
    expect(fs.existsSync(path.join(baseDir, 'run'))).toBe(false);
  });

  it('exec --help is answered even when a command follows the separator', async () => {
    const io = captureIo();
    expect(await servicesCli(['exec', '--help', '--', 'false'], io, deps())).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/-- CMD \[ARGS\.\.\]/);
  });
});

describe('npm run services -- stop', () => {
  it('stops the services of a run whose owner is gone and removes the run', async () => {
    const run = fakeRun('crashed', { ownerPid: deadPid(), keep: false });
    const io = captureIo();
    expect(await servicesCli(['stop'], io, deps())).toBe(0);
    expect(await waitUntilDead(run.servicePid)).toBe(true);
    expect(fs.existsSync(run.dir)).toBe(false);
    expect(io.stdout.join('\n')).toContain('stopped 1 leftover process group(s)');
  });

  it('keeps the data of a kept run, marks it stopped, and status no longer calls it stale', async () => {
    const run = fakeRun('kept', { ownerPid: deadPid(), keep: true });
    const before = captureIo();
    await servicesCli(['status'], before, deps());
    expect(before.stdout.join('\n')).toMatch(/kept: owner pid \d+ gone: stale/);

    const io = captureIo();
    expect(await servicesCli(['stop'], io, deps())).toBe(0);
    expect(await waitUntilDead(run.servicePid)).toBe(true);
    expect(readRunRecord(run.dir)?.stoppedAt).toEqual(expect.any(String));
    expect(io.stdout.join('\n')).toContain(`its data and logs stay in ${run.dir}`);

    const after = captureIo();
    await servicesCli(['status'], after, deps());
    expect(after.stdout.join('\n')).toMatch(/kept: stopped .*; data and logs kept/);
    expect(after.stdout.join('\n')).not.toMatch(/stale/);
    // A second stop finds nothing to do.
    const again = captureIo();
    expect(await servicesCli(['stop'], again, deps())).toBe(0);
    expect(again.stdout.join('\n')).toContain('nothing was left running');
  });

  it('leaves runs with a live owner alone, and --all asks that owner to stop and cleans up what it left', async () => {
    const owner = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    started.push(owner.pid!);
    const run = fakeRun('live', { ownerPid: owner.pid!, keep: false });

    expect(await servicesCli(['stop'], captureIo(), deps())).toBe(0);
    expect(isAlive(run.servicePid)).toBe(true);
    expect(fs.existsSync(run.dir)).toBe(true);

    const io = captureIo();
    expect(await servicesCli(['stop', '--all', '--timeout', '5s'], io, deps())).toBe(0);
    expect(await waitUntilDead(owner.pid!)).toBe(true);
    expect(await waitUntilDead(run.servicePid)).toBe(true);
    expect(listRuns(baseDir)).toEqual([]);
  });

  it('never signals a process that merely reuses a dead owner\'s pid: the run counts as stale', async () => {
    // A process started after the run was recorded cannot be its owner.
    const stranger = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    started.push(stranger.pid!);
    const run = fakeRun('reused', { ownerPid: stranger.pid!, keep: false, startedAt: new Date(Date.now() - 3_600_000) });
    expect(await servicesCli(['stop', '--all', '--timeout', '1s'], captureIo(), deps())).toBe(0);
    expect(await waitUntilDead(run.servicePid)).toBe(true);
    expect(isAlive(stranger.pid!)).toBe(true);
    expect(fs.existsSync(run.dir)).toBe(false);
  });

  it('exits 1 and names what could not be stopped', async () => {
    const failing: ServicesCliDeps = {
      baseDir,
      stopRuns: async () => ({ stopped: 0, failures: ['run r1: kafka (process group 4242) is still running after SIGKILL'], kept: [] }),
    };
    const io = captureIo();
    expect(await servicesCli(['stop'], io, failing)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/could not stop everything:\n\s+run r1: kafka \(process group 4242\) is still running after SIGKILL/);
  });
});
