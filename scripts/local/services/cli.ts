// Command line of the local services: `npm run services -- <command>`; see usage below.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalServicesError } from './errors';
import { ensureInstalled, parseServiceNames, renderExportLine, startServices, type RunningServices, type ServiceName } from './index';
import { defaultBaseDir, kafkaLibsDir } from './paths';
import { isAlive, stopGroup } from './processes';
import { cleanStaleRuns, listRuns } from './run-registry';
import { ALL_SERVICES } from './types';

const USAGE = `Usage: npm run services -- <command> [options]
       (or: npx tsx scripts/local/services/cli.ts <command> [options])

Real local services for tests and local runs: Kafka broker (KRaft), MLflow server, AWS API emulator (moto).
Data and logs live under .local/run/<run id>/; installs are cached in .venv and .local/kafka/libs.

Commands:
  install [--only S,..]              install what the services need (Python venv, Kafka jars); cached
  start [--only S,..] [--keep] [--port S=N,..] [--aws-account ID]
                                     start, print endpoints and an 'export ...' line, run until Ctrl-C;
                                     --keep keeps the run's data and logs after stopping;
                                     --aws-account: the account the AWS emulator answers as (default 123456789012)
  exec [--only S,..] [--port S=N,..] [--aws-account ID] -- CMD [ARGS..]
                                     start, run CMD with the services' env vars, stop, exit with CMD's code
  status                             show installs and runs (owner, pids, endpoints)
  stop [--all]                       stop services left behind by runs whose owner died;
                                     --all also asks live owners (other 'start' runs) to stop
  help                               this text

Services (S): ${ALL_SERVICES.join(', ')}. Ports are chosen free unless given with --port, e.g. --port kafka=9092.`;

const log = (line: string) => process.stderr.write(`[services] ${line}\n`);

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

function parsePorts(spec: string | undefined): Partial<Record<ServiceName, number>> {
  if (spec === undefined) return {};
  const ports: Partial<Record<ServiceName, number>> = {};
  for (const part of spec.split(',').filter((p) => p !== '')) {
    const m = /^([a-z]+)=(\d+)$/.exec(part.trim());
    if (m === null) throw new LocalServicesError('INVALID_ARGUMENT', `--port expects SERVICE=PORT[,..], e.g. kafka=9092; got '${part}'`);
    const [name] = parseServiceNames([m[1] as string]);
    ports[name as ServiceName] = Number(m[2]);
  }
  return ports;
}

function parseOnly(value: string | undefined): ServiceName[] | undefined {
  return value === undefined ? undefined : parseServiceNames(value.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

function describe(services: RunningServices): string {
  const e = services.endpoints;
  const lines: string[] = [];
  if (e.kafka) lines.push(`  kafka   brokers ${e.kafka.brokers.join(',')}`);
  if (e.mlflow) lines.push(`  mlflow  ${e.mlflow.trackingUri}`);
  if (e.aws) lines.push(`  aws     ${e.aws.endpointUrl} (account ${e.aws.accountId}, region ${e.aws.region}, credentials testing/testing)`);
  return lines.join('\n');
}

async function cmdStart(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { only: { type: 'string' }, keep: { type: 'boolean' }, port: { type: 'string' }, 'aws-account': { type: 'string' } } });
  const only = parseOnly(values.only);
  await ensureInstalled(only, { log });
  const services = await startServices({ only, keep: values.keep ?? false, ports: parsePorts(values.port), awsAccountId: values['aws-account'], log });
  process.stdout.write(`Local services are running (data and logs: ${services.runDir}):\n${describe(services)}\n\n`);
  process.stdout.write(`${renderExportLine(services.env())}\n\nPress Ctrl-C to stop.\n`);
  stopWhenOrphaned();
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      void services.stop().then(
        () => {
          log(`stopped (${signal})${values.keep ? `; data and logs kept in ${services.runDir}` : ''}`);
          resolve(0);
        },
        (err: unknown) => {
          log(`stopping failed: ${String(err)}`);
          resolve(1);
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

async function cmdExec(args: string[]): Promise<number> {
  const sep = args.indexOf('--');
  if (sep < 0 || sep === args.length - 1) throw new LocalServicesError('INVALID_ARGUMENT', "exec needs a command after '--', e.g. exec --only mlflow -- pytest -q");
  const { values } = parseArgs({ args: args.slice(0, sep), options: { only: { type: 'string' }, port: { type: 'string' }, 'aws-account': { type: 'string' } } });
  const [cmd, ...cmdArgs] = args.slice(sep + 1) as [string, ...string[]];
  const only = parseOnly(values.only);
  await ensureInstalled(only, { log });
  const services = await startServices({ only, ports: parsePorts(values.port), awsAccountId: values['aws-account'], log });
  stopWhenOrphaned();
  let code: number;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(cmd, cmdArgs, { stdio: 'inherit', env: { ...process.env, ...services.env() } });
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
  return code;
}

async function cmdStatus(): Promise<number> {
  const libs = kafkaLibsDir(defaultBaseDir);
  const venv = path.join(path.dirname(defaultBaseDir), '.venv');
  process.stdout.write(`installs:\n  kafka jars  ${fs.existsSync(path.join(libs, '.install-stamp')) ? 'installed' : fs.existsSync(libs) ? 'present, not stamped (next install re-checks)' : 'missing'} (${libs})\n`);
  process.stdout.write(`  python venv ${fs.existsSync(path.join(venv, '.install-stamp')) ? 'installed' : fs.existsSync(venv) ? 'present, not stamped (next install re-checks)' : 'missing'} (${venv})\n`);
  const runs = listRuns(defaultBaseDir);
  process.stdout.write(runs.length === 0 ? 'runs: none\n' : 'runs:\n');
  for (const r of runs) {
    const owner = r.record ? `owner pid ${r.record.ownerPid} ${r.ownerAlive ? 'alive' : 'gone (stale: `stop` cleans it up)'}` : 'no run record';
    const pids = Object.entries(r.pids).map(([n, p]) => `${n}=${p}${isAlive(p) ? '' : '(dead)'}`).join(' ') || 'no processes';
    process.stdout.write(`  ${r.id}: ${owner}; ${pids}; ${r.dir}\n`);
    if (r.record?.env) process.stdout.write(`    ${renderExportLine(r.record.env)}\n`);
  }
  return 0;
}

async function cmdStop(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { all: { type: 'boolean' } } });
  if (values.all) {
    for (const r of listRuns(defaultBaseDir)) {
      if (r.ownerAlive && r.record && r.record.ownerPid !== process.pid) {
        log(`asking run ${r.id} (pid ${r.record.ownerPid}) to stop`);
        process.kill(r.record.ownerPid, 'SIGTERM');
      }
    }
    // Wait for owners to stop their services; whatever they leave is stale and cleaned below.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && listRuns(defaultBaseDir).some((r) => r.ownerAlive && r.record?.ownerPid !== process.pid)) {
      await new Promise((res) => setTimeout(res, 200));
    }
    for (const r of listRuns(defaultBaseDir)) {
      if (r.ownerAlive) for (const pid of Object.values(r.pids)) await stopGroup(pid, 5_000);
    }
  }
  const stopped = await cleanStaleRuns(defaultBaseDir, log);
  log(stopped === 0 ? 'nothing left over to stop' : `stopped ${stopped} leftover process group(s)`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'install': {
      const { values } = parseArgs({ args: rest, options: { only: { type: 'string' } } });
      const started = Date.now();
      await ensureInstalled(parseOnly(values.only), { log });
      log(`installs are up to date (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return 0;
    }
    case 'start':
      return cmdStart(rest);
    case 'exec':
      return cmdExec(rest);
    case 'status':
      return cmdStatus();
    case 'stop':
      return cmdStop(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command '${command}'\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof LocalServicesError) {
      process.stderr.write(`[services] error (${err.code}${err.retryable ? ', retrying may help' : ''}): ${err.message}\n`);
    } else {
      process.stderr.write(`[services] unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  },
);
