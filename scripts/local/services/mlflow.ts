// The MLflow tracking server with a SQLite store and proxied artifact storage, from the project's virtualenv.
import fs from 'node:fs';
import path from 'node:path';
import { LOOPBACK } from './ports';
import { venvBin } from './paths';
import type { ServiceContext, ServiceSpec } from './service-spec';

export function mlflowServerArgs(dir: string, port: number, host: string = LOOPBACK, secure = false): string[] {
  return [
    'server',
    // MLflow's own basic-auth app: every request but /health needs a user; permissions per experiment and model.
    ...(secure ? ['--app-name', 'basic-auth'] : []),
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

/**
 * The basic-auth app's configuration. Every request needs a user; a user owns (MANAGE) the experiments and models
 * it creates and may read the rest: READ is MLflow's own default, and the one that lets a pipeline ask for a model
 * that does not exist yet (404, "no champion") instead of being refused (403). An admin narrows a user's access
 * with a DENY grant. The admin's password is not in the file: the server gets it from
 * MLFLOW_AUTH_ADMIN_PASSWORD on first start.
 */
export function renderAuthConfig(dir: string, adminUsername: string): string {
  return [
    '[mlflow]',
    'default_permission = READ',
    `database_uri = sqlite:///${path.join(dir, 'basic_auth.db')}`,
    `admin_username = ${adminUsername}`,
    'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
    'grant_default_workspace_access = false',
    '',
  ].join('\n');
}

const authConfigFile = (ctx: ServiceContext) => path.join(ctx.dir, 'basic_auth.ini');

async function createUser(ctx: ServiceContext, admin: { username: string; password: string }, user: { username: string; password: string }): Promise<void> {
  const authorization = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
  const res = await fetch(`${url(ctx)}/api/2.0/mlflow/users/create`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(user),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.ok) return;
  const text = await res.text();
  // A restart finds the user already there (the auth store is kept with the data).
  if (/RESOURCE_ALREADY_EXISTS|already exists/i.test(text)) return;
  throw new Error(`creating the MLflow user '${user.username}' failed with HTTP ${res.status}: ${text.slice(0, 300)}`);
}

export const mlflowService: ServiceSpec = {
  name: 'mlflow',
  extraPorts: 0,
  // The first start creates and migrates the SQLite schema, which takes a while on a small machine.
  startTimeoutMs: 120_000,
  stopGraceMs: 10_000,
  async prepare(ctx) {
    fs.mkdirSync(path.join(ctx.dir, 'artifacts'), { recursive: true });
    if (ctx.security) fs.writeFileSync(authConfigFile(ctx), renderAuthConfig(ctx.dir, ctx.security.mlflow.admin.username));
  },
  command(ctx) {
    const security = ctx.security?.mlflow;
    return {
      cmd: venvBin('mlflow', ctx.venvDir),
      args: mlflowServerArgs(ctx.dir, ctx.ports[0] as number, LOOPBACK, security !== undefined),
      env: {
        ...process.env,
        ...(security
          ? {
              MLFLOW_AUTH_CONFIG_PATH: authConfigFile(ctx),
              MLFLOW_AUTH_ADMIN_USERNAME: security.admin.username,
              MLFLOW_AUTH_ADMIN_PASSWORD: security.admin.password,
              MLFLOW_FLASK_SERVER_SECRET_KEY: security.flaskSecretKey,
            }
          : {}),
        PYTHONUNBUFFERED: '1',
        // The background job runner (a handful of extra Python processes for GenAI jobs) is not used here and
        // costs seconds of start-up and memory on a small machine.
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
      },
    };
  },
  isHealthy: (ctx) => fetchOk(`${url(ctx)}/health`),
  async afterStart(ctx) {
    if (ctx.security) await createUser(ctx, ctx.security.mlflow.admin, ctx.security.mlflow.app);
  },
  endpoints: (ctx) => ({ mlflow: { trackingUri: url(ctx) } }),
};
