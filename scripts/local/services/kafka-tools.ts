// Runs one of Kafka's own command line tools (console consumer, ProducerPerformance, StorageTool) from the jars
// that ensureInstalled() resolved, and captures its output.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LocalServicesError, missingToolError } from './errors';
import { kafkaClasspath } from './install';
import { renderLog4jProperties } from './kafka-config';
import { defaultBaseDir, kafkaLibsDir } from './paths';
import { signalGroup } from './processes';

export interface KafkaToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface KafkaToolOptions {
  baseDir?: string;
  /** Killed (whole process group) after this long; the result then has timedOut=true. Default 120 s. */
  timeoutMs?: number;
  /** Written to the tool's stdin, which is then closed. */
  input?: string;
  /** Extra JVM options, e.g. a larger heap for a benchmark. */
  jvmArgs?: string[];
}

function toolsLog4j(baseDir: string): string {
  const file = path.join(baseDir, 'kafka', 'tools-log4j.properties');
  const wanted = renderLog4jProperties('WARN', 'System.err');
  if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== wanted) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, wanted);
  }
  return file;
}

export function kafkaToolCommand(className: string, args: string[], opts: KafkaToolOptions = {}): { cmd: string; args: string[] } {
  const baseDir = opts.baseDir ?? defaultBaseDir;
  if (!fs.existsSync(kafkaLibsDir(baseDir))) {
    throw new LocalServicesError('NOT_INSTALLED', `the Kafka jars are missing in ${kafkaLibsDir(baseDir)}; run 'npm run services -- install' first.`);
  }
  return {
    cmd: 'java',
    args: [
      '-Xmx256m',
      ...(opts.jvmArgs ?? []),
      `-Dlog4j.configuration=file:${toolsLog4j(baseDir)}`,
      '-cp',
      kafkaClasspath(baseDir),
      className,
      ...args,
    ],
  };
}

/** Runs e.g. `org.apache.kafka.tools.consumer.ConsoleConsumer` with args; resolves with exit code and output. */
export function runKafkaTool(className: string, args: string[], opts: KafkaToolOptions = {}): Promise<KafkaToolResult> {
  const { cmd, args: fullArgs } = kafkaToolCommand(className, args, opts);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, fullArgs, { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? missingToolError('java', `running ${className}`, 'Install a Java runtime, version 17 or newer.') : err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading its input; its exit code tells.
    child.stdin.end(opts.input ?? '');
  });
}
