// Benchmark of the batch scorer end to end (read → validate → score → publish with acks=all to the local broker),
// next to Kafka's own ProducerPerformance with the same record count, record size and acks as the ceiling.
//   npm run bench:scorer -- --help    (options: --rows, --format, --files, --compression, --node-args for profiling)
// Compression defaults to none on both sides so that the comparison is of the same bytes on the wire.
// Uses the local services in the environment (KAFKA_BROKERS, MLFLOW_TRACKING_URI) or starts Kafka and MLflow.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { predictionMessage } from '../../apps/scorer/src/contract/message';
import type { RunManifest } from '../../apps/scorer/src/manifest';
import { z } from 'zod';
import { CliSpec, OptionSpec, positiveIntFlag, validateOptions } from '../cli/args';
import { ExitCode } from '../cli/errors';
import { exitWith, runCli } from '../cli/main';
import { ensureInstalled, runKafkaTool, startServices, type RunningServices } from '../local/services';

const ROOT = path.resolve(__dirname, '../..');
const PYTHON = path.join(ROOT, '.venv/bin/python');

export const benchSpec = {
  command: 'npm run bench:scorer --',
  summary:
    "Benchmark the batch scorer end to end (read → validate → score → publish with acks=all to the local broker) next to Kafka's " +
    'own ProducerPerformance with the same record count, record size and acks as the ceiling. Uses the services in the ' +
    'environment (KAFKA_BROKERS, MLFLOW_TRACKING_URI) or starts Kafka and MLflow.',
  options: {
    rows: { type: 'string', valueName: 'N', description: 'Rows to score (default 1000000).' },
    format: { type: 'string', valueName: 'csv|parquet', description: 'Input format (default csv).' },
    files: { type: 'string', valueName: 'N', description: 'Input files the rows are split into (default 4).' },
    compression: { type: 'string', valueName: 'none|gzip', description: "Producer compression on both sides, as the scorer's KAFKA_COMPRESSION (default none: the same bytes on the wire)." },
    'node-args': { type: 'string', valueName: 'ARGS', description: 'Extra node flags for the scorer process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".' },
  },
  examples: ['npm run bench:scorer', 'npm run bench:scorer -- --rows 100000 --format parquet'],
  notes: ['The data set is generated once per (rows, format, files) under .local/bench/scorer and reused.', 'Exit codes: 0 measured, 1 the scorer or the ceiling run failed, 2 bad usage.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

const optionsSchema = z.object({
  rows: positiveIntFlag.default(1_000_000),
  format: z.enum(['csv', 'parquet']).default('csv'),
  files: positiveIntFlag.default(4),
  compression: z.enum(['none', 'gzip']).default('none'),
  'node-args': z.string().default(''),
});

type BenchOptions = z.infer<typeof optionsSchema>;

// The scorer creates its topics with 3 partitions (KAFKA_CREATE_TOPICS); the ceiling gets the same.
const partitions = 3;

/** Generated once per (rows, format, files) and reused: generating is not what is measured. */
function dataset({ rows, format, files }: BenchOptions): string {
  const dir = path.join(ROOT, '.local/bench/scorer', `${rows}-${format}-${files}`);
  if (existsSync(path.join(dir, 'done'))) return path.join(dir, 'data');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`generating ${rows} rows (${format}, ${files} files) with the trainer's generator...`);
  execFileSync(PYTHON, ['-m', 'trainer', 'generate-data', '--rows', String(rows), '--out', path.join(dir, 'data'), '--format', format, '--files', String(files), '--seed', '42', '--no-target'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('touch', [path.join(dir, 'done')]);
  return path.join(dir, 'data');
}

/**
 * Runs the built scorer like the container does and samples its peak RSS (VmHWM) and CPU time from /proc.
 * CPU seconds per row is steadier than rows/s on a shared two-core machine, where the broker competes for CPU.
 */
async function runScorer(env: Record<string, string>, nodeArgs: readonly string[]): Promise<{ code: number | null; peakRssMb: number; wallSeconds: number; cpuSeconds: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'apps/scorer/dist/main.js')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let peakKb = 0;
  let cpuTicks = 0;
  const sample = () => {
    try {
      // utime and stime: fields 14 and 15 of /proc/PID/stat, counted after the parenthesised command name.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      cpuTicks = Number(stat[11]) + Number(stat[12]);
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // the process just exited; the last sample stands
    }
  };
  const timer = setInterval(sample, 100);
  child.stdout.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (/"event":"(progress|run_finished|run_failed)"/.test(line)) console.log(`  scorer: ${line}`);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  // Clock ticks are 100 per second on Linux; the last sample is at most 100 ms before the exit.
  return { code, peakRssMb: peakKb / 1024, wallSeconds: (Date.now() - started) / 1000, cpuSeconds: cpuTicks / 100 };
}

async function main(options: BenchOptions): Promise<void> {
  const { rows, compression } = options;
  // Extra node flags for the scorer process (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = options['node-args'].split(' ').filter(Boolean);
  // The trainer's generator and the model fixture run in .venv; ProducerPerformance needs the Kafka jars.
  await ensureInstalled(['kafka', 'mlflow']);
  let services: RunningServices | undefined;
  let env: Record<string, string>;
  if (process.env.KAFKA_BROKERS && process.env.MLFLOW_TRACKING_URI) {
    env = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, MLFLOW_TRACKING_URI: process.env.MLFLOW_TRACKING_URI };
  } else {
    services = await startServices({ only: ['kafka', 'mlflow'] });
    env = services.env();
  }
  try {
    const input = dataset(options);
    console.log('building the scorer (apps/scorer/dist)...');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'apps/scorer/tsconfig.json')], { stdio: 'inherit' });
    const model = `bench-churn-${Date.now().toString(36)}`;
    const registered = execFileSync(PYTHON, [path.join(ROOT, 'test/scorer/fixtures/model_fixture.py'), 'register', '--name', model, '--alias', 'champion', '--schema', 'churn'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    const version = (JSON.parse(registered.trim().split('\n').pop() ?? '{}') as { version: string }).version;
    const topic = `bench.predictions.${Date.now().toString(36)}`;
    const output = path.join(ROOT, '.local/bench/scorer/out');

    console.log(`scorer: ${rows} rows, acks=all, compression=${compression}, one transaction, topic ${topic}`);
    const scorer = await runScorer({
      ...env,
      INPUT_PATH: input,
      OUTPUT_PATH: output,
      MODEL_NAME: model,
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: `${topic}.dlq`,
      KAFKA_CREATE_TOPICS: 'true',
      KAFKA_COMPRESSION: compression,
      RUN_ID: 'bench',
      MODEL_CACHE_DIR: path.join(ROOT, '.local/bench/scorer/models'),
    }, nodeArgs);
    const manifest = JSON.parse(readFileSync(path.join(output, 'manifest.json'), 'utf8')) as RunManifest;
    if (scorer.code !== 0) throw new Error(`the scorer failed (exit ${scorer.code}): ${JSON.stringify(manifest.error)}`);

    // Record size as published: a representative message of this model and run.
    const sample = JSON.stringify(
      predictionMessage({ modelName: model, modelVersion: version, runId: 'bench', runDate: manifest.runDate, shardId: '0' }, 'C0000000042', [0, 1], 1, new Float32Array([0.123456, 0.876544]), 0, new Date().toISOString()),
    );
    const recordSize = Buffer.byteLength(sample);

    const perfTopic = `bench.producer-perf.${Date.now().toString(36)}`;
    console.log(`ProducerPerformance: ${rows} records of ${recordSize} bytes, acks=all, idempotent, compression=${compression}`);
    const admin = new Kafka({ clientId: 'bench', brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: perfTopic, numPartitions: partitions }], waitForLeaders: true });
    await admin.disconnect();
    const perf = await runKafkaTool(
      'org.apache.kafka.tools.ProducerPerformance',
      ['--topic', perfTopic, '--num-records', String(rows), '--record-size', String(recordSize), '--throughput', '-1',
        '--producer-props', `bootstrap.servers=${env.KAFKA_BROKERS}`, 'acks=all', 'enable.idempotence=true', `compression.type=${compression}`],
      { timeoutMs: 600_000, jvmArgs: ['-Xmx512m'] },
    );
    const summary = perf.stdout.trim().split('\n').pop() ?? '';
    const perfRate = Number(/([\d.]+) records\/sec/.exec(summary)?.[1] ?? NaN);
    if (perf.code !== 0 || Number.isNaN(perfRate)) throw new Error(`ProducerPerformance failed: ${perf.stderr.slice(-2000)}`);

    const scorerRate = manifest.throughputRowsPerSecond;
    console.log('');
    console.log(`rows                        ${rows} (${manifest.counts.published} published, ${manifest.counts.rejected} rejected)`);
    console.log(`record size                 ${recordSize} bytes`);
    console.log(`scorer rows/s               ${scorerRate} (processing ${(manifest.timings.processMs / 1000).toFixed(1)} s, process wall ${scorer.wallSeconds.toFixed(1)} s)`);
    console.log(`scorer peak RSS             ${scorer.peakRssMb.toFixed(0)} MB`);
    console.log(`scorer CPU                  ${scorer.cpuSeconds.toFixed(1)} s (${((scorer.cpuSeconds / rows) * 1e6).toFixed(1)} µs per row, all threads)`);
    console.log(`ProducerPerformance rec/s   ${perfRate} (${summary})`);
    console.log(`ratio scorer/ceiling        ${(scorerRate / perfRate).toFixed(2)} (target >= 0.5)`);
  } finally {
    await services?.stop();
  }
}

if (require.main === module) {
  exitWith(
    runCli(benchSpec, process.argv.slice(2), async (raw) => {
      await main(validateOptions(optionsSchema, raw));
      return ExitCode.ok;
    }),
  );
}
