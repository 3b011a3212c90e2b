import { X509Certificate, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../errors';
import { runsTopicOf } from '../contract/run-record';
import { MAX_PRODUCERS, MlflowAuth, KafkaAuth, ModelRef, RawConfig, ScorerConfig, rawConfigSchema } from './schema';

export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** CLI arguments after the script name: `--kafka-topic t` or `--kafka-topic=t` overrides KAFKA_TOPIC. */
  argv: string[];
  /** SageMaker's current_host (from resourceconfig.json), used to keep the transactional id stable per shard. */
  currentHost?: string;
  /** SageMaker's hosts (resourceconfig.json): every shard of the run, named in the end-of-run records. */
  hosts?: string[];
  /** CPUs the process may use (default os.availableParallelism()): the default number of pipelines. */
  cpus?: number;
  now?: Date;
}

const ARN_PATTERN = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):\d{12}:mlflow-tracking-server\/.+$/;

/** Flags are the env names in kebab case, so the two ways to configure a run cannot drift apart. */
export function flagsToEnv(argv: string[]): Record<string, string> {
  const known = new Set(Object.keys(rawConfigSchema.shape));
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}": flags look like --kafka-topic value`);
    const eq = arg.indexOf('=');
    const name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)).toUpperCase().replace(/-/g, '_');
    if (!known.has(name)) throw new ConfigError(`unknown flag "${arg}": known flags are ${[...known].map(toFlag).join(', ')}`);
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`flag ${toFlag(name)} needs a value`);
    out[name] = value;
  }
  return out;
}

const toFlag = (envName: string) => `--${envName.toLowerCase().replace(/_/g, '-')}`;

export function loadConfig(sources: ConfigSources): ScorerConfig {
  const merged: Record<string, string> = {};
  for (const key of Object.keys(rawConfigSchema.shape)) {
    const value = sources.env[key];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  Object.assign(merged, flagsToEnv(sources.argv));
  const parsed = rawConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      return `${field} (flag ${toFlag(field)}) ${issue.message}`;
    });
    throw new ConfigError(`invalid scorer configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return resolve(parsed.data, sources);
}

function resolve(raw: RawConfig, sources: ConfigSources): ScorerConfig {
  const now = sources.now ?? new Date();
  const shardId = raw.SHARD_ID ?? sanitize(sources.currentHost ?? '0');
  return {
    inputPath: raw.INPUT_PATH,
    outputPath: raw.OUTPUT_PATH,
    outputDir: shardId === '0' ? raw.OUTPUT_PATH : path.join(raw.OUTPUT_PATH, shardId),
    modelCacheDir: raw.MODEL_CACHE_DIR ?? path.join(os.tmpdir(), 'ml-platform-scorer-models'),
    mlflow: {
      trackingUri: raw.MLFLOW_TRACKING_URI,
      auth: mlflowAuth(raw),
      timeoutMs: raw.MLFLOW_TIMEOUT_MS,
      retries: raw.MLFLOW_RETRIES,
    },
    model: modelRef(raw),
    kafka: {
      brokers: raw.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter((b) => b.length > 0),
      topic: raw.KAFKA_TOPIC,
      dlqTopic: raw.KAFKA_DLQ_TOPIC,
      clientId: raw.KAFKA_CLIENT_ID,
      tls: raw.KAFKA_TLS,
      ...(raw.KAFKA_CA_FILE === undefined ? {} : { caPem: kafkaCaFile(raw.KAFKA_CA_FILE, raw.KAFKA_TLS) }),
      auth: kafkaAuth(raw),
      transactionalId: raw.KAFKA_TRANSACTIONS ? raw.KAFKA_TRANSACTIONAL_ID ?? `${transactionalIdPrefix(raw.KAFKA_TOPIC)}${shardId}` : undefined,
      transactionTimeoutMs: raw.KAFKA_TRANSACTION_TIMEOUT_MS,
      compression: raw.KAFKA_COMPRESSION,
      createTopics: raw.KAFKA_CREATE_TOPICS,
      chunkSize: raw.KAFKA_CHUNK_SIZE,
      retries: raw.KAFKA_RETRIES,
      producers: raw.KAFKA_PRODUCERS ?? Math.max(1, Math.min(MAX_PRODUCERS, sources.cpus ?? os.availableParallelism())),
      runsTopic: runsTopicOf(raw.KAFKA_TOPIC),
    },
    runId: raw.RUN_ID ?? randomUUID(),
    runDate: raw.RUN_DATE ?? now.toISOString().slice(0, 10),
    shardId,
    shards: sources.hosts?.map(sanitize),
    maxRejectedRatio: raw.MAX_REJECTED_RATIO,
    minRows: raw.MIN_ROWS,
    batchSize: raw.SCORE_BATCH_SIZE,
    progressEveryRows: raw.PROGRESS_EVERY_ROWS,
    pipelineHeapMb: raw.PIPELINE_HEAP_MB,
    aws: { region: raw.AWS_REGION, endpointUrl: raw.AWS_ENDPOINT_URL },
  };
}

const sanitize = (value: string) => value.replace(/[^A-Za-z0-9._-]/g, '-');

/**
 * Every default transactional id of a topic's scorer starts with this (then the shard id): the prefix a Kafka ACL on
 * transactional ids grants (docs/security-transports.md).
 */
export function transactionalIdPrefix(topic: string): string {
  return `ml-platform-scorer.${topic}.`;
}

function kafkaCaFile(file: string, tls: boolean): string {
  if (!tls) throw new ConfigError('KAFKA_CA_FILE is set but KAFKA_TLS is not "true": the CA is only used for TLS connections');
  return readCaCertificates(file, 'KAFKA_CA_FILE');
}

/** A PEM file of CA certificates, read once at start and checked, so a wrong path or file fails before anything is attempted. */
export function readCaCertificates(file: string, source = 'KAFKA_CA_FILE'): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${source} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): pass the path of a PEM file with the brokers' CA certificate`, error);
  }
  return checkCaCertificates(pem, `${source} ${file}`);
}

/** PEM text with at least one parseable certificate, or a ConfigError naming where it came from. */
export function checkCaCertificates(pem: string, source: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError(`${source} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new ConfigError(`${source} holds a certificate that cannot be parsed: ${(error as Error).message}`, error);
    }
  }
  return pem;
}

function modelRef(raw: RawConfig): ModelRef {
  if (raw.MODEL_ALIAS !== undefined && raw.MODEL_VERSION !== undefined) {
    throw new ConfigError('MODEL_ALIAS and MODEL_VERSION are both set: set only one (the alias is usually what you want)');
  }
  if (raw.MODEL_VERSION !== undefined) return { name: raw.MODEL_NAME, version: raw.MODEL_VERSION };
  return { name: raw.MODEL_NAME, alias: raw.MODEL_ALIAS ?? 'champion' };
}

/**
 * MLflow's own client conventions decide when MLFLOW_AUTH is unset: a SageMaker ARN signs with SigV4,
 * MLFLOW_TRACKING_TOKEN is a bearer token, MLFLOW_TRACKING_USERNAME/PASSWORD are basic credentials. The pipelines
 * pass MLFLOW_CREDENTIALS_SECRET_ARN instead (credentials never in the pipeline definition), read at first use.
 */
function mlflowAuth(raw: RawConfig): MlflowAuth {
  const arn = ARN_PATTERN.exec(raw.MLFLOW_TRACKING_URI);
  if (!arn && !/^https?:\/\//.test(raw.MLFLOW_TRACKING_URI)) {
    throw new ConfigError(
      `MLFLOW_TRACKING_URI "${raw.MLFLOW_TRACKING_URI}" is neither an http(s) URL nor a SageMaker MLflow tracking server ARN`,
    );
  }
  if (raw.MLFLOW_CREDENTIALS_SECRET_ARN !== undefined) {
    const also = (['MLFLOW_AUTH', 'MLFLOW_TRACKING_TOKEN', 'MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD'] as const).filter((k) => raw[k] !== undefined);
    if (also.length > 0) throw new ConfigError(`MLFLOW_CREDENTIALS_SECRET_ARN and ${also.join(', ')} are both set: give the credentials one way only`);
    if (arn) throw new ConfigError('MLFLOW_CREDENTIALS_SECRET_ARN is set but MLFLOW_TRACKING_URI is a SageMaker tracking server, which takes SigV4 (the role\'s credentials) only');
    return { kind: 'secret', secretArn: raw.MLFLOW_CREDENTIALS_SECRET_ARN };
  }
  const kind =
    raw.MLFLOW_AUTH ??
    (arn ? 'sigv4' : raw.MLFLOW_TRACKING_TOKEN ? 'bearer' : raw.MLFLOW_TRACKING_USERNAME || raw.MLFLOW_TRACKING_PASSWORD !== undefined ? 'basic' : 'none');
  switch (kind) {
    case 'none':
      return { kind };
    case 'bearer':
      if (!raw.MLFLOW_TRACKING_TOKEN) throw new ConfigError('MLFLOW_AUTH=bearer needs MLFLOW_TRACKING_TOKEN');
      return { kind, token: raw.MLFLOW_TRACKING_TOKEN };
    case 'basic':
      if (!raw.MLFLOW_TRACKING_USERNAME || raw.MLFLOW_TRACKING_PASSWORD === undefined) {
        throw new ConfigError('MLFLOW_AUTH=basic needs MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD');
      }
      return { kind, username: raw.MLFLOW_TRACKING_USERNAME, password: raw.MLFLOW_TRACKING_PASSWORD };
    case 'sigv4': {
      const region = arn?.[1] ?? raw.AWS_REGION;
      if (!region) throw new ConfigError('MLFLOW_AUTH=sigv4 needs AWS_REGION (or a tracking server ARN, which names the region)');
      return arn ? { kind, region, trackingServerArn: raw.MLFLOW_TRACKING_URI } : { kind, region };
    }
  }
}

function kafkaAuth(raw: RawConfig): KafkaAuth {
  switch (raw.KAFKA_AUTH) {
    case 'none':
      return { kind: 'none' };
    case 'scram-sha-256':
    case 'scram-sha-512':
      if (!raw.KAFKA_SASL_SECRET_ARN) {
        throw new ConfigError(`KAFKA_AUTH=${raw.KAFKA_AUTH} needs KAFKA_SASL_SECRET_ARN (a Secrets Manager secret {"username","password"})`);
      }
      return { kind: raw.KAFKA_AUTH, secretArn: raw.KAFKA_SASL_SECRET_ARN };
    case 'msk-iam':
      if (!raw.AWS_REGION) throw new ConfigError('KAFKA_AUTH=msk-iam needs AWS_REGION (the MSK cluster region)');
      return { kind: 'msk-iam', region: raw.AWS_REGION };
  }
}
