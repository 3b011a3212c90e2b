// Public API of the local services (Kafka broker, MLflow server, AWS API emulator): start any subset on free or
// configured loopback ports, wait until each answers real requests, hand out endpoints and env vars, stop cleanly.
import fs from 'node:fs';
import path from 'node:path';
import { AWS_REGION, awsService, DEFAULT_AWS_ACCOUNT_ID } from './aws';
import { provisionSecurity } from './aws-provisioning';
import { register, unregister } from './cleanup';
import { endpointsToEnv, endpointsToLocalEnvironment, redact, renderExportLine } from './env';
import { LocalServicesError } from './errors';
import { assertInstalled } from './install';
import { kafkaService } from './kafka';
import { mlflowService } from './mlflow';
import { defaultBaseDir, defaultVenvDir } from './paths';
import { choosePort, findFreePort, isPortFree } from './ports';
import { killGroupNow, signalGroup, startWatchdog } from './processes';
import { cleanStaleRuns, createRunFolder, writeRunRecord } from './run-registry';
import { createHandle, startHandle, stopHandle, type ServiceHandle } from './runner';
import { newSecurity, type SecureOptions, type SecuritySettings } from './security';
import type { ServiceSpec } from './service-spec';
import { ensureLocalTls } from './tls';
import { ALL_SERVICES, type Endpoints, type ServiceName } from './types';

export type { Endpoints, ServiceName } from './types';
export { ALL_SERVICES } from './types';
export { LocalServicesError } from './errors';
export { ensureInstalled, kafkaClasspath, pythonBin } from './install';
export { runKafkaTool, kafkaToolCommand, type KafkaToolResult, type KafkaToolOptions } from './kafka-tools';
export { endpointsToEnv, endpointsToLocalEnvironment, renderExportLine, redact } from './env';
export type { SecureOptions, SecureKafkaOptions, SecuritySettings, Credentials } from './security';
export { kafkaClientAuth } from './security';

export interface StartOptions {
  only?: ServiceName[];
  /** Installs, data and logs; default <repo>/.local. */
  baseDir?: string;
  /** Python virtualenv with mlflow and moto; default <repo>/.venv. */
  venvDir?: string;
  ports?: Partial<Record<ServiceName, number>>;
  log?: (line: string) => void;
  /** Keep the run folder (data and logs) after stop; by default it is removed. */
  keep?: boolean;
  /** The account the AWS emulator answers as (default moto's 123456789012); start one emulator per account. */
  awsAccountId?: string;
  /** The region clients are pointed at and the secured mode provisions in (default us-east-1). */
  awsRegion?: string;
  /**
   * The secured mode (docs/security-transports.md): Kafka with SASL_SSL + SCRAM-SHA-512 + ACLs only, MLflow with its
   * basic-auth app, and — with the AWS emulator — a KMS key, the credentials as secrets and the CA in S3.
   */
  secure?: boolean | SecureOptions;
}

export interface RunningServices {
  endpoints: Endpoints;
  /** Folder with this run's data and logs (<baseDir>/run/<id>). */
  runDir: string;
  /** The apps' variables (KAFKA_*, MLFLOW_*, AWS_*); secured: also the CA file, secret ARNs and MLflow's app user. */
  env(): Record<string, string>;
  /** The MLP_LOCAL_* variables that point environments/local.ts at these services (secured: secrets, key, CA). */
  localEnvironment(): Record<string, string>;
  /** The secured mode's certificates, users and passwords (for tests and set-up); undefined when not secured. */
  security: SecuritySettings | undefined;
  stop(): Promise<void>;
  stopService(name: ServiceName): Promise<void>;
  /** (Re)starts a stopped service on the same port(s) and with the same data. */
  startService(name: ServiceName): Promise<void>;
}

const SPECS: Record<ServiceName, ServiceSpec> = { kafka: kafkaService, mlflow: mlflowService, aws: awsService };

export function parseServiceNames(list: readonly string[]): ServiceName[] {
  const unknown = list.filter((n) => !(ALL_SERVICES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new LocalServicesError('INVALID_ARGUMENT', `unknown service(s) ${unknown.map((n) => `'${n}'`).join(', ')}; choose from ${ALL_SERVICES.join(', ')}`);
  }
  return ALL_SERVICES.filter((n) => list.includes(n));
}

function isBindFailure(err: unknown): boolean {
  return err instanceof LocalServicesError && err.code === 'START_FAILED' && /Address already in use|EADDRINUSE|BindException/i.test(err.message);
}

const defaultLog = (line: string) => process.stderr.write(`[services] ${line}\n`);

export async function startServices(opts: StartOptions = {}): Promise<RunningServices> {
  const names = parseServiceNames(opts.only ?? ALL_SERVICES);
  if (names.length === 0) throw new LocalServicesError('INVALID_ARGUMENT', 'no service to start: `only` is empty');
  const baseDir = opts.baseDir ?? defaultBaseDir;
  const venvDir = opts.venvDir ?? defaultVenvDir;
  const log = opts.log ?? defaultLog;
  const keep = opts.keep ?? false;
  const awsAccountId = opts.awsAccountId ?? DEFAULT_AWS_ACCOUNT_ID;
  if (!/^\d{12}$/.test(awsAccountId)) throw new LocalServicesError('INVALID_ARGUMENT', `awsAccountId must be 12 digits, got '${awsAccountId}'`);
  const awsRegion = opts.awsRegion ?? AWS_REGION;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(awsRegion)) throw new LocalServicesError('INVALID_ARGUMENT', `awsRegion must be a region code like eu-central-1, got '${awsRegion}'`);
  const security =
    opts.secure === undefined || opts.secure === false
      ? undefined
      : newSecurity(await ensureLocalTls(baseDir, { log }), opts.secure === true ? {} : opts.secure);

  for (const n of names) assertInstalled(n, { baseDir, venvDir });
  const cleanup = await cleanStaleRuns(baseDir, log);
  for (const failure of cleanup.failures) log(`could not clean up an earlier run: ${failure} (see \`npm run services -- status\`)`);

  // All ports first, so a busy configured port fails before anything is started.
  const taken = new Set<number>();
  const ports = {} as Record<ServiceName, number[]>;
  for (const n of names) {
    const main = await choosePort(n, opts.ports?.[n], taken);
    const extra: number[] = [];
    for (let i = 0; i < SPECS[n].extraPorts; i++) {
      const p = await findFreePort(taken);
      taken.add(p);
      extra.push(p);
    }
    ports[n] = [main, ...extra];
  }

  const run = createRunFolder(baseDir, keep);
  const watchdog = startWatchdog(process.pid, run.pidDir, `${run.dir}/watchdog.log`);
  const handles = new Map<ServiceName, ServiceHandle>(names.map((n) => [n, createHandle(SPECS[n], run, ports[n], { baseDir, venvDir, awsAccountId, awsRegion, security })]));
  let stopped = false;
  let stopping: Promise<void> | undefined;
  // After a failed start the folder stays, so the logs named in the error can be read; the next start removes it.
  let keepFolder = keep;

  // Memoized: the signal handler and the caller may both ask to stop, and both must wait for the same stop.
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      stopped = true;
      const results = await Promise.allSettled([...handles.values()].map((h) => stopHandle(h, run)));
      signalGroup(watchdog.pid, 'SIGKILL');
      unregister(cleanable);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (!keepFolder) fs.rmSync(run.dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  const cleanable = {
    stop: stopAll,
    killNow: () => {
      for (const h of handles.values()) if (h.process) killGroupNow(h.process.pid);
      killGroupNow(watchdog.pid);
      if (!keepFolder) {
        try {
          fs.rmSync(run.dir, { recursive: true, force: true });
        } catch {
          // Exiting: a folder that cannot be removed now is stale and removed by the next start or `services stop`.
        }
      }
    },
  };
  register(cleanable);

  // A port chosen free can be taken by someone else before the service binds it (parallel runs on one machine):
  // then choose fresh ones and try again. A configured port is never swapped.
  const startWithFreshPorts = async (n: ServiceName): Promise<void> => {
    const h = handles.get(n) as ServiceHandle;
    for (let attempt = 1; ; attempt++) {
      try {
        return await startHandle(h, run, log);
      } catch (err) {
        if (!(isBindFailure(err) && opts.ports?.[n] === undefined && attempt < 3)) throw err;
        const fresh: number[] = [];
        for (let i = 0; i < h.ctx.ports.length; i++) {
          const p = await findFreePort(taken);
          taken.add(p);
          fresh.push(p);
        }
        log(`${n}: port ${h.ctx.ports.join('/')} was taken meanwhile; retrying on ${fresh.join('/')}`);
        h.ctx.ports = fresh;
      }
    }
  };

  const started = Date.now();
  const results = await Promise.allSettled(names.map(startWithFreshPorts));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    keepFolder = true;
    await stopAll().catch((err: unknown) => log(`stopping after the failed start also failed: ${String(err)}`));
    throw failures[0];
  }

  const endpoints: Endpoints = Object.assign({}, ...names.map((n) => SPECS[n].endpoints(handles.get(n)!.ctx))) as Endpoints;
  if (security) {
    try {
      await secureEndpoints(endpoints, security, log);
    } catch (err) {
      keepFolder = true;
      await stopAll().catch((stopErr: unknown) => log(`stopping after the failed start also failed: ${String(stopErr)}`));
      throw new LocalServicesError('START_FAILED', `provisioning the secured services' secrets in the AWS emulator failed: ${String(err)}`, { cause: err });
    }
  }
  const env = () => endpointsToEnv(endpoints, security?.mlflow.app);
  const localEnvironment = () => endpointsToLocalEnvironment(endpoints);
  // The record is read by `services status` and other processes: no credential in it.
  writeRunRecord(run.dir, { ownerPid: process.pid, startedAt: new Date(started).toISOString(), keep, endpoints, env: redact({ ...env(), ...localEnvironment() }) });
  log(`${names.join(', ')} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const handleOf = (name: ServiceName): ServiceHandle => {
    const h = handles.get(name);
    if (h === undefined) throw new LocalServicesError('INVALID_ARGUMENT', `${name} was not started in this run (started: ${names.join(', ')})`);
    if (stopped) throw new LocalServicesError('INVALID_ARGUMENT', `the services of run ${run.id} were stopped`);
    return h;
  };

  return {
    endpoints,
    runDir: run.dir,
    env,
    localEnvironment,
    security,
    stop: stopAll,
    stopService: async (name) => {
      await stopHandle(handleOf(name), run);
      log(`${name} stopped`);
    },
    startService: async (name) => {
      const h = handleOf(name);
      if (h.process !== undefined && !h.process.hasExited()) return;
      for (const p of h.ctx.ports) {
        if (!(await isPortFree(p))) {
          throw new LocalServicesError('PORT_BUSY', `cannot restart ${name}: its port ${p} was taken by another process while it was stopped`, { retryable: true });
        }
      }
      await startHandle(h, run, log);
    },
  };
}

/**
 * Writes every variable of a run (the apps' and the MLP_LOCAL_* ones, credentials included) as an export line to
 * <run dir>/env.sh, readable by the owner only, and returns its path: how a secured run hands out its credentials
 * without printing them.
 */
export function writeEnvFile(services: Pick<RunningServices, 'runDir' | 'env' | 'localEnvironment'>): string {
  const file = path.join(services.runDir, 'env.sh');
  fs.writeFileSync(file, `${renderExportLine({ ...services.env(), ...services.localEnvironment() })}\n`, { mode: 0o600 });
  return file;
}

/** Adds what the secured mode offers to the endpoints: the CA file, and with the emulator the provisioned ARNs. */
async function secureEndpoints(endpoints: Endpoints, security: SecuritySettings, log: (line: string) => void): Promise<void> {
  const provisioned = endpoints.aws ? await provisionSecurity(endpoints.aws, security, { kafka: !!endpoints.kafka, mlflow: !!endpoints.mlflow }) : undefined;
  if (endpoints.kafka) {
    endpoints.kafka.security = {
      protocol: 'SASL_SSL',
      mechanism: 'scram-sha-512',
      caFile: security.tls.caFile,
      ...(provisioned?.kafka
        ? { caUri: provisioned.kafka.caUri, producerSecretArn: provisioned.kafka.producerSecretArn, consumerSecretArn: provisioned.kafka.consumerSecretArn, secretKmsKeyArn: provisioned.secretKmsKeyArn }
        : {}),
    };
  }
  if (endpoints.mlflow) {
    endpoints.mlflow.security = {
      auth: 'basic',
      ...(provisioned?.mlflow ? { credentialsSecretArn: provisioned.mlflow.credentialsSecretArn, secretKmsKeyArn: provisioned.secretKmsKeyArn } : {}),
    };
  }
  if (!endpoints.aws) log('secured without the AWS emulator: no secrets provisioned, the credentials are only in the returned `security`');
}
