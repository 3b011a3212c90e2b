// Synthesizes the stacks exactly as `cdktf synth` does — it runs the app command of cdktf.json, `node --import
// tsx main.ts`, with CDKTF_OUTDIR — in a child process, so the environment files read the MLP_LOCAL_* addresses
// given here (environments/lib/local-endpoints.ts) and nothing is cached from an earlier synth in this process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DeployError } from './errors';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/**
 * Runs the cdktf app into outdir and returns the path of the stack's cdk.tf.json. `appDir` is the folder with
 * cdktf.json (default this repository; another checkout, e.g. a branch under review, works the same way).
 */
export async function synthStack(options: { stack: string; outdir: string; env?: Record<string, string>; appDir?: string }): Promise<string> {
  const appDir = options.appDir ?? repoRoot;
  let app: string;
  try {
    ({ app } = JSON.parse(fs.readFileSync(path.join(appDir, 'cdktf.json'), 'utf8')) as { app: string });
  } catch (error) {
    throw new DeployError(`${appDir} holds no readable cdktf.json: is it a checkout of this repository?`, { cause: error });
  }
  fs.mkdirSync(options.outdir, { recursive: true });
  const [command, ...args] = app.split(' ');
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(command === 'node' ? process.execPath : (command as string), args, {
      cwd: appDir,
      env: { ...process.env, ...options.env, CDKTF_OUTDIR: options.outdir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('close', (exit) => resolve(exit ?? 1));
  });
  if (code !== 0) {
    // main.ts prints configuration errors as "Invalid environment configuration: …" — pass them on as they are.
    throw new DeployError(`synthesizing the stacks failed (${app}, exit ${code}):\n${output.join('').trim()}`);
  }
  const file = path.join(options.outdir, 'stacks', options.stack, 'cdk.tf.json');
  if (!fs.existsSync(file)) throw new DeployError(`the app synthesized no stack "${options.stack}" (looked for ${file})`);
  return file;
}
