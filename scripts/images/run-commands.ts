// Runs a build/push plan for real: each command in turn with the operator's terminal attached, the ECR login
// as a two-process pipe (the token never touches a shell or a file). Stops at the first failure.
import { spawn, spawnSync } from 'node:child_process';
import { CliError } from '../cli/errors';
import { PlannedCommand, shellQuote } from './plan';

/** Fails clearly when docker (client and engine) or the aws CLI is not usable on this machine. */
export function checkTools(env: NodeJS.ProcessEnv = process.env): void {
  const docker = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', env });
  if (docker.error) throw new CliError('docker is not installed (or not on PATH): install Docker, or use --dry-run to print the commands', { cause: docker.error });
  if (docker.status !== 0) {
    const reason = (docker.stderr || docker.stdout).trim().split('\n').pop()?.replace(/[.?!\s]+$/, '') ?? 'no answer';
    throw new CliError(`docker is installed but its engine is not reachable (${reason}): start the Docker engine, or use --dry-run to print the commands`);
  }
  const aws = spawnSync('aws', ['--version'], { encoding: 'utf8', env });
  if (aws.error || aws.status !== 0) throw new CliError('the aws CLI is not usable (needed for `aws ecr get-login-password`): install AWS CLI v2, or use --dry-run', { cause: aws.error });
}

/** Runs an `aws ecr describe-images` check: true when the tag exists, false when ECR says it does not. */
export function imageExists(command: PlannedCommand, cwd: string): boolean {
  const result = spawnSync(command.argv[0]!, command.argv.slice(1), { cwd, encoding: 'utf8' });
  if (result.error) throw new CliError(`Could not ${command.description}`, { cause: result.error });
  if (result.status === 0) return true;
  if (/ImageNotFoundException/.test(result.stderr)) return false;
  // Anything else (credentials, a missing repository: is the environment deployed?) stops the run here.
  throw new CliError(`Could not ${command.description}: ${result.stderr.trim() || `aws exited with ${result.status}`}`);
}

export async function runPlan(commands: readonly PlannedCommand[], cwd: string, log: (line: string) => void): Promise<void> {
  for (let index = 0; index < commands.length; index += 1) {
    const command = commands[index]!;
    const next = commands[index + 1];
    if (next?.pipeFromPrevious) {
      log(`$ ${shellQuote(command.argv)} | ${shellQuote(next.argv)}`);
      await runPiped(command, next, cwd);
      index += 1;
    } else {
      log(`$ ${shellQuote(command.argv)}`);
      await runOne(command, cwd);
    }
  }
}

function runOne(command: PlannedCommand, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.argv[0]!, command.argv.slice(1), { cwd, stdio: 'inherit' });
    child.on('error', (error) => reject(new CliError(`Could not ${command.description}`, { cause: error })));
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new CliError(`Could not ${command.description}: ${command.argv[0]} exited with ${signal ?? code}`, { retryable: command.argv[1] === 'push' }))));
  });
}

function runPiped(source: PlannedCommand, sink: PlannedCommand, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const producer = spawn(source.argv[0]!, source.argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    const consumer = spawn(sink.argv[0]!, sink.argv.slice(1), { cwd, stdio: ['pipe', 'inherit', 'inherit'] });
    producer.stdout.pipe(consumer.stdin);
    let producerCode: number | null = null;
    producer.on('error', (error) => reject(new CliError(`Could not ${source.description}`, { cause: error })));
    consumer.on('error', (error) => reject(new CliError(`Could not ${sink.description}`, { cause: error })));
    producer.on('exit', (code) => {
      producerCode = code;
    });
    consumer.on('exit', (code) => {
      if (producerCode !== null && producerCode !== 0) reject(new CliError(`Could not ${source.description}: aws exited with ${producerCode} (are your AWS credentials valid for this account?)`));
      else if (code !== 0) reject(new CliError(`Could not ${sink.description}: docker login exited with ${code}`, { retryable: true }));
      else resolve();
    });
  });
}
