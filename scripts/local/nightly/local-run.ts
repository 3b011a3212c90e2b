// nightly:local — the whole nightly flow on this machine, with the real local services and the same entrypoints
// the containers run: generate data → train → evaluate → register (quality gate) → score → publish to Kafka →
// read the topic back with read_committed and check every message against the contract → summary.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CliSpec, OptionSpec, positiveIntFlag, validateOptions } from '../../cli/args';
import { CliError, ExitCode, UsageError } from '../../cli/errors';
import { CliIo, exitWith, runCli } from '../../cli/main';
import { ensureInstalled, pythonBin, startServices, type RunningServices } from '../services';
import { readAndValidate } from '../../topics/read-and-validate';
import { DEFAULTS, NightlyOptions, RunIdentity, runFolders, scorerEnv, trainerEnv } from './plan';
import { StepFailedError, runStep } from './run-step';
import { NightlySummary, formatSummary } from './summary';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

export const nightlySpec = {
  command: 'npm run nightly --',
  summary:
    'Run the nightly flow locally on real services (Kafka, MLflow): generate data, train, evaluate, register behind the quality gate, score, publish, and verify the topic.',
  options: {
    'train-rows': { type: 'string', valueName: 'N', description: `Rows in the training set (default ${DEFAULTS.trainRows}; the holdout is a quarter of it).` },
    'score-rows': { type: 'string', valueName: 'N', description: `Rows in the night's scoring batch (default ${DEFAULTS.scoreRows}).` },
    'bad-rows': { type: 'string', valueName: 'N', description: `Deliberately bad rows in the batch, to show the dead-letter path (default ${DEFAULTS.badRows}; 0 for none).` },
    format: { type: 'string', valueName: 'csv|parquet', description: `Format of the scoring batch (default ${DEFAULTS.scoreFormat}).` },
    seed: { type: 'string', valueName: 'N', description: `Seed of the data generator (default ${DEFAULTS.seed}).` },
    'model-name': { type: 'string', valueName: 'NAME', description: `Registered model name (default ${DEFAULTS.modelName}).` },
    'work-dir': { type: 'string', valueName: 'DIR', description: 'Where each run keeps its data, model and outputs (default .local/nightly).' },
    'keep-services': { type: 'boolean', description: 'Leave Kafka and MLflow running at the end and print how to reach them.' },
  },
  examples: ['npm run nightly', 'npm run nightly -- --score-rows 1000000 --format csv', 'npm run nightly -- --keep-services'],
  notes: ['Exit codes: 0 the run succeeded and the topic matches the manifest, 1 a step failed (its log is named), 2 bad usage.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

const countFlag = z.string().regex(/^\d+$/, 'expected a whole number').transform(Number);

const optionsSchema = z.object({
  'train-rows': positiveIntFlag.refine((n) => n >= 200, 'expected at least 200 rows to train on').default(DEFAULTS.trainRows),
  'score-rows': positiveIntFlag.default(DEFAULTS.scoreRows),
  'bad-rows': countFlag.default(DEFAULTS.badRows),
  format: z.enum(['csv', 'parquet'], { error: 'expected csv or parquet' }).default(DEFAULTS.scoreFormat),
  seed: countFlag.default(DEFAULTS.seed),
  'model-name': z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, . _ -').default(DEFAULTS.modelName),
  'work-dir': z.string().default(path.join(repoRoot, '.local', 'nightly')),
  'keep-services': z.boolean().default(false),
});

export function toNightlyOptions(raw: Record<string, unknown>): NightlyOptions {
  const o = validateOptions(optionsSchema, raw);
  if (o['bad-rows'] > o['score-rows']) {
    throw new UsageError(`--bad-rows ${o['bad-rows']} is more than --score-rows ${o['score-rows']}`);
  }
  return {
    ...DEFAULTS,
    trainRows: o['train-rows'],
    scoreRows: o['score-rows'],
    badRows: o['bad-rows'],
    scoreFormat: o.format,
    seed: o.seed,
    modelName: o['model-name'],
    workDir: path.resolve(o['work-dir']),
    keepServices: o['keep-services'],
  };
}

function gitSha(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function readJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new CliError(`could not read ${what} at ${file}`, { cause: error });
  }
}

interface Manifest {
  status: string;
  model: { name: string; version: string | null };
  counts: { read: number; scored: number; rejected: number; published: number; deadLettered: number };
  throughputRowsPerSecond: number;
  timings: { totalMs: number };
  error?: { message: string };
}

interface Evaluation {
  metrics: Record<string, { value: number }>;
  gate: { passed: boolean; reason: string };
}

export async function runNightly(o: NightlyOptions, io: CliIo): Promise<ExitCode> {
  const started = Date.now();
  const id: RunIdentity = { runId: `local-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`, runDate: new Date().toISOString().slice(0, 10), gitSha: gitSha() };
  const f = runFolders(o.workDir, id.runId);
  for (const dir of [f.train, f.test, f.score, f.model, f.evaluation, f.registration, f.scoreOutput, f.logs, path.dirname(f.hyperparameters)]) {
    mkdirSync(dir, { recursive: true });
  }
  const phase = (name: string) => io.out(`\n▶ ${name}  (+${((Date.now() - started) / 1000).toFixed(1)} s)`);
  io.out(`Local nightly run ${id.runId} (git ${id.gitSha}); outputs in ${f.root}`);

  phase('installing and starting local services (Kafka, MLflow)');
  await ensureInstalled(['kafka', 'mlflow']);
  const services: RunningServices = await startServices({ only: ['kafka', 'mlflow'], keep: o.keepServices, log: (line) => io.out(`  [services] ${line}`) });
  try {
    const mlflowUri = services.endpoints.mlflow!.trackingUri;
    const brokers = services.endpoints.kafka!.brokers;
    const python = pythonBin();
    const step = (name: string, command: string, args: string[], env: Record<string, string> = {}, extra: Partial<Parameters<typeof runStep>[0]> = {}) =>
      runStep({ step: name, command, args, env, logFile: path.join(f.logs, `${name}.log`), retryableExitCodes: [3], ...extra }, io.out);

    phase('generating data');
    const generate = (out: string, rows: number, seed: number, more: string[]) =>
      step('generate-data', python, ['-m', 'trainer', 'generate-data', '--rows', String(rows), '--out', out, '--seed', String(seed), '--overwrite', ...more]);
    await generate(f.train, o.trainRows, o.seed, ['--format', 'parquet']);
    await generate(f.test, Math.max(200, Math.floor(o.trainRows / 4)), o.seed + 1, ['--format', 'parquet']);
    await generate(f.score, o.scoreRows, o.seed + 2, ['--format', o.scoreFormat, '--files', '2', '--no-target', '--bad-rows', String(o.badRows)]);
    writeFileSync(f.hyperparameters, '{}\n');

    const tEnv = trainerEnv(o, id, mlflowUri, f.train);
    phase('train (the training job\'s `train` entrypoint)');
    await step('train', path.join(path.dirname(python), 'train'), ['--train-dir', f.train, '--hyperparameters', f.hyperparameters, '--model-dir', f.model, '--failure-file', f.failureFile], tEnv);
    phase('evaluate (processing job: python -m trainer evaluate)');
    await step('evaluate', python, ['-m', 'trainer', 'evaluate', '--model-dir', f.model, '--test-dir', f.test, '--evaluation-dir', f.evaluation, '--failure-file', f.failureFile], tEnv);
    const evaluation = readJson<Evaluation>(path.join(f.evaluation, 'evaluation.json'), 'the evaluation');
    phase('register (processing job: python -m trainer register)');
    await step('register', python, ['-m', 'trainer', 'register', '--model-dir', f.model, '--evaluation', path.join(f.evaluation, 'evaluation.json'), '--output-dir', f.registration, '--failure-file', f.failureFile], tEnv);

    phase(`score (processing job: the scorer's main) — model ${o.modelName}@${o.alias}`);
    // Only the scorer's progress and summary events are echoed; every line is in the step log.
    const scorerCode = await step('score', process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps/scorer/src/main.ts')], scorerEnv(o, id, f, mlflowUri, brokers), {
      acceptExitCodes: [1],
      show: (line) => /"(event|msg)":"(progress|run_(started|finished|failed)|model_resolved|config_invalid)/.test(line) || !line.startsWith('{'),
    });
    const manifest = readJson<Manifest>(path.join(f.scoreOutput, 'manifest.json'), "the scorer's run manifest");

    phase(`reading ${o.topic} back with read_committed and validating every message against the contract`);
    let ofThisRun = 0;
    let invalidOfThisRun = 0;
    await readAndValidate({
      brokers,
      topic: o.topic,
      fromBeginning: true,
      idleTimeoutMs: 3_000,
      onMessage: (m) => {
        const value = m.verdict.value as { run?: { id?: string } } | undefined;
        if (value?.run?.id !== id.runId) return; // earlier local runs share the topic
        ofThisRun += 1;
        if (!m.verdict.valid) invalidOfThisRun += 1;
      },
    });

    const summary: NightlySummary = {
      runId: id.runId,
      model: `${o.modelName} v${manifest.model.version ?? '?'} (@${o.alias})`,
      gate: `${evaluation.gate.passed ? 'passed' : 'refused'}: ${evaluation.gate.reason}`,
      auc: evaluation.metrics.auc?.value,
      counts: manifest.counts,
      consumed: { ofThisRun, invalid: invalidOfThisRun },
      throughputRowsPerSecond: manifest.throughputRowsPerSecond,
      scoreSeconds: manifest.timings.totalMs / 1000,
      totalSeconds: (Date.now() - started) / 1000,
      outputs: { root: f.root, manifest: path.join(f.scoreOutput, 'manifest.json'), rejectedRows: path.join(f.scoreOutput, 'rejected-rows.jsonl'), logs: f.logs },
      topics: { predictions: o.topic, deadLetter: o.deadLetterTopic },
      status: manifest.status,
      error: manifest.error?.message,
    };
    for (const line of formatSummary(summary)) io.out(line);
    if (o.keepServices) io.out(`\nServices left running (stop with: npm run services -- stop):\n  export ${Object.entries(services.env()).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    const consistent = manifest.counts.read === manifest.counts.published + manifest.counts.rejected && ofThisRun === manifest.counts.published && invalidOfThisRun === 0;
    if (scorerCode !== 0 || manifest.status !== 'succeeded') return ExitCode.failed;
    if (!consistent) {
      io.err('The topic does not match the manifest (see the summary above): every published row must be read back once and valid.');
      return ExitCode.failed;
    }
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof StepFailedError) throw new CliError(error.message, { retryable: error.retryable, cause: error });
    throw error;
  } finally {
    if (!o.keepServices) {
      io.out('\nstopping local services');
      await services.stop();
    }
  }
}

export function main(argv: readonly string[], io?: CliIo): Promise<ExitCode> {
  return runCli(nightlySpec, argv, (raw, out) => runNightly(toNightlyOptions(raw), out), io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
