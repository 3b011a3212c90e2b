import { z } from 'zod';

/** SageMaker processing conventions: the Score step mounts input and output here. */
export const SAGEMAKER_DEFAULTS = {
  inputPath: '/opt/ml/processing/input/data',
  outputPath: '/opt/ml/processing/output',
  resourceConfigPath: '/opt/ml/config/resourceconfig.json',
  /** A processing container's last words: SageMaker shows its first 1 KB as the job's ExitMessage. */
  exitMessagePath: '/opt/ml/output/message',
} as const;

export type MlflowAuth =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'sigv4'; region: string; trackingServerArn?: string }
  /** Basic or bearer credentials read from a Secrets Manager secret when the first request is made. */
  | { kind: 'secret'; secretArn: string };

export type KafkaAuth =
  | { kind: 'none' }
  | { kind: 'scram-sha-256' | 'scram-sha-512'; secretArn: string }
  | { kind: 'msk-iam'; region: string };

export type ModelRef = { name: string; alias: string } | { name: string; version: string };

export interface KafkaConfig {
  brokers: string[];
  topic: string;
  dlqTopic: string;
  clientId: string;
  tls: boolean;
  /** PEM of the CA(s) the brokers' certificates chain to, from KAFKA_CA_FILE; undefined = Node's default trust store. */
  caPem?: string;
  auth: KafkaAuth;
  /** undefined = transactions off (idempotent only); see docs/prediction-contract.md. */
  transactionalId: string | undefined;
  transactionTimeoutMs: number;
  compression: 'gzip' | 'none';
  createTopics: boolean;
  /** At most this many messages per produce request (which also carries at most ~1 MB); one is in flight while the next fills. */
  chunkSize: number;
  retries: number;
  /**
   * Scoring pipelines of the process (worker threads), each reading its share of the input files and publishing with
   * a transactional producer of its own (`<transactionalId>.<k>`); 1 to MAX_PRODUCERS.
   */
  producers: number;
  /** The end-of-run records' topic, `<topic>.runs` (docs/prediction-contract.md). */
  runsTopic: string;
}

/**
 * The most pipelines (and so sub-producers, `<transactionalId>.0` to `.15`) a scorer process runs. Every run fences the
 * sub-producer ids it does not use up to this bound, so a rerun on a smaller instance still ends the transactions a
 * larger one left open: never lower it (a zombie above the new bound would no longer be fenced).
 */
export const MAX_PRODUCERS = 16;

export interface ScorerConfig {
  inputPath: string;
  outputPath: string;
  /**
   * Where this shard writes its manifest and rejected rows: OUTPUT_PATH itself for the default shard "0" (local runs),
   * OUTPUT_PATH/<shard> otherwise, because SageMaker uploads every instance's output folder to the same S3 prefix.
   */
  outputDir: string;
  mlflow: { trackingUri: string; auth: MlflowAuth; timeoutMs: number; retries: number };
  model: ModelRef;
  modelCacheDir: string;
  kafka: KafkaConfig;
  runId: string;
  runDate: string;
  shardId: string;
  /** Every shard (instance) of the run, when the platform says (SageMaker's resourceconfig.json `hosts`). */
  shards: string[] | undefined;
  maxRejectedRatio: number;
  /** Fewer rows read than this fails the run (INPUT_EMPTY / TOO_FEW_ROWS); 0 allows an empty batch. */
  minRows: number;
  batchSize: number;
  progressEveryRows: number;
  /** Each scoring pipeline thread's V8 heap limit (MB), PIPELINE_HEAP_MB: see thread-pipeline.ts. */
  pipelineHeapMb: number;
  aws: { region: string | undefined; endpointUrl: string | undefined };
}

const nonEmpty = (fix: string) => z.string({ error: `is required: ${fix}` }).trim().min(1, { error: `is empty: ${fix}` });
const bool = z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).transform((v) => v === 'true');
const positiveInt = z.coerce.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).positive({ error: 'must be > 0' });

/** The raw variables (env names; CLI flags are mapped onto them), before cross-field rules. */
export const rawConfigSchema = z.object({
  INPUT_PATH: z.string().min(1).default(SAGEMAKER_DEFAULTS.inputPath),
  OUTPUT_PATH: z.string().min(1).default(SAGEMAKER_DEFAULTS.outputPath),
  MODEL_CACHE_DIR: z.string().min(1).optional(),
  MLFLOW_TRACKING_URI: nonEmpty('set it to the http(s) URL of the MLflow server or the SageMaker tracking server ARN'),
  MLFLOW_AUTH: z.enum(['none', 'bearer', 'basic', 'sigv4'], { error: 'must be one of none, bearer, basic, sigv4' }).optional(),
  MLFLOW_TRACKING_TOKEN: z.string().optional(),
  MLFLOW_TRACKING_USERNAME: z.string().optional(),
  MLFLOW_TRACKING_PASSWORD: z.string().optional(),
  MLFLOW_CREDENTIALS_SECRET_ARN: z.string().trim().min(1).optional(),
  MLFLOW_TIMEOUT_MS: positiveInt.default(30_000),
  MLFLOW_RETRIES: z.coerce.number().int().min(0).default(3),
  MODEL_NAME: nonEmpty('set it to the registered model name in MLflow'),
  MODEL_ALIAS: z.string().trim().min(1).optional(),
  MODEL_VERSION: z.string().regex(/^\d+$/, { error: 'must be a version number such as 3' }).optional(),
  KAFKA_BROKERS: nonEmpty('set it to comma-separated host:port pairs'),
  KAFKA_TOPIC: nonEmpty('set it to the prediction topic'),
  KAFKA_DLQ_TOPIC: nonEmpty('set it to the dead-letter topic'),
  KAFKA_CLIENT_ID: z.string().min(1).default('ml-platform-scorer'),
  KAFKA_TLS: bool.default(false),
  KAFKA_CA_FILE: z.string().trim().min(1).optional(),
  KAFKA_AUTH: z.enum(['none', 'scram-sha-256', 'scram-sha-512', 'msk-iam'], {
    error: 'must be one of none, scram-sha-256, scram-sha-512, msk-iam',
  }).default('none'),
  KAFKA_SASL_SECRET_ARN: z.string().optional(),
  KAFKA_TRANSACTIONS: bool.default(true),
  KAFKA_TRANSACTIONAL_ID: z.string().min(1).optional(),
  // How long read_committed consumers can be held up by a scorer killed with SIGKILL (the broker aborts its open
  // transaction after this); a shard's run must also finish within it. Capped by the broker's transaction.max.timeout.ms
  // (15 minutes by default). 5 minutes: about 6M rows per shard at the measured ~20k rows/s; see container-interface.md.
  KAFKA_TRANSACTION_TIMEOUT_MS: positiveInt.default(300_000),
  KAFKA_COMPRESSION: z.enum(['gzip', 'none'], { error: 'must be gzip or none' }).default('gzip'),
  KAFKA_CREATE_TOPICS: bool.default(false),
  // A produce request also carries at most ~1 MB (MAX_MESSAGE_BYTES), about 3,000 predictions: the bytes bind first.
  KAFKA_CHUNK_SIZE: positiveInt.default(5000),
  KAFKA_RETRIES: z.coerce.number().int().min(0).default(5),
  // Default: one per CPU (os.availableParallelism(), which follows the container's CPU limit), at most MAX_PRODUCERS.
  KAFKA_PRODUCERS: positiveInt.max(MAX_PRODUCERS, { error: `must be at most ${MAX_PRODUCERS} (MAX_PRODUCERS)` }).optional(),
  RUN_ID: z.string().min(1).optional(),
  RUN_DATE: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date like 2026-01-31' }).optional(),
  SHARD_ID: z.string().regex(/^[A-Za-z0-9._-]+$/, { error: 'must be letters, digits, ".", "_" or "-"' }).optional(),
  MAX_REJECTED_RATIO: z.coerce.number({ error: 'must be a number' }).min(0, { error: 'must be >= 0' }).max(1, { error: 'must be <= 1' }).default(0.01),
  MIN_ROWS: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be >= 0 (0 allows an empty batch)' }).default(1),
  SCORE_BATCH_SIZE: positiveInt.default(1000),
  PROGRESS_EVERY_ROWS: positiveInt.default(100_000),
  // A pipeline thread's heap limit. V8 sizes its collections by the limit: at Node's default (GBs) each pipeline kept
  // ~100 MB of garbage (1M Parquet rows, 2 pipelines: peak RSS 446 MB; at 256: ~295 MB, as fast). A run whose decoded
  // row group does not fit fails with PIPELINE_OUT_OF_MEMORY naming this variable.
  PIPELINE_HEAP_MB: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(64, { error: 'must be >= 64 (MB)' }).max(65_536, { error: 'must be <= 65536 (MB)' }).default(256),
  AWS_REGION: z.string().min(1).optional(),
  AWS_ENDPOINT_URL: z.string().url({ error: 'must be a URL' }).optional(),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;
