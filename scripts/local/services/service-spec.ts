// What the runner needs to know about one service; kafka.ts, mlflow.ts and aws.ts each export one.
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
}

export interface ServiceSpec {
  name: ServiceName;
  extraPorts: number;
  /** Writes config and formats storage; must be idempotent, because a restart calls it again on the same dir. */
  prepare(ctx: ServiceContext): Promise<void>;
  command(ctx: ServiceContext): { cmd: string; args: string[]; env?: NodeJS.ProcessEnv };
  /** Resolves true once the service answers a real request; false (not an exception) while it is still starting. */
  isHealthy(ctx: ServiceContext): Promise<boolean>;
  endpoints(ctx: ServiceContext): Endpoints;
  startTimeoutMs: number;
  /** Kafka shuts down cleanly on SIGTERM but takes a few seconds; MLflow and moto are quicker. */
  stopGraceMs: number;
}
