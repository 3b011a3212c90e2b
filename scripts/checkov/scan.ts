// checkov — scan the synthesized stacks with checkov (terraform_json) and hold the result against the checked-in
// list of accepted findings (scripts/checkov/accepted-findings.json): it fails on any finding not accepted there,
// and on any accepted entry that no longer fails (remove it, so it cannot hide a later regression).
//
// checkov runs from a virtualenv of its own (.local/checkov-venv, pinned in scripts/checkov/requirements.txt,
// installed on first use) so its many pins can never break the project's .venv.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { synthesize } from '../../main';
import { CliSpec, OptionSpec, validateOptions } from '../cli/args';
import { CliError, ExitCode, UsageError } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { ensurePythonEnv } from '../local/services/install';
import { defaultBaseDir, repoRoot } from '../local/services/paths';
import { acceptedFindingsSchema, compareWithAccepted, stackReport, type AcceptedFindings, type Comparison, type StackReport } from './findings';

export const checkovDir = path.join(repoRoot, 'scripts', 'checkov');
export const acceptedFindingsFile = path.join(checkovDir, 'accepted-findings.json');
const venvDir = path.join(defaultBaseDir, 'checkov-venv');

export const checkovSpec = {
  command: 'npm run checkov --',
  summary:
    'Synthesize every environment\'s stack, scan it with checkov (--framework terraform_json) and compare the failed checks with scripts/checkov/accepted-findings.json.',
  options: {
    stack: { type: 'string', multiple: true, valueName: 'NAME', description: 'Scan only this stack (default: every environment).' },
  },
  examples: ['npm run checkov', 'npm run checkov -- --stack prod'],
  notes: [
    'Every failed check must be listed in accepted-findings.json with its reason; every entry there must still fail in the stacks it names.',
    'checkov is installed on first use into .local/checkov-venv (pinned: scripts/checkov/requirements.txt).',
    'Exit codes: 0 every finding accepted and no stale entry, 1 unexplained findings, stale entries or a scan failure, 2 bad usage.',
  ],
} satisfies CliSpec<Record<string, OptionSpec>>;

const optionsSchema = z.object({ stack: z.array(z.string()).optional() });

export function readAcceptedFindings(file: string = acceptedFindingsFile): AcceptedFindings {
  const parsed = acceptedFindingsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')), { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new CliError(`${path.relative(repoRoot, file)} is invalid:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/** checkov's terraform_json parser crashes on `moved` blocks (state bookkeeping, nothing to check): drop them. */
export function scannableStack(stack: Record<string, unknown>): Record<string, unknown> {
  const { moved: _moved, ...rest } = stack;
  return rest;
}

function runCheckov(file: string): Promise<unknown> {
  const args = ['-f', file, '--framework', 'terraform_json', '--skip-download', '--soft-fail', '--compact', '--quiet', '-o', 'json'];
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(venvDir, 'bin', 'checkov'), args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'ERROR' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => reject(new CliError(`could not run checkov: ${error.message}`, { cause: error })));
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(stdout));
      } catch (error) {
        reject(new CliError(`checkov exited ${String(code)} without a JSON report:\n${stderr.trim().split('\n').slice(-15).join('\n')}`, { cause: error }));
      }
    });
  });
}

export function formatComparison(reports: readonly StackReport[], comparison: Comparison, version: string): string[] {
  const findings = reports.reduce((sum, report) => sum + report.findings.length, 0);
  const lines = [
    `checkov ${version} (terraform_json) on ${reports.map((r) => r.stack).join(', ')}: ` +
      `${reports.reduce((sum, report) => sum + report.passed, 0)} passed, ${findings} failed, ${findings - comparison.unexplained.length} of them accepted`,
  ];
  if (comparison.accepted.length > 0) {
    lines.push('', 'Accepted findings (scripts/checkov/accepted-findings.json):');
    for (const { entry, stacks } of comparison.accepted) lines.push(`  ${entry.check}  ${entry.resource}  [${stacks.join(', ')}]`, `      ${entry.reason}`);
  }
  if (comparison.unexplained.length > 0) {
    lines.push('', 'UNEXPLAINED findings: fix them, or accept each in scripts/checkov/accepted-findings.json with its reason:');
    for (const f of comparison.unexplained) lines.push(`  ${f.check}  ${f.resource}  [${f.stack}]  ${f.name}`);
  }
  if (comparison.stale.length > 0) {
    lines.push('', 'STALE accepted entries (they no longer fail there): remove them or narrow their "stacks":');
    for (const { entry, stacks } of comparison.stale) lines.push(`  ${entry.check}  ${entry.resource}  [${stacks.join(', ')}]`);
  }
  return lines;
}

export function checkovCommand(argv: readonly string[], io?: CliIo): Promise<ExitCode> {
  return runCli(
    checkovSpec,
    argv,
    async (raw, out) => {
      const options = validateOptions(optionsSchema, raw);
      const accepted = readAcceptedFindings();
      const started = Date.now();
      await ensurePythonEnv({ venvDir, requirementsFile: path.join(checkovDir, 'requirements.txt'), name: 'checkov', purpose: 'checkov', log: (line) => out.err(`[checkov] ${line}`) });
      const outdir = mkdtempSync(path.join(os.tmpdir(), 'checkov-synth-'));
      try {
        const all = synthesize({ outdir });
        const unknown = (options.stack ?? []).filter((stack) => !all.includes(stack));
        if (unknown.length > 0) throw new UsageError(`unknown stack(s) ${unknown.join(', ')} — known: ${all.join(', ')}`);
        const stacks = options.stack ?? all;
        const reports: StackReport[] = [];
        for (const stack of stacks) {
          const synthesized = JSON.parse(readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as Record<string, unknown>;
          const file = path.join(outdir, `${stack}.tf.json`);
          writeFileSync(file, JSON.stringify(scannableStack(synthesized)));
          reports.push(stackReport(stack, await runCheckov(file), synthesized));
        }
        const comparison = compareWithAccepted(reports, accepted);
        for (const line of formatComparison(reports, comparison, accepted.checkov)) out.out(line);
        out.out(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return comparison.unexplained.length === 0 && comparison.stale.length === 0 ? ExitCode.ok : ExitCode.failed;
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    },
    io,
  );
}

if (require.main === module) exitWith(checkovCommand(process.argv.slice(2)));
