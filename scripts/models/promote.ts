// model:promote — promote a model version from one environment's MLflow registry to another's alias: copied into
// the target registry when the two environments use different servers, guarded by the quality gate and the
// current alias holder's metric, shown as a plan first, recorded as tags and as a JSON record in the target.
import os from 'node:os';
import { z } from 'zod';
import { CliSpec, OptionSpec, validateOptions } from '../cli/args';
import { loadEnvironmentForCli } from '../cli/environment';
import { ExitCode, UsageError } from '../cli/errors';
import { CliIo, exitWith, runCli } from '../cli/main';
import { applyPromotion, completeRecord } from './apply-promotion';
import { describePlan } from './plan-text';
import { decide, gatherPlan } from './promotion-plan';
import { RecordStore, s3RecordStore } from './promotion-record';
import { RegistryConnection, RegistryTarget, TargetOverrides, connect, registryTarget, s3ClientFor } from './registry-target';

export const promoteSpec = {
  command: 'npm run model:promote --',
  summary:
    'Promote a model version from one environment (default staging) to another\'s alias (default prod\'s scoring alias). ' +
    'When the two use different MLflow servers the version is copied into the target registry first (files, signature, params, metrics, tags, lineage) ' +
    'and registered as a new version there. Allowed only when the source version passed its quality gate (gate.passed=true, metric >= the target\'s threshold) ' +
    'and its metric is not worse than the current alias holder\'s (unless --force --reason). Shows the plan and changes nothing without --yes; ' +
    'records every promotion as promoted_* tags on the version and as JSON under s3://<target data bucket>/promotions/. Rerunning a done promotion changes nothing.',
  options: {
    from: { type: 'string', valueName: 'ENV', description: 'Source environment (default staging).' },
    to: { type: 'string', valueName: 'ENV', description: 'Target environment (default prod).' },
    version: { type: 'string', short: 'v', valueName: 'N', description: 'The source version to promote (with --from-alias too: it must be the version that alias points at).' },
    'from-alias': { type: 'string', valueName: 'ALIAS', description: 'Promote the version this source alias points at (default, without --version: the source environment\'s scoring alias).' },
    alias: { type: 'string', valueName: 'ALIAS', description: 'The target alias to move (default: the target environment\'s scoring alias, e.g. champion).' },
    yes: { type: 'boolean', short: 'y', description: 'Carry out the plan (without it: show the plan and change nothing).' },
    force: { type: 'boolean', description: 'Promote even if the version is worse than the target alias\'s current version (needs --reason; the gate is never overridden).' },
    reason: { type: 'string', valueName: 'TEXT', description: 'Why; recorded as promoted_reason and in the record (required with --force).' },
    by: { type: 'string', valueName: 'NAME', description: 'Who promotes, recorded as promoted_by and lineage.copied_by (default: your OS user name).' },
    'from-profile': { type: 'string', valueName: 'PROFILE', description: 'AWS profile for the source side (SageMaker MLflow SigV4, S3 artifacts); default: the AWS default credential chain.' },
    'to-profile': { type: 'string', valueName: 'PROFILE', description: 'AWS profile for the target side (SageMaker MLflow SigV4, S3 artifacts, the record).' },
    'from-tracking-uri': { type: 'string', valueName: 'URL', description: 'Testing/local use: reach the source registry at this MLflow URL instead of the configured server (no auth).' },
    'to-tracking-uri': { type: 'string', valueName: 'URL', description: 'Testing/local use: reach the target registry at this MLflow URL instead of the configured server (no auth).' },
    'tracking-uri': { type: 'string', valueName: 'URL', description: 'Testing/local use: one MLflow URL for both sides (then the alias moves within it, nothing is copied).' },
  },
  examples: [
    'npm run model:promote -- --from staging --to prod                       # plan: staging@challenger -> prod@champion',
    'npm run model:promote -- --from staging --to prod --version 7 --yes',
    'npm run model:promote -- --version 5 --force --reason "roll back after incident 123" --yes',
    'npm run model:promote -- --from-profile staging-admin --to-profile prod-admin --yes',
  ],
  notes: [
    'Exit codes: 0 promoted (or already promoted: nothing to do), 1 an MLflow or S3 call failed (the message says what already happened; rerunning completes it), 2 bad usage, refused by a check, or a dry run (no --yes).',
    'AWS: credentials come from the default chain or --from-profile/--to-profile; AWS_ENDPOINT_URL points the S3 calls at an emulator (testing/local use).',
  ],
} satisfies CliSpec<Record<string, OptionSpec>>;

const url = z.string().regex(/^https?:\/\/\S+$/, 'expected an http(s) URL');
const promoteSchema = z
  .object({
    from: z.string().min(1).default('staging'),
    to: z.string().min(1).default('prod'),
    version: z.string().regex(/^[1-9]\d*$/, 'expected a version number like 7').optional(),
    'from-alias': z.string().min(1).optional(),
    alias: z.string().min(1).optional(),
    yes: z.boolean().default(false),
    force: z.boolean().default(false),
    reason: z.string().trim().min(1, 'must not be empty').optional(),
    by: z.string().trim().min(1).optional(),
    'from-profile': z.string().min(1).optional(),
    'to-profile': z.string().min(1).optional(),
    'from-tracking-uri': url.optional(),
    'to-tracking-uri': url.optional(),
    'tracking-uri': url.optional(),
  })
  .superRefine((options, ctx) => {
    if (options.force && !options.reason) {
      ctx.addIssue({ code: 'custom', path: ['force'], message: 'needs --reason "…": a forced promotion records why' });
    }
    if (options['tracking-uri'] && (options['from-tracking-uri'] || options['to-tracking-uri'])) {
      ctx.addIssue({ code: 'custom', path: ['tracking-uri'], message: 'sets both sides: use it or --from-tracking-uri/--to-tracking-uri, not both' });
    }
  });

export interface PromoteDeps {
  targetFor: (env: string, overrides: TargetOverrides) => RegistryTarget;
  connect: (target: RegistryTarget) => RegistryConnection;
  records: (target: RegistryTarget) => RecordStore;
  now: () => Date;
  user: () => string;
  signal?: AbortSignal;
}

export const defaultPromoteDeps: PromoteDeps = {
  targetFor: (env, overrides) => registryTarget(loadEnvironmentForCli(env), overrides),
  connect: (target) => connect(target),
  records: (target) => s3RecordStore(s3ClientFor(target), target.recordsUri),
  now: () => new Date(),
  user: () => os.userInfo().username,
};

export function promoteCommand(argv: readonly string[], deps: PromoteDeps = defaultPromoteDeps, io?: CliIo): Promise<ExitCode> {
  return runCli(
    promoteSpec,
    argv,
    async (raw, out) => {
      const options = validateOptions(promoteSchema, raw);
      const from = deps.targetFor(options.from, {
        trackingUri: options['from-tracking-uri'] ?? options['tracking-uri'],
        alias: options['from-alias'],
        awsProfile: options['from-profile'],
      });
      const to = deps.targetFor(options.to, {
        trackingUri: options['to-tracking-uri'] ?? options['tracking-uri'],
        alias: options.alias,
        awsProfile: options['to-profile'],
      });
      const selection = { ...(options.version ? { version: options.version } : {}), ...(options['from-alias'] || !options.version ? { alias: from.alias } : {}) };
      if (from.env === to.env && selection.alias === to.alias) {
        throw new UsageError(`--from and --to are both ${to.env}@${to.alias}: name another target alias (--alias) or environment (--to).`);
      }
      const source = deps.connect(from);
      const target = deps.connect(to);
      const plan = await gatherPlan(source, target, selection);
      const decision = decide(plan, { force: options.force });
      for (const line of describePlan(plan, decision)) out.out(line);

      if (decision.kind === 'done') {
        out.out(`Nothing to do: ${from.env} ${plan.source.name} version ${plan.source.version} is already promoted as version ${plan.current!.version} (${to.env} ${to.modelName}@${to.alias}).`);
        return ExitCode.ok;
      }
      if (decision.kind === 'refused') {
        out.err(`Refused: ${decision.failed.map((check) => `${check.id}: ${check.detail}`).join('; ')}. Nothing changed.`);
        if (decision.failed.every((check) => check.forceable)) out.err('If replacing a better version is intended (a rollback), rerun with --force --reason "…".');
        return ExitCode.usage;
      }
      if (!options.yes) {
        out.err('Dry run: nothing changed. Review the plan above and rerun with --yes to carry it out.');
        return ExitCode.usage;
      }
      const who = { by: options.by ?? deps.user(), at: deps.now(), ...(options.reason ? { reason: options.reason } : {}) };
      const applyDeps = { source, target, records: deps.records(to), log: out.out, ...(deps.signal ? { signal: deps.signal } : {}) };
      if (decision.kind === 'complete-record') {
        const done = await completeRecord(plan, decision.checks, who, applyDeps);
        out.out(`Completed the record of the promotion to ${to.env} ${to.modelName}@${to.alias} (version ${done.version.version}).`);
        return ExitCode.ok;
      }
      if (options.force && decision.overridden.length === 0) out.out('(--force was not needed: every check passed)');
      const applied = await applyPromotion(plan, { all: decision.checks, overridden: decision.overridden }, who, applyDeps);
      out.out(
        `Promoted: ${from.env} ${plan.source.name} version ${plan.source.version} -> ${to.env} ${to.modelName} version ${applied.version.version} @${to.alias}` +
          `${applied.copied ? ' (copied)' : ''}; recorded ${Object.entries(applied.tags).map(([k, v]) => `${k}=${v}`).join(', ')}`,
      );
      return ExitCode.ok;
    },
    io,
  );
}

if (require.main === module) {
  // Ctrl-C during a copy: stop between files, mark the unfinished run FAILED, register nothing.
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('Interrupted: stopping after the current step…\n');
    controller.abort();
  });
  exitWith(promoteCommand(process.argv.slice(2), { ...defaultPromoteDeps, signal: controller.signal }));
}
