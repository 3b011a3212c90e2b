// The MLflow tracking server with a SQLite store and proxied artifact storage, from the project's virtualenv.
import fs from 'node:fs';
import path from 'node:path';
import { LOOPBACK } from './ports';
import { venvBin } from './paths';
import type { ServiceContext, ServiceSpec } from './service-spec';

export function mlflowServerArgs(dir: string, port: number, host: string = LOOPBACK): string[] {
  return [
    'server',
    '--backend-store-uri',
    `sqlite:///${path.join(dir, 'mlflow.db')}`,
    '--serve-artifacts',
    '--artifacts-destination',
    path.join(dir, 'artifacts'),
    '--host',
    host,
    '--port',
    String(port),
    '--workers',
    '1',
    // MLflow 3 rejects Host headers it does not know (DNS-rebinding protection); clients use either loopback name.
    '--allowed-hosts',
    `${host}:${port},localhost:${port},${host},localhost`,
  ];
}

async function fetchOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

const url = (ctx: ServiceContext) => `http://${LOOPBACK}:${ctx.ports[0]}`;

export const mlflowService: ServiceSpec = {
  name: 'mlflow',
  extraPorts: 0,
  // The first start creates and migrates the SQLite schema, which takes a while on a small machine.
  startTimeoutMs: 120_000,
  stopGraceMs: 10_000,
  async prepare(ctx) {
    fs.mkdirSync(path.join(ctx.dir, 'artifacts'), { recursive: true });
  },
  command(ctx) {
    return {
      cmd: venvBin('mlflow', ctx.venvDir),
      args: mlflowServerArgs(ctx.dir, ctx.ports[0] as number),
      env: {
        ...process.env,
        PYTHONUNBUFFERED: '1',
        // The background job runner (a handful of extra Python processes for GenAI jobs) is not used here and
        // costs seconds of start-up and memory on a small machine.
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      },
    };
  },
  isHealthy: (ctx) => fetchOk(`${url(ctx)}/health`),
  endpoints: (ctx) => ({ mlflow: { trackingUri: url(ctx) } }),
};
