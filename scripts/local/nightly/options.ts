// The local nightly run's command line: what a user can choose about the night (data sizes, a refused model, the
// number of scoring instances, keeping the services) — never a step's variables, which only the deployed
// definitions set.
import path from 'node:path';
import { z } from 'zod';
import { CliSpec, OptionSpec, positiveIntFlag, validateOptions } from '../../cli/args';
import { UsageError } from '../../cli/errors';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface NightlyOptions {
  readonly trainRows: number;
  readonly scoreRows: number;
  readonly badRows: number;
  readonly scoreFormat: 'csv' | 'parquet';
  readonly scoreFiles: number;
  readonly seed: number;
  readonly workDir: string;
  readonly keepServices: boolean;
  /** Train on labels without signal, so the deployed quality gate refuses the model. */
  readonly failGate: boolean;
  /** Deploy `local` with this many scoring instances (the Score step shards its input by S3 key). */
  readonly scoreInstances: number;
  /** Synthesize the stacks from this checkout's cdktf app instead of this repository's. */
  readonly stacksFrom?: string;
  /** Secured services (Kafka SASL_SSL + SCRAM + ACLs, authenticated MLflow) and `local` configured for them. */
  readonly secure: boolean;
}

export const DEFAULTS = {
  trainRows: 20_000,
  scoreRows: 100_000,
  badRows: 25,
  scoreFormat: 'parquet',
  seed: 7,
  scoreInstances: 1,
} as const;

export const nightlySpec = {
  command: 'npm run nightly --',
  summary:
    'The nightly flow on this machine, as deployed: start the local services (Kafka, MLflow, the AWS emulator), deploy the `local` ' +
    'environment into the emulator with real terraform, put the night\'s data where the deployed pipelines read it, start the pipelines ' +
    'the deployed schedules name, in their order, with the local SageMaker executor, read the prediction topic back and check it.',
  options: {
    'train-rows': { type: 'string', valueName: 'N', description: `Rows in the training set (default ${DEFAULTS.trainRows}; the evaluation set is a quarter of it).` },
    'score-rows': { type: 'string', valueName: 'N', description: `Rows in the night's scoring batch (default ${DEFAULTS.scoreRows}).` },
    'bad-rows': { type: 'string', valueName: 'N', description: `Deliberately bad rows in the batch, to show the dead-letter path (default ${DEFAULTS.badRows}; 0 for none).` },
    format: { type: 'string', valueName: 'csv|parquet', description: `Format of the scoring batch (default ${DEFAULTS.scoreFormat}).` },
    seed: { type: 'string', valueName: 'N', description: `Seed of the data generator (default ${DEFAULTS.seed}).` },
    'fail-gate': {
      type: 'boolean',
      description:
        'Train on labels that carry no signal, so the quality gate refuses the model: the Fail step\'s message is shown, nothing is registered, ' +
        'and the inference pipeline still runs as scheduled with the alias its schedule names (on fresh services no model holds it, so scoring fails and says so).',
    },
    'score-instances': { type: 'string', valueName: 'N', description: `Deploy local with N scoring instances: the Score step shards the batch by S3 key (default ${DEFAULTS.scoreInstances}).` },
    'work-dir': { type: 'string', valueName: 'DIR', description: 'Where each run keeps its data, deployment and outputs (default .local/nightly).' },
    'stacks-from': {
      type: 'string',
      valueName: 'DIR',
      description: 'Deploy the stacks of another checkout of this repository (its cdktf app), e.g. a branch under review; the apps still run from this one.',
    },
    'keep-services': { type: 'boolean', description: 'Keep the services and the deployment running after the run, until Ctrl-C, for the operator CLIs (--env local).' },
    secure: {
      type: 'boolean',
      description:
        'Secured services, as staging is: Kafka over TLS (a local CA) with SASL/SCRAM-SHA-512 and ACLs, MLflow with users; the credentials ' +
        'are KMS-encrypted secrets in the emulator, and `local` is deployed with TLS, the SCRAM secret, the CA and the MLflow credentials ' +
        'secret (docs/security-transports.md). The topic is read back as the consumer user.',
    },
  },
  examples: [
    'npm run nightly',
    'npm run nightly -- --fail-gate',
    'npm run nightly -- --secure',
    'npm run nightly -- --score-instances 3 --score-rows 300000',
    'npm run nightly -- --keep-services   # then, in another terminal: npm run pipeline:list -- --env local',
  ],
  notes: [
    'Exit codes: 0 every pipeline the schedules started succeeded and the topic matches the manifests, 1 a pipeline failed or the',
    'topic does not reconcile (the summary says which), 2 bad usage. With --fail-gate the training pipeline fails by design, so 1.',
  ],
} satisfies CliSpec<Record<string, OptionSpec>>;

const countFlag = z.string().regex(/^\d+$/, 'expected a whole number').transform(Number);

const optionsSchema = z.object({
  'train-rows': positiveIntFlag.refine((n) => n >= 800, 'expected at least 800 rows to train on').default(DEFAULTS.trainRows),
  'score-rows': positiveIntFlag.default(DEFAULTS.scoreRows),
  'bad-rows': countFlag.default(DEFAULTS.badRows),
  format: z.enum(['csv', 'parquet'], { error: 'expected csv or parquet' }).default(DEFAULTS.scoreFormat),
  seed: countFlag.default(DEFAULTS.seed),
  'fail-gate': z.boolean().default(false),
  'score-instances': positiveIntFlag.refine((n) => n <= 16, 'expected at most 16 instances on one machine').default(DEFAULTS.scoreInstances),
  'work-dir': z.string().default(path.join(repoRoot, '.local', 'nightly')),
  'keep-services': z.boolean().default(false),
  'stacks-from': z.string().optional(),
  secure: z.boolean().default(false),
});

export function toNightlyOptions(raw: Record<string, unknown>): NightlyOptions {
  const o = validateOptions(optionsSchema, raw);
  if (o['bad-rows'] > o['score-rows']) throw new UsageError(`--bad-rows ${o['bad-rows']} is more than --score-rows ${o['score-rows']}`);
  const scoreInstances = o['score-instances'];
  return {
    trainRows: o['train-rows'],
    scoreRows: o['score-rows'],
    badRows: o['bad-rows'],
    scoreFormat: o.format,
    // At least one file per instance, so every shard has work (ShardedByS3Key splits whole objects).
    scoreFiles: Math.max(2, scoreInstances),
    seed: o.seed,
    workDir: path.resolve(o['work-dir']),
    keepServices: o['keep-services'],
    failGate: o['fail-gate'],
    scoreInstances,
    ...(o['stacks-from'] ? { stacksFrom: path.resolve(o['stacks-from']) } : {}),
    secure: o.secure,
  };
}
