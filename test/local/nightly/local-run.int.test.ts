// The README's first command, end to end: the night runs what was deployed. Services started by the run itself,
// `local` deployed into the AWS emulator with terraform, the deployed schedules' pipelines executed step by step by
// the local executor with the real trainer and scorer under their container paths, the topic read back.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../scripts/local/nightly/local-run';

jest.setTimeout(12 * 60_000);

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const SMALL = ['--train-rows', '2000', '--score-rows', '3000', '--bad-rows', '7', '--format', 'csv'];

async function night(args: string[], workDir: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...SMALL, '--work-dir', workDir, ...args], { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

/** An operator CLI run against what the night keeps up. */
const cli = (script: string, args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 5 * 60_000 });

async function until(condition: () => boolean, timeoutMs: number, explain: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(explain());
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const line = (out: string[], prefix: string) => out.find((l) => l.startsWith(prefix)) ?? `(no line starting with "${prefix}")`;

describe('the local nightly run', () => {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'nightly-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('deploys local, runs the scheduled pipelines as deployed, and every good row reaches consumers once, across 3 shards', async () => {
    const { code, out, err } = await night(['--score-instances', '3'], workDir);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(line(out, 'deployed')).toMatch(/^deployed {7}local: \d+ resources into the AWS emulator with terraform/);
    // Started in the order the deployed schedules fire, with the steps the definitions declare.
    const starts = out.filter((l) => / → started mlp-local-/.test(l));
    expect(starts).toEqual(['mlp-local-nightly-training: cron(0 1 * * ? *) UTC → started mlp-local-training', 'mlp-local-nightly-inference: cron(30 3 * * ? *) UTC → started mlp-local-inference']);
    for (const step of ['Train', 'Evaluate', 'Register', 'Score']) expect(out).toContainEqual(expect.stringMatching(new RegExp(`^  ${step} +Succeeded +1 attempt`)));
    expect(out).toContainEqual(expect.stringMatching(/^ {2}QualityGate +Succeeded .* → True$/));
    expect(line(out, 'quality gate')).toMatch(/^quality gate   passed: auc 0\.\d+ >= threshold 0\.7/);
    expect(line(out, 'model')).toBe('model          churn-classifier v1 → @challenger');
    expect(line(out, 'rows')).toBe('rows           read 3,000 = scored 2,993 + rejected 7  ✓ reconciled (3 shards)');
    expect(out.filter((l) => /^ {2}shard algo-[123] +read 1,000 = /.test(l))).toHaveLength(3);
    expect(line(out, 'consumed')).toBe('consumed       2,993 messages of this run on local.predictions (read_committed), 0 invalid against the contract  ✓ = published');
    expect(line(out, 'alerts')).toBe('alerts         none on mlp-local-pipeline-alerts');
  });

  it('with --fail-gate --keep-services: the Fail step says why, nothing is registered, alerts arrive, and the operator CLIs work on what stays up', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/nightly/local-run.ts', ...SMALL, '--work-dir', workDir, '--fail-gate', '--keep-services'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await until(() => stdout.includes('stay up until Ctrl-C'), 10 * 60_000, () => `the run ended or hung before the summary:\n${stdout}`);
      const out = stdout.split('\n');
      expect(out).toContainEqual(expect.stringMatching(/^ {2}QualityGate +Succeeded .* → False$/));
      expect(out).toContainEqual(expect.stringMatching(/^ {2}QualityGateFailed +Failed .*Model rejected by the quality gate: auc 0\.\d+ < threshold 0\.7/));
      expect(out.some((l) => /^ {2}Register /.test(l))).toBe(false);
      expect(line(out, 'model')).toBe('model          nothing registered');
      // No model holds the alias the inference schedule names, so scoring fails, and says so.
      expect(line(out, 'aborted')).toMatch(/Registered Model with name=churn-classifier not found/);
      expect(line(out, 'alerts')).toMatch(/^alerts {9}Failed mlp-local-training \((\w+)\), Failed mlp-local-inference \(\w+\) → mlp-local-pipeline-alerts, by the deployed rule$/);
      const failedTraining = /^alerts {9}Failed mlp-local-training \((\w+)\)/.exec(line(out, 'alerts'))![1];

      // The operator CLIs see the local executions in their AWS format, and can rerun the night with an override.
      const list = cli('scripts/pipelines/list.ts', ['--env', 'local', '--pipeline', 'training']);
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`Failed +arn:aws:sagemaker:eu-central-1:000000000000:pipeline/mlp-local-training/execution/${failedTraining} +reason: Model rejected by the quality gate`));
      const rerun = cli('scripts/pipelines/start.ts', ['--env', 'local', '--pipeline', 'training', '--param', 'QualityThreshold=0', '--param', 'RunDate=2026-11-29']);
      expect(rerun.stdout).toMatch(/^Succeeded after watching/m);
      expect(rerun.status).toBe(0);
    } finally {
      child.kill('SIGINT');
    }
    // Ctrl-C after the summary only ends the wait: the exit code is still the night's (its training failed).
    expect(await exited).toBe(1);
  });

  it('fails when one variable of the inference construct is renamed: the run executes the deployed definition, nothing else', async () => {
    // The cdktf app of a copy whose Score step passes KAFKA_TOPIC under another name; the first test is the control.
    const copy = mkdtempSync(path.join(os.tmpdir(), 'nightly-renamed-'));
    try {
      for (const part of ['main.ts', 'cdktf.json', 'package.json', 'tsconfig.json', 'environments', 'stacks']) cpSync(path.join(repoRoot, part), path.join(copy, part), { recursive: true });
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'));
      const construct = path.join(copy, 'stacks', 'inference-pipeline.ts');
      const source = readFileSync(construct, 'utf8');
      expect(source).toContain('KAFKA_TOPIC: kafka.topic');
      writeFileSync(construct, source.replace('KAFKA_TOPIC: kafka.topic', 'KAFKA_TOPIC_NAME: kafka.topic'));

      const { code, out } = await night(['--stacks-from', copy], workDir);
      expect(code).toBe(1);
      expect(out).toContainEqual(expect.stringMatching(/^ {2}Score +Failed /));
      expect(out).toContainEqual(expect.stringMatching(/^ +exit message: .*KAFKA_TOPIC .*is required/));
      expect(out).toContainEqual(expect.stringMatching(/^ {2}Register +Succeeded/)); // training ran as before: only the renamed variable differs
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
