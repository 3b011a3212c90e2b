// A service that dies during start-up is reported with its exit code and the tail of its log, and leaves no
// process behind. A stand-in script plays the emulator, so nothing real is started here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServices, LocalServicesError } from '../../../scripts/local/services';
import { isAlive } from '../../../scripts/local/services/processes';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-start-failure-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A venv whose `python` (which runs the emulator's server.py) and `moto_server` (the install check) are the script. */
function fakeVenv(motoScript: string): string {
  const venv = path.join(tmp, 'venv');
  fs.mkdirSync(path.join(venv, 'bin'), { recursive: true });
  for (const bin of ['python', 'moto_server']) fs.writeFileSync(path.join(venv, 'bin', bin), `#!/bin/sh\n${motoScript}\n`, { mode: 0o755 });
  return venv;
}

describe('a service that fails to start', () => {
  it('is reported with its exit code, its log path and the last lines of its log', async () => {
    const venvDir = fakeVenv('echo "starting emulator"; echo "ImportError: no module named werkzeug" >&2; exit 4');
    const err = await startServices({ only: ['aws'], baseDir: path.join(tmp, 'local'), venvDir, log: () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalServicesError);
    expect(err).toMatchObject({ code: 'START_FAILED', retryable: false });
    const message = (err as Error).message;
    expect(message).toMatch(/^aws exited during start-up \(exit code 4\); log: \S+\/aws\.log/);
    expect(message).toContain('    ImportError: no module named werkzeug');
  });

  it('says a service is not installed, and how to install it, before starting anything', async () => {
    await expect(
      startServices({ only: ['mlflow'], baseDir: path.join(tmp, 'local'), venvDir: path.join(tmp, 'no-venv'), log: () => undefined }),
    ).rejects.toMatchObject({ code: 'NOT_INSTALLED', message: expect.stringContaining("run 'npm run services -- install'") });
    expect(fs.existsSync(path.join(tmp, 'local', 'run'))).toBe(false);
  });

  it('leaves no process behind when it never becomes healthy', async () => {
    // Stays up but never answers: the start must give up, and stop the process group it started.
    const venvDir = fakeVenv('echo $$ > "$PWD/fake.pid"; exec sleep 600');
    const { awsService } = await import('../../../scripts/local/services/aws');
    const original = awsService.startTimeoutMs;
    awsService.startTimeoutMs = 1_500;
    try {
      const err = await startServices({ only: ['aws'], baseDir: path.join(tmp, 'local'), venvDir, log: () => undefined }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNHEALTHY', retryable: true, message: expect.stringContaining('aws did not become healthy within 1.5 s') });
      const runs = fs.readdirSync(path.join(tmp, 'local', 'run'));
      const pid = Number(fs.readFileSync(path.join(tmp, 'local', 'run', runs[0] as string, 'aws', 'fake.pid'), 'utf8'));
      expect(pid).toBeGreaterThan(0);
      expect(isAlive(pid)).toBe(false);
    } finally {
      awsService.startTimeoutMs = original;
    }
  });
});
