import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './contract-validator';

export interface ScorerProcessResult {
  code: number | null;
  events: Record<string, unknown>[];
  stderr: string;
}

/** Runs the scorer as the container does (its main, a separate process), collecting its JSON log lines. */
export function runScorer(
  env: Record<string, string>,
  options: { onEvent?: (event: Record<string, unknown>) => void; timeoutMs?: number } = {},
): Promise<ScorerProcessResult> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(REPO_ROOT, 'apps/scorer/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        options.onEvent?.(event);
      } catch {
        stderr += `unparsed stdout: ${line}\n`;
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, events, stderr });
    });
  });
}
