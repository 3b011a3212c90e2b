// Install errors name the missing tool and the fix, or show the failing command's log tail; nothing is installed here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ensureInstalled } from '../../../scripts/local/services';
import { runLogged } from '../../../scripts/local/services/install';

const realPath = process.env.PATH;
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-install-errors-'));
});
afterEach(() => {
  process.env.PATH = realPath;
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A PATH holding only the named tools (symlinked from the real PATH), so the others look missing. */
function pathWith(...tools: string[]): string {
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const tool of tools) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found === '') throw new Error(`this test needs ${tool} on PATH`);
    fs.symlinkSync(found, path.join(bin, tool));
  }
  return bin;
}

describe('installing the local services', () => {
  it('says java is missing, what needs it and how to get it', async () => {
    process.env.PATH = pathWith();
    await expect(ensureInstalled(['kafka'], { baseDir: path.join(tmp, 'local') })).rejects.toMatchObject({
      code: 'MISSING_TOOL',
      message: expect.stringMatching(/^'java' was not found on PATH; it is needed for the Kafka broker\. Install a Java runtime/),
    });
  });

  it('says mvn is missing when the jars are not resolved yet and Java is there', async () => {
    process.env.PATH = pathWith('java');
    await expect(ensureInstalled(['kafka'], { baseDir: path.join(tmp, 'local') })).rejects.toMatchObject({
      code: 'MISSING_TOOL',
      message: expect.stringContaining("'mvn' was not found on PATH; it is needed for resolving the Kafka jars"),
    });
  });

  it('says python3 is missing when the virtualenv has to be created', async () => {
    process.env.PATH = pathWith();
    await expect(
      ensureInstalled(['mlflow'], { baseDir: path.join(tmp, 'local'), venvDir: path.join(tmp, 'venv') }),
    ).rejects.toMatchObject({ code: 'MISSING_TOOL', message: expect.stringContaining("'python3' was not found on PATH") });
  });

  it('reports a failed install step with its exit code, log path and the log tail, as worth retrying', async () => {
    const log = path.join(tmp, 'logs', 'install.log');
    const err = await runLogged('pip install', 'sh', ['-c', 'echo resolving; echo "No matching distribution for x==9" >&2; exit 3'], log, tmp).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'INSTALL_FAILED', retryable: true });
    const message = (err as Error).message;
    expect(message).toContain(`pip install failed (exit code 3); full log: ${log}`);
    expect(message).toContain('    No matching distribution for x==9');
  });
});
