// local:pipelines — run SageMaker pipeline definitions on this machine with the local executor, and list, describe,
// follow and stop their executions: `npm run local:pipelines -- <command> [ARN] [options]`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CliSpec, OptionSpec, parseCli, positiveIntFlag, usageText, validateOptions } from '../../cli/args';
import { CliError, ExitCode, UsageError, describeError } from '../../cli/errors';
import { CliIo, exitWith, processIo } from '../../cli/main';
import { parseParameterOverrides } from '../../pipelines/parameters';
import { loadEnvironment } from '../../../environments';
import { DEFAULT_RUNTIMES_FILE, openExecutionStore, startExecution, DEFAULT_STORE_DIR, type ExecutionDescription, type StepRecord } from './index';
import { synthesizedPipelines } from './synthesized';

const store = { type: 'string', valueName: 'DIR', description: `Folder of the execution records (default ${path.relative(process.cwd(), DEFAULT_STORE_DIR) || DEFAULT_STORE_DIR}).` } as const;
const json = { type: 'boolean', description: 'Print the records as JSON (DescribePipelineExecution / ListPipelineExecutionSteps shapes).' } as const;

const runSpec = {
  command: 'npm run local:pipelines -- run',
  summary: 'Run a SageMaker pipeline definition here, step by step, as SageMaker Pipelines would; prints the jobs\' output live.',
  options: {
    definition: { type: 'string', valueName: 'FILE', description: 'The PipelineDefinition JSON (e.g. from DescribePipeline).' },
    'from-synth': { type: 'string', valueName: 'ENV:PIPELINE', description: 'The definition the ENV stack synthesizes (PIPELINE: training, inference or the full name).' },
    'pipeline-name': { type: 'string', valueName: 'NAME', description: 'Pipeline name for --definition (default: the file name without .json).' },
    'pipeline-arn': { type: 'string', valueName: 'ARN', description: 'Pipeline ARN for --definition (default: arn:aws:sagemaker:$AWS_REGION:000000000000:pipeline/<name>).' },
    param: { type: 'string', multiple: true, valueName: 'NAME=VALUE', description: 'A PipelineParameters value (StartPipelineExecution).' },
    'display-name': { type: 'string', valueName: 'TEXT', description: 'PipelineExecutionDisplayName.' },
    'max-parallel': { type: 'string', valueName: 'N', description: 'ParallelismConfiguration.MaxParallelExecutionSteps (default: the stack\'s, else 50).' },
    engine: { type: 'string', valueName: 'namespace|docker|podman', description: 'How jobs run (default namespace: local runtimes in a private mount namespace).' },
    runtimes: { type: 'string', valueName: 'FILE', description: `Image → local runtime mapping (default ${path.relative(process.cwd(), DEFAULT_RUNTIMES_FILE)}).` },
    store,
    quiet: { type: 'boolean', short: 'q', description: 'Only progress lines, not the jobs\' output (it is still in each job\'s log file).' },
  },
  examples: [
    'npm run local:pipelines -- run --from-synth local:training --param QualityThreshold=0.9',
    'npm run local:pipelines -- run --definition training.json --pipeline-name mlp-local-training',
  ],
  notes: [
    'Jobs get the AWS emulator as their role: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY',
    '(as `npm run services -- start` exports them); the executor reads and writes S3 there too.',
    'Ctrl-C (or `stop ARN` from another shell) stops the running jobs and marks the execution Stopped.',
    'Exit codes: 0 Succeeded, 1 Failed, 2 bad usage or a definition/parameter the executor refuses, 3 Stopped.',
  ],
} satisfies CliSpec<Record<string, OptionSpec>>;

const listSpec = {
  command: 'npm run local:pipelines -- list',
  summary: 'List local executions, newest first.',
  options: { 'pipeline-arn': { type: 'string', valueName: 'ARN', description: 'Only executions of this pipeline.' }, store, json },
} satisfies CliSpec<Record<string, OptionSpec>>;

const arnSpec = (verb: string, summary: string, extra: Record<string, OptionSpec> = {}) =>
  ({ command: `npm run local:pipelines -- ${verb} ARN`, summary, options: { store, ...extra } }) satisfies CliSpec<Record<string, OptionSpec>>;
const describeSpec = arnSpec('describe', 'Show an execution (DescribePipelineExecution shape, with the local details).');
const stepsSpec = arnSpec('steps', 'Show an execution\'s steps: status, attempts, jobs, failure reasons, log files.', { json });
const stopSpec = arnSpec('stop', 'Stop an execution that another process is running (StopPipelineExecution).');

const COMMANDS = { run: runSpec, list: listSpec, describe: describeSpec, steps: stepsSpec, stop: stopSpec } as const;

const OVERVIEW = `Usage: npm run local:pipelines -- <command> [ARN] [options]

Runs SageMaker pipeline definitions on this machine the way SageMaker Pipelines does (docs/local-pipelines.md).

Commands:
  run        run a definition (--definition FILE or --from-synth ENV:PIPELINE), printing the jobs' output
  list       executions, newest first
  describe   one execution (ARN)
  steps      one execution's steps (ARN)
  stop       stop an execution another process is running (ARN)

Run a command with --help for its options. Exit codes: 0 ok, 1 failed, 2 bad usage, 3 stopped.`;

const runSchema = z
  .object({
    definition: z.string().optional(),
    'from-synth': z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9-]+$/, 'expected ENV:PIPELINE, e.g. local:training').optional(),
    'pipeline-name': z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/, 'expected a SageMaker pipeline name (letters, digits, hyphens)').optional(),
    'pipeline-arn': z.string().regex(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:\d{12}:pipeline\/.+$/, 'expected arn:aws:sagemaker:<region>:<account>:pipeline/<name>').optional(),
    param: z.array(z.string()).default([]),
    'display-name': z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$/, 'expected letters, digits and single hyphens, at most 82 characters').optional(),
    'max-parallel': positiveIntFlag.optional(),
    engine: z.enum(['namespace', 'docker', 'podman'], { error: 'expected namespace, docker or podman' }).default('namespace'),
    runtimes: z.string().optional(),
    store: z.string().optional(),
    quiet: z.boolean().default(false),
  })
  .refine((o) => (o.definition === undefined) !== (o['from-synth'] === undefined), { message: 'give exactly one of --definition FILE and --from-synth ENV:PIPELINE', path: ['definition'] });

const storeSchema = z.object({ store: z.string().optional(), json: z.boolean().default(false), 'pipeline-arn': z.string().optional() });

/** The jobs' stand-in role and the executor's own S3 access: the standard AWS variables of the emulator. */
function awsFromEnvironment(env: NodeJS.ProcessEnv) {
  const missing = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new UsageError(`${missing.join(', ')} not set: the jobs' role credentials come from the environment (e.g. eval the export line of \`npm run services -- start\`)`);
  }
  return {
    region: env.AWS_REGION!,
    ...(env.AWS_ENDPOINT_URL ? { endpointUrl: env.AWS_ENDPOINT_URL } : {}),
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) },
  };
}

interface PipelineSource {
  name: string;
  arn: string;
  definition: string;
  maxParallelSteps?: number;
  notes: string[];
}

function sourceFromOptions(options: z.output<typeof runSchema>, env: NodeJS.ProcessEnv): PipelineSource {
  if (options.definition) {
    let text: string;
    try {
      text = readFileSync(options.definition, 'utf8');
    } catch (error) {
      throw new UsageError(`--definition ${options.definition}: cannot read it (${(error as Error).message})`);
    }
    const name = options['pipeline-name'] ?? path.basename(options.definition).replace(/\.json$/, '');
    const region = env.AWS_REGION ?? 'us-east-1';
    return { name, arn: options['pipeline-arn'] ?? `arn:aws:sagemaker:${region}:000000000000:pipeline/${name.toLowerCase()}`, definition: text, notes: [] };
  }
  const [envName, pipeline] = options['from-synth']!.split(':') as [string, string];
  let config;
  try {
    config = loadEnvironment(envName);
  } catch (error) {
    throw new UsageError(`--from-synth ${options['from-synth']}: ${(error as Error).message}`);
  }
  const pipelines = synthesizedPipelines(config);
  const found = pipelines.find((p) => p.name === pipeline || p.name === `${config.namePrefix}-${pipeline}`);
  if (!found) throw new UsageError(`--from-synth: the ${envName} stack has no pipeline "${pipeline}"; it has ${pipelines.map((p) => p.name).join(', ')}`);
  return {
    ...found,
    notes: [`definition synthesized from environments/${envName}.ts; the KMS key ARN in it is a placeholder (only terraform apply knows the key's id)`],
  };
}

async function runCommand(raw: Record<string, unknown>, io: CliIo, env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const options = validateOptions(runSchema, raw);
  const parameters = Object.fromEntries(parseParameterOverrides(options.param).map((p) => [p.Name, p.Value]));
  const aws = awsFromEnvironment(env);
  const source = sourceFromOptions(options, env);
  for (const note of source.notes) io.out(`note: ${note}`);
  const maxParallel = options['max-parallel'] ?? source.maxParallelSteps;
  let started;
  try {
    started = await startExecution({
      definition: source.definition,
      pipelineName: source.name,
      pipelineArn: source.arn,
      parameters,
      displayName: options['display-name'],
      ...(maxParallel ? { parallelism: { maxParallelExecutionSteps: maxParallel } } : {}),
      aws,
      runtimesFile: options.runtimes,
      storeDir: options.store,
      engine: options.engine,
      log: (line) => (!options.quiet || line.startsWith('[pipeline]') || line.startsWith('[prepare') ? io.out(line) : undefined),
    });
  } catch (error) {
    // What StartPipelineExecution would refuse is the caller's to fix, like bad flags.
    const name = (error as Error).name;
    if (name === 'ValidationException' || name === 'UnsupportedDefinitionError') throw new UsageError((error as Error).message, { cause: error });
    throw error;
  }
  io.out(`Execution ARN: ${started.executionArn}`);
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts === 1) {
      io.err('stopping the execution (Ctrl-C again to quit at once; jobs are killed with this process)…');
      void started.stop();
    } else {
      process.exit(ExitCode.stopped);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const execution = await started.done;
    const steps = await openExecutionStore(options.store).listSteps(started.executionArn);
    io.out('');
    for (const line of stepTable(steps)) io.out(line);
    io.out(`${execution.PipelineExecutionStatus}${execution.FailureReason ? `: ${execution.FailureReason}` : ''}`);
    io.out(`Records: ${execution.Local.Folder}`);
    return execution.PipelineExecutionStatus === 'Succeeded' ? ExitCode.ok : execution.PipelineExecutionStatus === 'Stopped' ? ExitCode.stopped : ExitCode.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const duration = (start: string, end?: string) => (end ? `${((Date.parse(end) - Date.parse(start)) / 1000).toFixed(1)} s` : 'running');

export function stepTable(steps: readonly StepRecord[]): string[] {
  const rows = [...steps]
    .sort((a, b) => (a.StartTime < b.StartTime ? -1 : 1))
    .map((step) => {
      const job = step.Metadata.TrainingJob?.Arn ?? step.Metadata.ProcessingJob?.Arn;
      const detail = step.Metadata.Condition ? `outcome ${step.Metadata.Condition.Outcome}` : job ? job.split('/').pop()! : '';
      return [step.StepName, step.StepStatus, `attempts ${step.AttemptCount}`, duration(step.StartTime, step.EndTime), detail, step.FailureReason ?? ''];
    });
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((row) => row[i]!.length), 0));
  return rows.map((row) => row.map((cell, i) => (i < 5 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd());
}

function executionLine(execution: ExecutionDescription): string {
  return [execution.CreationTime, execution.PipelineExecutionStatus.padEnd(9), execution.PipelineExecutionDisplayName, execution.PipelineExecutionArn].join('  ');
}

export async function localPipelinesCli(argv: readonly string[], io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(OVERVIEW);
      return command === undefined ? ExitCode.usage : ExitCode.ok;
    }
    const spec = COMMANDS[command as keyof typeof COMMANDS];
    if (!spec) throw new UsageError(`unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(', ')} (see --help)`);
    const takesArn = spec === describeSpec || spec === stepsSpec || spec === stopSpec;
    const arn = takesArn && rest[0] !== undefined && !rest[0].startsWith('-') ? rest.shift() : undefined;
    const parsed = parseCli(spec as CliSpec<Record<string, OptionSpec>>, rest);
    if (parsed.help) {
      io.out(usageText(spec as CliSpec<Record<string, OptionSpec>>));
      return ExitCode.ok;
    }
    if (takesArn && !arn) throw new UsageError(`${command} needs the execution ARN: npm run local:pipelines -- ${command} ARN`);
    if (command === 'run') return await runCommand(parsed.options, io, env);
    const options = validateOptions(storeSchema, parsed.options);
    const records = openExecutionStore(options.store);
    switch (command) {
      case 'list': {
        const executions = await records.list(options['pipeline-arn']);
        if (options.json) io.out(JSON.stringify(executions, null, 2));
        else if (executions.length === 0) io.out(`no executions in ${records.dir}`);
        else for (const execution of executions) io.out(executionLine(execution));
        return ExitCode.ok;
      }
      case 'describe':
        io.out(JSON.stringify(await records.describe(arn!), null, 2));
        return ExitCode.ok;
      case 'steps': {
        const steps = await records.listSteps(arn!);
        if (options.json) io.out(JSON.stringify(steps, null, 2));
        else for (const line of stepTable(steps)) io.out(line);
        return ExitCode.ok;
      }
      case 'stop': {
        const execution = await records.requestStop(arn!);
        io.out(`${execution.PipelineExecutionStatus === 'Executing' ? 'stop requested; the executor running it stops its jobs' : execution.PipelineExecutionStatus}: ${arn}`);
        return ExitCode.ok;
      }
    }
    return ExitCode.usage;
  } catch (error) {
    io.err(describeError(error));
    if ((error as { name?: string }).name === 'ResourceNotFound') return ExitCode.failed;
    return error instanceof CliError ? error.exitCode : ExitCode.failed;
  }
}

if (require.main === module) exitWith(localPipelinesCli(process.argv.slice(2)));
