// The services command line as scripts/test.sh and developers use it: exec passes the env and the exit code
// through, and services started by a process that is killed outright (no handler can run) still go away.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../../../scripts/local/services/processes';
import { repoRoot } from '../../../scripts/local/services/paths';

jest.setTimeout(120_000);

const cli = path.join(repoRoot, 'scripts', 'local', 'services', 'cli.ts');
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('npm run services', () => {
  it('exec runs the command with the services’ variables and exits with the command’s code', () => {
    const result = spawnSync(tsx, [cli, 'exec', '--only', 'aws', '--', 'sh', '-c', 'echo "endpoint=$AWS_ENDPOINT_URL region=$AWS_REGION"; exit 7'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, AWS_ENDPOINT_URL: '', AWS_REGION: '' },
    });
    expect(result.status).toBe(7);
    expect(result.stdout).toMatch(/^endpoint=http:\/\/127\.0\.0\.1:\d+ region=us-east-1$/m);
  });

  /** Starts `cli.ts start --only aws` and resolves once it printed its endpoints; `wrapped` = through the tsx wrapper. */
  async function startAws(wrapped: boolean): Promise<{ child: ChildProcess; out: () => string; motoPid: number }> {
    const child = wrapped
      ? spawn(tsx, [cli, 'start', '--only', 'aws'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      : spawn(process.execPath, ['--import', 'tsx', cli, 'start', '--only', 'aws'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    const deadline = Date.now() + 60_000;
    while (!out.includes('Press Ctrl-C') && Date.now() < deadline) await sleep(200);
    const runDir = /data and logs: (\S+)\)/.exec(out)?.[1] ?? '';
    const motoPid = Number(fs.readFileSync(path.join(runDir, 'pids', 'aws.pid'), 'utf8'));
    return { child, out: () => out, motoPid };
  }

  async function waitUntilDead(pid: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (isAlive(pid) && Date.now() < deadline) await sleep(250);
    return !isAlive(pid);
  }

  it('start prints an export line, and its services die when the owner is killed with SIGKILL', async () => {
    const { child, out, motoPid } = await startAws(false);
    try {
      expect(out()).toMatch(/^export AWS_ENDPOINT_URL='http:\/\/127\.0\.0\.1:\d+' AWS_REGION='us-east-1'/m);
      expect(isAlive(motoPid)).toBe(true);
      child.kill('SIGKILL');
      // No handler of the owner runs on SIGKILL: the run's watchdog stops the emulator.
      expect(await waitUntilDead(motoPid, 30_000)).toBe(true);
    } finally {
      child.stdout?.destroy();
    }
  });

  it('stops its services when the tsx wrapper it runs under is killed with SIGKILL', async () => {
    const { child, motoPid } = await startAws(true);
    try {
      expect(isAlive(motoPid)).toBe(true);
      child.kill('SIGKILL');
      expect(await waitUntilDead(motoPid, 30_000)).toBe(true);
    } finally {
      child.stdout?.destroy();
    }
  });

  it('rejects an unknown service with the list of valid ones, as a usage error', () => {
    const result = spawnSync(tsx, [cli, 'start', '--only', 'postgres'], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown service(s) 'postgres'; choose from kafka, mlflow, aws");
  });
});
