// The `local` environment points at services on this machine (scripts/local/services). Their addresses are
// fixed by default so a plain `npm run synth` is reproducible; the local nightly run and the tests, which start
// the services on ports of their own, pass theirs through these variables when they synthesize `local`.
// Read here, at the edge, and validated: a bad value names the variable, never a field deep in the stack.
import { z } from 'zod';
import { EnvironmentConfigError } from './config-error';

export const LOCAL_ENDPOINT_VARIABLES = {
  kafkaBrokers: 'MLP_LOCAL_KAFKA_BROKERS',
  mlflowUri: 'MLP_LOCAL_MLFLOW_URI',
  scoreInstances: 'MLP_LOCAL_SCORE_INSTANCES',
} as const;

export const LOCAL_DEFAULTS = {
  kafkaBrokers: ['127.0.0.1:19092'],
  mlflowUri: 'http://127.0.0.1:15000',
  scoreInstances: 1,
} as const;

const loopbackBroker = z.string().regex(/^(127\.\d+\.\d+\.\d+|localhost):\d{1,5}$/, 'must be a loopback "host:port", e.g. "127.0.0.1:19092"');
const schema = z.object({
  kafkaBrokers: z
    .string()
    .transform((list) => list.split(',').map((broker) => broker.trim()))
    .pipe(z.array(loopbackBroker).min(1))
    .optional(),
  mlflowUri: z
    .string()
    .regex(/^http:\/\/(127\.\d+\.\d+\.\d+|localhost):\d{1,5}$/, 'must be a loopback URL "http://127.0.0.1:<port>"')
    .optional(),
  scoreInstances: z
    .string()
    .regex(/^[1-9]\d*$/, 'must be a whole number from 1')
    .transform(Number)
    .optional(),
});

export interface LocalEndpoints {
  readonly kafkaBrokers: readonly string[];
  readonly mlflowUri: string;
  readonly scoreInstances: number;
}

/** The local services' addresses and the scoring shard count for environments/local.ts. */
export function localEndpoints(env: NodeJS.ProcessEnv = process.env): LocalEndpoints {
  const raw = Object.fromEntries(
    Object.entries(LOCAL_ENDPOINT_VARIABLES).map(([key, variable]) => [key, env[variable] === '' ? undefined : env[variable]]),
  );
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new EnvironmentConfigError(
      'environments/local.ts',
      parsed.error.issues.map((issue) => {
        const key = issue.path[0] as keyof typeof LOCAL_ENDPOINT_VARIABLES;
        return `${LOCAL_ENDPOINT_VARIABLES[key]}: ${issue.message} — got ${JSON.stringify(raw[key])}`;
      }),
    );
  }
  return {
    kafkaBrokers: parsed.data.kafkaBrokers ?? LOCAL_DEFAULTS.kafkaBrokers,
    mlflowUri: parsed.data.mlflowUri ?? LOCAL_DEFAULTS.mlflowUri,
    scoreInstances: parsed.data.scoreInstances ?? LOCAL_DEFAULTS.scoreInstances,
  };
}

/** The environment that lives on this machine: deployed into the AWS emulator, run by the local executor. */
export const LOCAL_ENVIRONMENT = 'local';
