// Runs the terraform CLI for one stack directory: output to a log file, progress lines to the caller, and on
// failure an error that quotes terraform's own error block (not the whole log) and names the log.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { DeployError } from './errors';

export interface TerraformRunner {
  readonly dir: string;
  readonly logFile: string;
  readonly env: NodeJS.ProcessEnv;
  readonly progress: (line: string) => void;
}

/** Lines shown as they come; per-resource lines are summed up by ApplyProgress instead. */
const SUMMARY = /^(Apply complete|Destroy complete|No changes\.|Plan: )/;

/**
 * Turns terraform's per-resource lines into one progress line at most every `everyMs`: how many resources are
 * done of the plan and which ones are still being waited for (the AWS provider waits for some services to
 * report a change consistently — S3 lifecycle rules, SQS attributes, KMS key policies — which takes most of an apply).
 */
export class ApplyProgress {
  private total = 0;
  private done = 0;
  private readonly pending = new Map<string, number>();
  private lastReport = Date.now();

  constructor(
    private readonly report: (line: string) => void,
    private readonly everyMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.lastReport = now();
  }

  line(text: string): void {
    const plan = /^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(text);
    if (plan) this.total = Number(plan[1]) + Number(plan[2]) + Number(plan[3]);
    const started = /^([\w.-]+): (Creating|Modifying|Destroying)\.\.\./.exec(text);
    if (started) this.pending.set(started[1] as string, this.now());
    const finished = /^([\w.-]+): (Creation|Modifications|Destruction) complete/.exec(text);
    if (finished) {
      this.pending.delete(finished[1] as string);
      this.done += 1;
    }
    if (SUMMARY.test(text)) {
      this.report(text);
      return;
    }
    if (this.now() - this.lastReport >= this.everyMs && this.total > 0) {
      this.lastReport = this.now();
      const waiting = [...this.pending.keys()].map((address) => address.split('.')[0]);
      this.report(`${this.done}/${this.total} done${waiting.length ? `; waiting for ${[...new Set(waiting)].join(', ')}` : ''}`);
    }
  }
}

/** The environment terraform runs with: non-interactive, no version checks, and a CLI config only if it exists. */
export function terraformEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' };
  // A configured but missing CLI config file only makes terraform print a warning on every command.
  if (env.TF_CLI_CONFIG_FILE && !fs.existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  // Credentials of a real account must never reach the emulator's provider configuration.
  for (const key of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete env[key];
  return env;
}

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
}

/** Runs `terraform <args>`; resolves with the exit code (callers decide which codes are failures) and stdout. */
export function terraform(runner: TerraformRunner, args: readonly string[], options: { quiet?: boolean } = {}): Promise<TerraformResult> {
  fs.appendFileSync(runner.logFile, `\n$ terraform ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', args[0] === 'version' ? [...args] : [...args, '-no-color'], {
      cwd: runner.dir,
      env: runner.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const errorLines: string[] = [];
    const progress = new ApplyProgress(runner.progress);
    const pump = (stream: NodeJS.ReadableStream, isErr: boolean) =>
      new Promise<void>((done) => {
        const lines = createInterface({ input: stream });
        lines.on('line', (line) => {
          fs.appendFileSync(runner.logFile, `${line}\n`);
          if (!isErr) stdout += `${line}\n`;
          if (isErr || /^(│ )?Error: /.test(line) || (errorLines.length > 0 && line.startsWith('│'))) errorLines.push(line);
          if (!options.quiet) progress.line(line.trim());
        });
        lines.on('close', done);
      });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new DeployError('terraform is not installed or not on PATH: install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install)', { cause: error })
          : new DeployError(`could not run terraform: ${error.message}`, { cause: error }),
      );
    });
    Promise.all([pump(child.stdout, false), pump(child.stderr, true)]).then(() => undefined, reject);
    child.on('close', (code) => {
      const exit = code ?? 1;
      resolve({ code: exit, stdout: exit === 0 ? stdout : `${stdout}\n${errorLines.join('\n')}` });
    });
  });
}

/** Runs terraform and turns a non-zero exit (other than the ones allowed) into a DeployError quoting terraform. */
export async function terraformOk(runner: TerraformRunner, args: readonly string[], allowed: readonly number[] = [0], options: { quiet?: boolean } = {}): Promise<TerraformResult> {
  const result = await terraform(runner, args, options);
  if (allowed.includes(result.code)) return result;
  const quoted = errorBlock(result.stdout);
  throw new DeployError(`terraform ${args[0]} failed (exit ${result.code}) in ${runner.dir}${quoted ? `:\n${quoted}` : ''}\nfull output: ${runner.logFile}`, {
    // An apply interrupted by an emulator hiccup can be rerun; a configuration error cannot — terraform does not say
    // which, so only plain network failures count as transient.
    retryable: /connection refused|connection reset|timeout/i.test(quoted),
  });
}

/** Terraform's `Error:` blocks from its output, at most 40 lines. */
export function errorBlock(output: string): string {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => /^(│ )?Error: /.test(line));
  if (start < 0) return lines.filter(Boolean).slice(-10).join('\n');
  return lines.slice(start).filter((line) => line.trim() !== '').slice(0, 40).join('\n');
}
