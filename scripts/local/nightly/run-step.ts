// Runs one step of the nightly flow as a child process (the same entrypoint the container runs), prefixing its
// output with the step name on the terminal and keeping the full output in the step's log file.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export class StepFailedError extends Error {
  constructor(
    readonly step: string,
    readonly exitCode: number | null,
    readonly logFile: string,
    readonly retryable: boolean,
  ) {
    super(`step "${step}" failed (exit code ${exitCode ?? 'none: killed by a signal'}); its full output is in ${logFile}`);
    this.name = 'StepFailedError';
  }
}

export interface StepCommand {
  step: string;
  command: string;
  args: readonly string[];
  env: Record<string, string>;
  logFile: string;
  /** Lines to show on the terminal; all lines always go to the log file. Default: every line. */
  show?: (line: string) => boolean;
  /** Exit codes the caller handles itself (e.g. the scorer's "run failed, manifest written"). */
  acceptExitCodes?: readonly number[];
  /** Exit codes after which a rerun may succeed (the trainer's 3 = MLflow unavailable). */
  retryableExitCodes?: readonly number[];
}

export async function runStep(cmd: StepCommand, print: (line: string) => void): Promise<number> {
  const log = createWriteStream(cmd.logFile, { flags: 'a' });
  const child = spawn(cmd.command, [...cmd.args], { env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const pump = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolve) => {
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        if (!cmd.show || cmd.show(line)) print(`  [${cmd.step}] ${line}`);
      });
      lines.on('close', resolve);
    });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const [code] = await Promise.all([exited, pump(child.stdout), pump(child.stderr)]);
  await new Promise<void>((resolve) => log.end(resolve));
  if (code === 0 || (code !== null && cmd.acceptExitCodes?.includes(code))) return code;
  throw new StepFailedError(cmd.step, code, cmd.logFile, code !== null && (cmd.retryableExitCodes ?? []).includes(code));
}
