// Command line of the local services: `npm run services -- <command> [options]`. Each command declares its flags
// with the shared CLI helpers (scripts/cli), so every one has --help and rejects unknown flags with exit 2.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { CliSpec, OptionSpec, ParsedOptions, durationFlag, validateOptions } from '../../cli/args';
import { CliError, ExitCode, UsageError } from '../../cli/errors';
import { CliIo, processIo, runCli } from '../../cli/main';
import { loadEnvironment } from '../../../environments';
import { securedServicesFor } from '../secure-services';
import { LocalServicesError } from './errors';
import { ensureInstalled, parseServiceNames, redact, renderExportLine, startServices, writeEnvFile, type RunningServices, type ServiceName, type StartOptions } from './index';
import { defaultBaseDir } from './paths';
import { renderStatus } from './status';
import { stopRuns } from './stop-runs';
import { ALL_SERVICES } from './types';

const log = (line: string) => process.stderr.write(`[services] ${line}\n`);

const onlyOption: OptionSpec = { type: 'string', valueName: 'S,..', description: `Only these services (default all: ${ALL_SERVICES.join(', ')}).` };
const portOption: OptionSpec = { type: 'string', valueName: 'S=N,..', description: 'Fixed ports, e.g. kafka=9092 (default: free ports are chosen).' };
const accountOption: OptionSpec = { type: 'string', valueName: 'ID', description: 'The 12-digit account the AWS emulator answers as (default 123456789012).' };
const secureOption = {
  type: 'boolean' as const,
  description:
    "Secured, for the local environment (docs/security-transports.md): Kafka takes SASL_SSL with SCRAM-SHA-512 only (a local CA, cached in " +
    ".local/tls) with ACLs (user 'producer' may write local's three topics (predictions, dead letters, end-of-run records), created at start, with the scorer's transactional ids; 'consumer' may " +
    "read them); MLflow requires a user (basic-auth app); the emulator answers as local's account and region and holds the credentials as " +
    'KMS-encrypted secrets and the CA in S3. Credentials are written to <run dir>/env.sh (mode 0600), never printed.',
} satisfies OptionSpec;

const installSpec = {
  command: 'npm run services -- install',
  summary: 'Install what the services need: the Python virtualenv .venv (MLflow, moto) and the Kafka jars. Cached: redone only when requirements-dev.txt or the Kafka pom changes.',
  options: { only: onlyOption, quiet: { type: 'boolean', short: 'q', description: 'Print nothing when everything is already installed.' } },
  notes: ['Exit codes: 0 installed, 1 an install failed (the message names the log), 2 bad usage.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

const startSpec = {
  command: 'npm run services -- start',
  summary: "Start the services, print their endpoints and an 'export ...' line, and run until Ctrl-C (or SIGTERM), then stop them.",
  options: {
    only: onlyOption,
    port: portOption,
    'aws-account': accountOption,
    keep: { type: 'boolean', description: "Keep the run's data and logs (.local/run/<id>/) after stopping." },
    secure: secureOption,
  },
  examples: ['npm run services -- start', 'npm run services -- start --only kafka --port kafka=9092', 'npm run services -- start --secure'],
  notes: ['Exit codes: 0 stopped cleanly, 1 failed to start or to stop (the message names the log), 2 bad usage.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

const execSpec = {
  command: 'npm run services -- exec',
  arguments: '[options] -- CMD [ARGS..]',
  summary: "Start the services, run CMD with their variables (KAFKA_BROKERS, MLFLOW_TRACKING_URI, AWS_ENDPOINT_URL, …), stop them, exit with CMD's exit code.",
  options: { only: onlyOption, port: portOption, 'aws-account': accountOption, secure: secureOption },
  examples: ['npm run services -- exec --only mlflow -- .venv/bin/python -m pytest -q test/trainer', 'npm run services -- exec --secure -- npm run synth'],
  notes: ["Exit codes: CMD's own, 127 when CMD cannot be run, 1 the services failed, 2 bad usage."],
} satisfies CliSpec<Record<string, OptionSpec>>;

const statusSpec = {
  command: 'npm run services -- status',
  summary: 'Show the installs and every run: its owner process, the services it started (dead ones marked) and its endpoints.',
  options: {},
  notes: ['Exit codes: 0 always (it only reads), 2 bad usage.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

const stopSpec = {
  command: 'npm run services -- stop',
  summary:
    'Stop services left behind by runs whose owner is gone (a crashed or killed run) and remove those runs; a run started ' +
    'with --keep (or nightly --keep-services) keeps its data and logs and is marked stopped.',
  options: {
    all: { type: 'boolean', description: "Also stop runs whose owner is alive (other 'start', test or nightly runs): ask the owner first, then force." },
    timeout: { type: 'string', valueName: 'DURATION', description: 'With --all: how long owners get to stop their services before these are killed (default 30s).' },
  },
  notes: ['Exit codes: 0 nothing is left running, 1 something could not be stopped (each is named), 2 bad usage.'],
} satisfies CliSpec<Record<string, OptionSpec>>;

interface Command<O extends Record<string, OptionSpec>> {
  /** One line for the list of commands. */
  brief: string;
  spec: CliSpec<O>;
  run: (options: ParsedOptions<O>, io: CliIo, rest: readonly string[], deps: ServicesCliDeps) => Promise<number>;
}

function command<O extends Record<string, OptionSpec>>(brief: string, spec: CliSpec<O>, run: Command<O>['run']): Command<Record<string, OptionSpec>> {
  return { brief, spec, run } as unknown as Command<Record<string, OptionSpec>>;
}

/** What the commands act on; tests pass a temporary folder and stand-ins. */
export interface ServicesCliDeps {
  baseDir: string;
  stopRuns: typeof stopRuns;
}

const defaultDeps: ServicesCliDeps = { baseDir: defaultBaseDir, stopRuns };

const commands: Record<string, Command<Record<string, OptionSpec>>> = {
  install: command('install what the services need (Python venv, Kafka jars); cached', installSpec, async (o) => {
    const started = Date.now();
    const quiet = o.quiet === true;
    await ensureInstalled(parseOnly(o.only), { log });
    if (!quiet) log(`installs are up to date (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return ExitCode.ok;
  }),
  start: command('start, print endpoints and an \'export ...\' line, run until Ctrl-C', startSpec, (o, io) => cmdStart(o, io)),
  exec: command("start, run CMD with the services' variables, stop, exit with CMD's code", execSpec, (o, _io, rest) => cmdExec(o, rest)),
  status: command('show installs and runs (owner, pids, endpoints)', statusSpec, async (_o, io, _rest, deps) => {
    io.out(renderStatus(deps.baseDir));
    return ExitCode.ok;
  }),
  stop: command('stop what crashed or killed runs left behind; --all also stops live runs', stopSpec, async (o, io, _rest, deps) => {
    const options = validateOptions(z.object({ all: z.boolean().default(false), timeout: durationFlag.default(30_000) }), o);
    if (o.timeout !== undefined && !options.all) throw new UsageError('--timeout applies to --all only');
    const result = await deps.stopRuns(deps.baseDir, { all: options.all, ownerGraceMs: options.timeout, log: (line) => io.err(`[services] ${line}`) });
    for (const dir of result.kept) io.out(`kept run stopped; its data and logs stay in ${dir}`);
    if (result.failures.length > 0) {
      throw new CliError(`could not stop everything:\n${result.failures.map((f) => `  ${f}`).join('\n')}\nSee \`npm run services -- status\`.`);
    }
    io.out(result.stopped === 0 ? 'nothing was left running' : `stopped ${result.stopped} leftover process group(s)`);
    return ExitCode.ok;
  }),
};

const USAGE = `Usage: npm run services -- <command> [options]
       (or: npx tsx scripts/local/services/cli.ts <command> [options])

Real local services for tests and local runs: Kafka broker (KRaft), MLflow server, AWS API emulator (moto).
Data and logs live under .local/run/<run id>/; installs are cached in .venv and .local/kafka/libs.

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(9)}${c.brief}`)
  .join('\n')}

Run 'npm run services -- <command> --help' for a command's options.
Exit codes: 0 success, 1 failure, 2 bad usage (exec: the command's own).`;

/** The whole CLI; resolves to the exit code (never throws), so tests can call it directly. */
export async function servicesCli(argv: readonly string[], io: CliIo = processIo, deps: ServicesCliDeps = defaultDeps): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(USAGE);
    return ExitCode.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return ExitCode.ok;
  }
  const cmd = commands[name];
  if (cmd === undefined) {
    io.err(`unknown command '${name}'; choose from ${Object.keys(commands).join(', ')}\nRun 'npm run services -- --help' for the commands.`);
    return ExitCode.usage;
  }
  // exec passes everything after `--` to the command it runs; only what precedes it are our flags.
  const separator = name === 'exec' ? rest.indexOf('--') : -1;
  const flags = separator >= 0 ? rest.slice(0, separator) : rest;
  const passed = separator >= 0 ? rest.slice(separator + 1) : [];
  return runCli(
    cmd.spec,
    flags,
    async (options, out) => {
      try {
        return await cmd.run(options, out, passed, deps);
      } catch (error) {
        throw asCliError(error);
      }
    },
    io,
  );
}

/** LocalServicesError carries a code; a bad argument is a usage error (exit 2), everything else a failure (1). */
function asCliError(error: unknown): unknown {
  if (!(error instanceof LocalServicesError)) return error;
  return new CliError(error.message, {
    exitCode: error.code === 'INVALID_ARGUMENT' ? ExitCode.usage : ExitCode.failed,
    retryable: error.retryable,
    ...(error.cause === undefined ? {} : { cause: error.cause }),
  });
}

function parseOnly(value: string | undefined): ServiceName[] | undefined {
  return value === undefined ? undefined : parseServiceNames(value.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

function parsePorts(spec: string | undefined): Partial<Record<ServiceName, number>> {
  if (spec === undefined) return {};
  const ports: Partial<Record<ServiceName, number>> = {};
  for (const part of spec.split(',').filter((p) => p !== '')) {
    const m = /^([a-z]+)=(\d+)$/.exec(part.trim());
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65_535) throw new UsageError(`--port expects SERVICE=PORT[,..] with a port from 1 to 65535, e.g. kafka=9092; got '${part}'`);
    const [name] = parseServiceNames([m[1] as string]);
    ports[name as ServiceName] = Number(m[2]);
  }
  return ports;
}

/** `--secure`: the secured mode for the `local` environment (its topics, account and region); else `--aws-account`. */
function accountAndSecurity(o: { secure?: boolean; 'aws-account'?: string }): Pick<StartOptions, 'secure' | 'awsAccountId' | 'awsRegion'> {
  if (!o.secure) return { awsAccountId: o['aws-account'] };
  const secured = securedServicesFor(loadEnvironment('local'));
  if (o['aws-account'] !== undefined && o['aws-account'] !== secured.awsAccountId) {
    throw new UsageError(`--secure provisions for the local environment's account ${secured.awsAccountId}; leave out --aws-account ${o['aws-account']}`);
  }
  return secured;
}

/** Everything a command run against secured services needs: the apps' variables and the `local` environment's. */
const variablesOf = (services: RunningServices) => (services.security ? { ...services.env(), ...services.localEnvironment() } : services.env());

function describe(services: RunningServices): string {
  const e = services.endpoints;
  const lines: string[] = [];
  const ks = e.kafka?.security;
  if (e.kafka) lines.push(`  kafka   brokers ${e.kafka.brokers.join(',')}${ks ? ` (SASL_SSL, SCRAM-SHA-512, ACLs; CA ${ks.caFile})` : ''}`);
  if (e.mlflow) lines.push(`  mlflow  ${e.mlflow.trackingUri}${e.mlflow.security ? ' (basic auth: the app user in MLFLOW_TRACKING_USERNAME/PASSWORD)' : ''}`);
  if (e.aws) lines.push(`  aws     ${e.aws.endpointUrl} (account ${e.aws.accountId}, region ${e.aws.region}, credentials testing/testing)`);
  return lines.join('\n');
}

/**
 * `npx tsx cli.ts` runs us in a child of the tsx wrapper; if the wrapper is killed outright we are re-parented and
 * nobody would ever send us Ctrl-C. Treat that like a hang-up so the services stop.
 */
function stopWhenOrphaned(): void {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGHUP');
  }, 1_000).unref();
}

async function cmdStart(o: ParsedOptions<typeof startSpec.options>, io: CliIo): Promise<number> {
  const only = parseOnly(o.only);
  const ports = parsePorts(o.port);
  await ensureInstalled(only, { log });
  const services = await startServices({ only, keep: o.keep ?? false, ports, log, ...accountAndSecurity(o) });
  io.out(`Local services are running (data and logs: ${services.runDir}):\n${describe(services)}\n`);
  if (services.security) {
    // Passwords go to a file only the owner can read, never to the terminal or a log.
    io.out(`${renderExportLine(redact(variablesOf(services)))}\n\nThe real values (credentials included): source '${writeEnvFile(services)}'\n\nPress Ctrl-C to stop.`);
  } else {
    io.out(`${renderExportLine(services.env())}\n\nPress Ctrl-C to stop.`);
  }
  stopWhenOrphaned();
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      void services.stop().then(
        () => {
          log(`stopped (${signal})${o.keep ? `; data and logs kept in ${services.runDir}` : ''}`);
          resolve(ExitCode.ok);
        },
        (err: unknown) => {
          log(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
          resolve(ExitCode.failed);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    // Keeps the process alive until a signal arrives (the children are unref'd).
    setInterval(() => undefined, 1 << 30);
  });
}

async function cmdExec(o: ParsedOptions<typeof execSpec.options>, commandLine: readonly string[]): Promise<number> {
  const [cmd, ...cmdArgs] = commandLine;
  if (cmd === undefined) throw new UsageError("exec needs a command after '--', e.g. exec --only mlflow -- pytest -q");
  const only = parseOnly(o.only);
  const ports = parsePorts(o.port);
  await ensureInstalled(only, { log });
  const services = await startServices({ only, ports, log, ...accountAndSecurity(o) });
  stopWhenOrphaned();
  try {
    return await new Promise<number>((resolve) => {
      const child = spawn(cmd, cmdArgs, { stdio: 'inherit', env: { ...process.env, ...variablesOf(services) } });
      // A terminal's Ctrl-C reaches the child directly; a SIGTERM/SIGHUP sent to us alone is passed on.
      const forward = (signal: NodeJS.Signals) => child.kill(signal);
      const ignoreInt = () => undefined;
      process.on('SIGTERM', forward).on('SIGHUP', forward).on('SIGINT', ignoreInt);
      child.once('error', (err) => {
        log(`could not run '${cmd}': ${err.message}`);
        resolve(127);
      });
      child.once('exit', (c, signal) => {
        process.off('SIGTERM', forward).off('SIGHUP', forward).off('SIGINT', ignoreInt);
        resolve(c ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2));
      });
    });
  } finally {
    await services.stop();
  }
}

if (require.main === module) {
  // process.exit, not exitCode: a stopped `start` leaves timers behind on purpose.
  void servicesCli(process.argv.slice(2)).then((code) => process.exit(code));
}
