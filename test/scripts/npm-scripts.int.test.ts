// An integration test only for its cost (some 30 npm processes, ~40 s): it needs no services.
// Every npm script as a user runs it: `npm run <script> -- --help` prints usage and exits 0 without doing the work,
// and the project's own CLIs refuse an unknown flag with exit 2 — each without a stack trace or npm warnings.
// Scripts that hand their flags to a tool (tsc, jest) show that tool's help and its own errors.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

/** What each script's help starts with, when it is not our own CLI's `Usage: npm run <script> --`. */
const TOOL_HELP: Record<string, RegExp> = {
  test: /^Usage: npm test/m,
  typecheck: /tsc: The TypeScript Compiler[\s\S]*COMMAND LINE FLAGS/,
  'test:unit': /^Usage: jest /m,
  'test:integration': /^Usage: jest /m,
  'bench:trainer-data': /^usage: .*--rows ROWS/m,
};
/** Scripts whose flags belong to another tool, which reports unknown flags its own way. */
const TOOL_FLAGS = new Set(['typecheck', 'test:unit', 'test:integration']);

interface Run {
  code: number | null;
  output: string;
  seconds: number;
}

function npmRun(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', script, '--', ...args], { cwd: repoRoot, env: { ...env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, seconds: (Date.now() - started) / 1000 }));
  });
}

/** Runs every (script, args) pair, a few at a time (each is mostly process start-up). */
async function runAll(args: string[], names: readonly string[]): Promise<Map<string, Run>> {
  const results = new Map<string, Run>();
  const queue = [...names];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) results.set(name, await npmRun(name, args));
    }),
  );
  return results;
}

const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

// bench:trainer-data needs the Python virtualenv; on a fresh clone its first run installs it (minutes).
jest.setTimeout(600_000);

describe('every npm script', () => {
  let help: Map<string, Run>;
  let unknownFlag: Map<string, Run>;

  beforeAll(async () => {
    help = await runAll(['--help'], scripts);
    unknownFlag = await runAll(['--no-such-flag'], scripts.filter((name) => !TOOL_FLAGS.has(name)));
  });

  it('is covered here, each one by name', () => {
    expect(help.size).toBe(scripts.length);
    expect(scripts).toEqual(expect.arrayContaining(['test', 'synth', 'services', 'bench:scorer', 'bench:trainer-data', 'nightly']));
  });

  it.each(scripts)('`npm run %s -- --help` prints its usage and exits 0, without a stack trace or npm warnings', (name) => {
    const run = help.get(name)!;
    expect({ code: run.code, output: run.output }).toEqual({ code: 0, output: expect.stringMatching(TOOL_HELP[name] ?? new RegExp(`^Usage: npm run ${name} --`, 'm')) });
    expect(run.output).not.toMatch(STACK_FRAME);
    expect(run.output).not.toMatch(/npm warn/i);
    // Help only: nothing was run (the scorer bench would print its progress, npm test its stages).
    expect(run.output).not.toMatch(/^\[test\]|generating \d+ rows|Synthesizing|^scorer:/m);
  });

  it.each(scripts.filter((name) => !TOOL_FLAGS.has(name)))('`npm run %s -- --no-such-flag` is a usage error: exit 2, the flag named, no stack trace', (name) => {
    const run = unknownFlag.get(name)!;
    expect({ code: run.code, names: /no-such-flag/.test(run.output) }).toEqual({ code: 2, names: true });
    expect(run.output).not.toMatch(STACK_FRAME);
    expect(run.output).not.toMatch(/npm warn/i);
  });

  it('an operator command without AWS credentials says what is missing and how to sign in: one message, exit 1, no SDK notices', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
    const none = fs.mkdtempSync(path.join(os.tmpdir(), 'no-aws-'));
    const run = await npmRun('pipeline:list', ['--env', 'staging'], {
      ...env,
      AWS_CONFIG_FILE: path.join(none, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(none, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    fs.rmSync(none, { recursive: true, force: true });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/Listing executions of mlp-staging-training failed: no AWS credentials were found .*aws sso login/);
    expect(run.output).not.toMatch(/deployed|NodeVersionSupportWarning/);
    expect(run.output).not.toMatch(STACK_FRAME);
  });

  it.each([
    ['test:unit', 'test/scripts/cli-args.test.ts'],
    ['test:integration', 'test/infra/terraform-json.int.test.ts'],
  ])('`npm run %s -- <file>` selects that file only (jest takes the path as a pattern, not as a project name)', async (script, file) => {
    const run = await npmRun(script, [file, '--listTests']);
    expect(run.code).toBe(0);
    const listed = run.output.split('\n').filter((line) => line.startsWith('/'));
    expect(listed).toEqual([path.join(repoRoot, file)]);
  });
});
