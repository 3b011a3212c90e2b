// npm run bench:scorer — the batch scorer end to end (read → validate → score → publish with acks=all, transactions)
// against its Python peer (scripts/bench/scorer_peer.py: pyarrow → onnxruntime → confluent-kafka) and Kafka's own
// ProducerPerformance (same record count and size, acks=all, idempotent), interleaved on one broker, for CSV and
// Parquet; min / median / max of each figure, and the targets (scorer-report.ts). `--help` for the flags.
// Compression defaults to none everywhere, so that all three put the same bytes on the wire.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { predictionMessage } from '../../apps/scorer/src/contract/message';
import type { RunManifest } from '../../apps/scorer/src/manifest';
import { parseMlmodel } from '../../apps/scorer/src/model/feature-schema';
import { CREATED_PARTITIONS } from '../../apps/scorer/src/publish/topics';
import { validateOptions } from '../cli/args';
import { CliError, ExitCode } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { ensureInstalled, runKafkaTool, startServices, type RunningServices } from '../local/services';
import { BenchOptions, FormatSummary, Round, benchOptions, benchSpec, formatTable, missedTargets, summarize } from './scorer-report';

const ROOT = path.resolve(__dirname, '../..');
const PYTHON = path.join(ROOT, '.venv/bin/python');
const WORK = path.join(ROOT, '.local/bench/scorer');
// The peer and ProducerPerformance get the partitions the scorer creates itself with KAFKA_CREATE_TOPICS.
const PARTITIONS = CREATED_PARTITIONS;

/** Generated once per (rows, format, files) and reused: generating is not what is measured. */
function dataset(o: BenchOptions, format: string, say: (line: string) => void): string {
  const dir = path.join(WORK, `${o.rows}-${format}-${o.files}`);
  if (existsSync(path.join(dir, 'done'))) return path.join(dir, 'data');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  say(`generating ${o.rows} rows (${format}, ${o.files} files) with the trainer's generator...`);
  execFileSync(PYTHON, ['-m', 'trainer', 'generate-data', '--rows', String(o.rows), '--out', path.join(dir, 'data'), '--format', format, '--files', String(o.files), '--seed', '42', '--no-target'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  writeFileSync(path.join(dir, 'done'), '');
  return path.join(dir, 'data');
}

/** Runs a process and samples its peak RSS (VmHWM, all threads) from /proc; stdout is returned. */
async function measured(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; peakRssMb: number }> {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let peakKb = 0;
  let stdout = '';
  let stderr = '';
  const timer = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // exited; the last sample stands
    }
  }, 50);
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new CliError(`${path.basename(args[args.length > 1 ? 1 : 0] ?? command)} failed (exit ${code}): ${stderr.slice(-1500)}${stdout.slice(-1500)}`);
  return { code, stdout, peakRssMb: peakKb / 1024 };
}

async function createTopic(brokers: string, topic: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
}

async function bench(o: BenchOptions, io: CliIo): Promise<ExitCode> {
  const say = io.out;
  let services: RunningServices | undefined;
  let env: Record<string, string>;
  if (process.env.KAFKA_BROKERS && process.env.MLFLOW_TRACKING_URI) {
    env = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, MLFLOW_TRACKING_URI: process.env.MLFLOW_TRACKING_URI };
  } else {
    await ensureInstalled(['kafka', 'mlflow']);
    services = await startServices({ only: ['kafka', 'mlflow'] });
    env = services.env();
  }
  try {
    say('building the scorer (apps/scorer/dist), as its image does...');
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'apps/scorer/tsconfig.json')], { stdio: 'inherit' });
    const model = `bench-churn-${Date.now().toString(36)}`;
    const registered = execFileSync(PYTHON, [path.join(ROOT, 'test/scorer/fixtures/model_fixture.py'), 'register', '--name', model, '--alias', 'champion', '--schema', 'churn'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    const version = (JSON.parse(registered.trim().split('\n').pop() ?? '{}') as { version: string }).version;
    const modelCache = path.join(WORK, 'models');
    const nodeArgs = o['node-args'].split(' ').filter(Boolean);
    let unique = 0;
    const topic = (kind: string) => `bench.${kind}.${Date.now().toString(36)}.${unique++}`;

    const scorer = async (input: string, extra: Record<string, string> = {}) => {
      const t = topic('scorer');
      const output = path.join(WORK, 'out', t);
      const run = await measured(process.execPath, [...nodeArgs, path.join(ROOT, 'apps/scorer/dist/main.js')], {
        ...env,
        INPUT_PATH: input,
        OUTPUT_PATH: output,
        MODEL_NAME: model,
        KAFKA_TOPIC: t,
        KAFKA_DLQ_TOPIC: `${t}.dlq`,
        KAFKA_CREATE_TOPICS: 'true',
        KAFKA_COMPRESSION: o.compression,
        RUN_ID: 'bench',
        MODEL_CACHE_DIR: modelCache,
        ...extra,
      });
      const manifest = JSON.parse(readFileSync(path.join(output, 'manifest.json'), 'utf8')) as RunManifest;
      rmSync(output, { recursive: true, force: true });
      if (manifest.counts.published !== o.rows) throw new CliError(`the scorer published ${manifest.counts.published} of ${o.rows} rows`);
      return { rowsPerSecond: manifest.throughputRowsPerSecond, peakRssMb: run.peakRssMb, manifest };
    };

    const summaries: FormatSummary[] = [];
    for (const format of o.formats) {
      const input = dataset(o, format, say);
      // The first run also fills the model cache, from which the peer loads the same ONNX file.
      const warm = await scorer(input);
      const cached = path.join(modelCache, encodeURIComponent(model), version);
      const schemaFile = path.join(WORK, `${model}.feature-schema.json`);
      writeFileSync(schemaFile, JSON.stringify(parseMlmodel(readFileSync(path.join(cached, 'MLmodel'), 'utf8')).featureSchema));
      const recordSize = Buffer.byteLength(
        JSON.stringify(predictionMessage({ modelName: model, modelVersion: version, runId: 'bench', runDate: warm.manifest.runDate, shardId: '0' }, 'C0000000042', [0, 1], 1, new Float32Array([0.123456, 0.876544]), 0, new Date().toISOString())),
      );
      const rounds: Round[] = [];
      for (let i = 1; i <= o.runs; i++) {
        const ours = await scorer(input);
        const peerTopic = topic('peer');
        await createTopic(env.KAFKA_BROKERS, peerTopic);
        const peerRun = await measured(PYTHON, [path.join(ROOT, 'scripts/bench/scorer_peer.py'), '--input', input, '--format', format, '--model', path.join(cached, 'model.onnx'), '--schema', schemaFile,
          '--brokers', env.KAFKA_BROKERS, '--topic', peerTopic, '--run-id', 'bench', '--run-date', warm.manifest.runDate, '--model-name', model, '--model-version', version, '--compression', o.compression], {});
        const peer = JSON.parse(peerRun.stdout.trim().split('\n').pop() ?? '{}') as { rows: number; rows_per_second: number };
        if (peer.rows !== o.rows) throw new CliError(`the Python peer published ${peer.rows} of ${o.rows} rows`);
        const perfTopic = topic('producer-perf');
        await createTopic(env.KAFKA_BROKERS, perfTopic);
        const perf = await runKafkaTool(
          'org.apache.kafka.tools.ProducerPerformance',
          ['--topic', perfTopic, '--num-records', String(o.rows), '--record-size', String(recordSize), '--throughput', '-1',
            '--producer-props', `bootstrap.servers=${env.KAFKA_BROKERS}`, 'acks=all', 'enable.idempotence=true', `compression.type=${o.compression}`],
          { timeoutMs: 600_000, jvmArgs: ['-Xmx512m'] },
        );
        const perfRate = Number(/([\d.]+) records\/sec/.exec(perf.stdout.trim().split('\n').pop() ?? '')?.[1] ?? NaN);
        if (perf.code !== 0 || Number.isNaN(perfRate)) throw new CliError(`ProducerPerformance failed: ${perf.stderr.slice(-2000)}`);
        const round: Round = { scorer: ours, peer: { rowsPerSecond: peer.rows_per_second, peakRssMb: peerRun.peakRssMb }, producerPerformance: perfRate };
        if (o.scaling) {
          round.pipelines = {};
          for (const k of ['1', '2']) round.pipelines[k] = (await scorer(input, { KAFKA_PRODUCERS: k })).rowsPerSecond;
        }
        say(`${format} run ${i}/${o.runs}: scorer ${ours.rowsPerSecond} rows/s (${ours.manifest.kafka.producers.length} pipelines, ${ours.peakRssMb.toFixed(0)} MB), peer ${peer.rows_per_second} rows/s (${peerRun.peakRssMb.toFixed(0)} MB), ProducerPerformance ${perfRate} records/s${round.pipelines ? `, 1 vs 2 pipelines ${round.pipelines['1']} / ${round.pipelines['2']}` : ''}`);
        rounds.push(round);
      }
      summaries.push(summarize(format, rounds));
    }
    say('');
    say(`${o.rows} rows, ${o.files} files, record ~${o.compression === 'none' ? 'uncompressed' : o.compression}, acks=all; machine load (1/5/15 min): ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${require('node:os').availableParallelism()} CPUs`);
    for (const line of formatTable(summaries)) say(line);
    const missed = summaries.flatMap((s) => missedTargets(s, o.runs));
    say('');
    if (missed.length === 0) say('targets met');
    for (const m of missed) io.err(`target missed: ${m}`);
    return missed.length === 0 ? ExitCode.ok : ExitCode.failed;
  } finally {
    await services?.stop();
  }
}

export function main(argv: readonly string[], io?: CliIo): Promise<ExitCode> {
  return runCli(benchSpec, argv, (raw, out) => bench(validateOptions(benchOptions, raw), out), io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
