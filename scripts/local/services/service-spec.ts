// What the runner needs to know about one service; kafka.ts, mlflow.ts and aws.ts each export one.
import type { SecuritySettings } from './security';
import type { Endpoints, ServiceName } from './types';

export interface ServiceContext {
  /** Data and config folder of this service inside the run folder; also the process's working directory. */
  dir: string;
  /** The service's main port, then any extra ones it asked for (Kafka's controller). */
  ports: number[];
  baseDir: string;
  venvDir: string;
  /** The AWS account the emulator answers as (moto's MOTO_ACCOUNT_ID); one emulator per account. */
  awsAccountId: string;
  /** The region the emulator's resources of this run are created in and clients are pointed at. */
  awsRegion: string;
  /** Set in the secured mode: TLS material, users and passwords of this run (the same across restarts). */
  security?: SecuritySettings;
}

export interface ServiceSpec {
  name: ServiceName;
  extraPorts: number;
  /** Writes config and formats storage; must be idempotent, because a restart calls it again on the same dir. */
  prepare(ctx: ServiceContext): Promise<void>;
  command(ctx: ServiceContext): { cmd: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** Resolves true once the service answers a real request; false (not an exception) while it is still starting. */
  isHealthy(ctx: ServiceContext): Promise<boolean>;
  /** Runs once the service is healthy, after every (re)start: users, ACLs, provisioned topics. Must be idempotent. */
  afterStart?(ctx: ServiceContext): Promise<void>;
  endpoints(ctx: ServiceContext): Endpoints;
  startTimeoutMs: number;
  /** Kafka shuts down cleanly on SIGTERM but takes a few seconds; MLflow and moto are quicker. */
  stopGraceMs: number;
}
