import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  EnvironmentConfigError,
  environmentNames,
  imageUri,
  loadEnvironment,
  loadEnvironments,
  parseEnvironment,
  platformArns,
  platformNames,
  readImageTagsOverride,
} from '../../environments';
import { localEndpoints } from '../../environments/lib/local-endpoints';
import { rawEnvironment, variant, type Json } from './support/synthesized';
import { temporaryDirectories } from './support/temporary';

const temporary = temporaryDirectories();

function errorOf(change: (raw: Json) => void, name = 'staging'): EnvironmentConfigError {
  try {
    variant(name, change);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('environment discovery', () => {
  it('finds one environment per file, named after the file', () => {
    expect(environmentNames()).toEqual(['local', 'prod', 'staging']);
    expect(loadEnvironments().map((config) => config.name)).toEqual(['local', 'prod', 'staging']);
  });

  it('reports an unknown environment with the known names', () => {
    expect(() => loadEnvironment('qa')).toThrow('environments/qa.ts: (whole file): no such environment — known: local, prod, staging');
  });

  it('applies defaults the files leave out', () => {
    const config = variant('staging', (raw) => {
      delete raw.scoring;
      delete raw.schedules.retry;
      delete raw.schedules.training.enabled;
      delete raw.data.runOutputPrefix;
      delete raw.kafka.auth;
    });
    expect(config.scoring.maxRejectedRatio).toBe(0.01);
    expect(config.schedules.retry).toEqual({ maximumRetryAttempts: 3, maximumEventAgeSeconds: 3600 });
    expect(config.schedules.training.enabled).toBe(true);
    expect(config.data.runOutputPrefix).toBe('runs/');
    expect(config.kafka.auth).toEqual({ type: 'none' });
  });

  it('keeps staging and prod apart where teams differ: sizes, schedules, aliases, topics', () => {
    const staging = loadEnvironment('staging');
    const prod = loadEnvironment('prod');
    expect(staging.steps.score.instanceCount).toBe(1);
    expect(prod.steps.score.instanceCount).toBeGreaterThan(1);
    expect(staging.schedules.training.cron).not.toBe(prod.schedules.training.cron);
    expect(staging.mlflow.scoringAlias).toBe('challenger');
    expect(prod.mlflow.scoringAlias).toBe('champion');
    expect(staging.kafka.topic).toBe('staging.predictions');
    expect(prod.kafka.topic).toBe('prod.predictions');
  });
});

describe('environment validation', () => {
  it('names the file, the field, the fix and the bad value', () => {
    const error = errorOf((raw) => (raw.kafka.topic = 'bad topic'));
    expect(error.message).toBe('environments/staging.ts: kafka.topic: must be a Kafka topic name (letters, digits, . _ -) — got "bad topic"');
    expect(error.retryable).toBe(false);
  });

  it('reports every problem of a file at once, one line each', () => {
    const error = errorOf((raw) => {
      raw.account.id = '12345';
      raw.steps.score.instanceCount = 0;
      raw.schedules.inference.timezone = 'Mars/Olympus';
    });
    expect(error.message.split('\n')).toEqual([
      'environments/staging.ts: account.id: must be a 12-digit AWS account id, e.g. "123456789012" — got "12345"',
      'environments/staging.ts: schedules.inference.timezone: must be an IANA time zone, e.g. "Europe/Berlin" or "UTC" — got "Mars/Olympus"',
      'environments/staging.ts: steps.score.instanceCount: must be at least 1 — got 0',
    ]);
  });

  it.each([
    ['a missing field', (raw: Json) => delete raw.qualityGate.threshold, 'qualityGate.threshold: is required (number) — add it'],
    ['an unknown field', (raw: Json) => (raw.kafka.topics = ['x']), 'kafka.topics: unknown field — remove it or fix its spelling'],
    ['a wrong type', (raw: Json) => (raw.kafka.tls = 'yes'), 'kafka.tls: must be a boolean — got "yes"'],
    ['a 5-field cron', (raw: Json) => (raw.schedules.training.cron = '0 1 * * *'), 'schedules.training.cron: must be an EventBridge cron with 6 fields'],
    ['a cron without "?"', (raw: Json) => (raw.schedules.training.cron = '0 1 * * * *'), 'schedules.training.cron: must be a valid EventBridge cron: day-of-month or day-of-week must be "?"'],
    ['the "latest" tag', (raw: Json) => (raw.images.scorer = 'latest'), 'images.scorer: must not be "latest"'],
    ['a threshold above 1', (raw: Json) => (raw.qualityGate.threshold = 75), 'qualityGate.threshold: must be between 0 and 1 — got 75'],
    ['an unknown gate metric', (raw: Json) => (raw.qualityGate.metric = 'log_loss'), 'qualityGate.metric: must be one of "auc", "accuracy", "f1"'],
    ['an instance type without ml.', (raw: Json) => (raw.steps.train.instanceType = 'm5.large'), 'steps.train.instanceType: must be a SageMaker instance type'],
    ['a broker without port', (raw: Json) => (raw.kafka.brokers = ['kafka.internal']), 'kafka.brokers.0: must be a broker address "host:port"'],
    ['an input prefix without "/"', (raw: Json) => (raw.data.inferenceInputPrefix = 'input/scoring'), 'data.inferenceInputPrefix: must be a relative S3 key prefix ending with "/"'],
    ['a runtime above the SageMaker limit', (raw: Json) => (raw.steps.train.maxRuntimeSeconds = 500000), 'steps.train.maxRuntimeSeconds: must be at most 432000 seconds'],
    ['an alias that looks like a version', (raw: Json) => (raw.mlflow.scoringAlias = 'v3'), 'mlflow.scoringAlias: must not look like a version'],
    ['a tracking server in another region', (raw: Json) => (raw.mlflow.server.trackingServerArn = 'arn:aws:sagemaker:us-east-1:111111111111:mlflow-tracking-server/x'), "mlflow.server.trackingServerArn: must be in the environment's region eu-central-1"],
    ['an unknown MLflow server type', (raw: Json) => (raw.mlflow.server = { type: 'databricks' }), 'mlflow.server.type: must have type "sagemaker" (with trackingServerArn) or "self-hosted" (with trackingUri)'],
    ['SASL/SCRAM without a secret ARN', (raw: Json) => delete raw.kafka.auth.secretArn, 'kafka.auth.secretArn: is required (string) — add it'],
    ['SASL/SCRAM without TLS', (raw: Json) => (raw.kafka.tls = false), 'kafka.tls: must be true when kafka.auth.type is "sasl-scram"'],
    ['the same prediction and dead-letter topic', (raw: Json) => (raw.kafka.deadLetterTopic = raw.kafka.topic), 'kafka.deadLetterTopic: must differ from kafka.topic'],
    ['a malformed alert e-mail', (raw: Json) => (raw.alerts.subscriptions = [{ protocol: 'email', endpoint: 'oncall' }]), 'alerts.subscriptions.0.endpoint: must be an e-mail address — got "oncall"'],
    ['a bad subnet id', (raw: Json) => (raw.vpc = { subnetIds: ['net-1'], securityGroupIds: ['sg-0abc'] }), 'vpc.subnetIds.0: must be a subnet id "subnet-…" — got "net-1"'],
    ['a name prefix that is too long', (raw: Json) => (raw.namePrefix = 'a-very-long-platform-name-prefix'), 'namePrefix: must be 3-24 lowercase letters'],
    ['a DynamoDB lock without table', (raw: Json) => (raw.remoteState.locking = { type: 'dynamodb' }), 'remoteState.locking.table: is required (string) — add it'],
  ])('rejects %s with the field and the fix', (_what, change, expected) => {
    const error = errorOf(change);
    expect(error.message).toContain(`environments/staging.ts: ${expected}`);
  });

  it('rejects a file that does not export a configuration', () => {
    expect(() => parseEnvironment({ name: 'qa', source: 'environments/qa.ts', raw: undefined })).toThrow(
      'environments/qa.ts: (whole file): must export default defineEnvironment({ ... })',
    );
  });

  it('reports every broken environment file when loading all of them', () => {
    const directory = temporary('environments-');
    const broken = (name: string, change: (raw: Json) => void) => {
      const raw = rawEnvironment(name);
      change(raw);
      writeFileSync(path.join(directory, `${name}.ts`), `module.exports = { default: ${JSON.stringify(raw)} };\n`);
    };
    broken('staging', (raw) => (raw.kafka.topic = 'bad topic'));
    broken('prod', (raw) => (raw.account.region = 'europe'));
    expect(() => loadEnvironments(directory)).toThrow(
      [
        'environments/prod.ts: account.region: must be an AWS region code, e.g. "eu-central-1" (known regions as of 2026-11-30: environments/lib/aws-regions.json) — got "europe"',
        'environments/staging.ts: kafka.topic: must be a Kafka topic name (letters, digits, . _ -) — got "bad topic"',
      ].join('\n'),
    );
  });
});

describe('image tag overrides (environments/image-tags/<env>.json)', () => {
  const directory = temporary('image-tags-');
  const write = (content: string) => {
    const file = path.join(directory, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, content);
    return file;
  };

  it('replaces the tags of the environment file with the recorded ones', () => {
    const tags = readImageTagsOverride(write('{"trainer":"1.2.3","scorer":"git-abc123"}'), 'environments/image-tags/staging.json');
    const config = parseEnvironment({ name: 'staging', source: 'environments/staging.ts', raw: rawEnvironment('staging') }, tags);
    expect(config.images.trainer).toBe('1.2.3');
    expect(config.images.scorer).toBe('git-abc123');
    expect(imageUri(config, 'scorer')).toBe('111111111111.dkr.ecr.eu-central-1.amazonaws.com/mlp-staging/scorer:git-abc123');
  });

  it('overrides only the images it names', () => {
    const tags = readImageTagsOverride(write('{"scorer":"2.0.0"}'), 'environments/image-tags/staging.json');
    const config = parseEnvironment({ name: 'staging', source: 'environments/staging.ts', raw: rawEnvironment('staging') }, tags);
    expect(config.images).toMatchObject({ trainer: '0.1.0', scorer: '2.0.0' });
  });

  it('is optional: no file, no override', () => {
    expect(readImageTagsOverride(path.join(directory, 'absent.json'), 'environments/image-tags/absent.json')).toBeUndefined();
  });

  it('rejects a bad tag naming the override file', () => {
    expect(() => readImageTagsOverride(write('{"trainer":"latest"}'), 'environments/image-tags/prod.json')).toThrow(
      'environments/image-tags/prod.json: trainer: must not be "latest"',
    );
    expect(() => readImageTagsOverride(write('{"trainer":'), 'environments/image-tags/prod.json')).toThrow(
      /^environments\/image-tags\/prod.json: \(whole file\): must be JSON like/,
    );
  });
});

describe('platform names', () => {
  const staging = loadEnvironment('staging');

  it('derives every name from the prefix, account and region', () => {
    expect(platformNames(staging)).toEqual({
      dataBucket: 'mlp-staging-111111111111-eu-central-1-data',
      trainerRepository: 'mlp-staging/trainer',
      scorerRepository: 'mlp-staging/scorer',
      trainingPipeline: 'mlp-staging-training',
      inferencePipeline: 'mlp-staging-inference',
      scheduleGroup: 'mlp-staging',
      trainingSchedule: 'mlp-staging-nightly-training',
      inferenceSchedule: 'mlp-staging-nightly-inference',
      scheduleDeadLetterQueue: 'mlp-staging-schedules-dlq',
      alertTopic: 'mlp-staging-pipeline-alerts',
      alertRule: 'mlp-staging-pipeline-failed',
      scheduleFailureAlarm: 'mlp-staging-schedule-start-failed',
      trainingRole: 'mlp-staging-sagemaker-execution',
      scoringRole: 'mlp-staging-scoring',
      schedulerRole: 'mlp-staging-scheduler',
      accessLogBucket: 'mlp-staging-111111111111-eu-central-1-logs',
      artifactKeyAlias: 'alias/mlp-staging-artifacts',
      scheduleKeyAlias: 'alias/mlp-staging-schedules',
      alertKeyAlias: 'alias/mlp-staging-alerts',
      trainingInputUri: 's3://mlp-staging-111111111111-eu-central-1-data/input/training/',
      evaluationInputUri: 's3://mlp-staging-111111111111-eu-central-1-data/input/evaluation/',
      inferenceInputUri: 's3://mlp-staging-111111111111-eu-central-1-data/input/scoring/',
      trainingRunsUri: 's3://mlp-staging-111111111111-eu-central-1-data/runs/training',
      inferenceRunsUri: 's3://mlp-staging-111111111111-eu-central-1-data/runs/inference',
      promotionRecordsUri: 's3://mlp-staging-111111111111-eu-central-1-data/promotions/',
      trainingRunsPrefix: 'runs/training/',
      inferenceRunsPrefix: 'runs/inference/',
    });
  });

  it('derives ARNs with the pipeline name lowercased as SageMaker does', () => {
    expect(platformArns(staging)).toMatchObject({
      trainingPipeline: 'arn:aws:sagemaker:eu-central-1:111111111111:pipeline/mlp-staging-training',
      trainingRole: 'arn:aws:iam::111111111111:role/mlp-staging-sagemaker-execution',
      scoringRole: 'arn:aws:iam::111111111111:role/mlp-staging-scoring',
      scheduleDeadLetterQueue: 'arn:aws:sqs:eu-central-1:111111111111:mlp-staging-schedules-dlq',
      alertRule: 'arn:aws:events:eu-central-1:111111111111:rule/mlp-staging-pipeline-failed',
      scheduleFailureAlarm: 'arn:aws:cloudwatch:eu-central-1:111111111111:alarm:mlp-staging-schedule-start-failed',
    });
  });

  it('keeps the longest allowed prefix within the S3 bucket and IAM role name limits', () => {
    const names = platformNames({ ...staging, namePrefix: 'abcdefghijklmnopqrstuvwx', account: { id: '111111111111', region: 'ap-southeast-2' } });
    expect(names.dataBucket.length).toBeLessThanOrEqual(63);
    expect(names.accessLogBucket.length).toBeLessThanOrEqual(63);
    for (const role of [names.trainingRole, names.scoringRole, names.schedulerRole]) expect(role.length).toBeLessThanOrEqual(64);
  });
});

describe('the local environment', () => {
  const withEnv = (env: Record<string, string>) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      jest.isolateModules(() => {
        loadEnvironment('local');
      });
    } finally {
      process.env = saved;
    }
  };

  it('points at the local services on fixed default addresses', () => {
    const local = loadEnvironment('local');
    expect(local.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(local.mlflow.server).toEqual({ type: 'self-hosted', trackingUri: 'http://127.0.0.1:15000' });
    expect(local.steps.score.instanceCount).toBe(1);
  });

  it('takes the addresses of services started elsewhere and the shard count from MLP_LOCAL_* variables', () => {
    const env = { MLP_LOCAL_KAFKA_BROKERS: '127.0.0.1:40001', MLP_LOCAL_MLFLOW_URI: 'http://127.0.0.1:40002', MLP_LOCAL_SCORE_INSTANCES: '3' };
    const config = localEndpoints(env);
    expect(config).toEqual({ kafkaBrokers: ['127.0.0.1:40001'], mlflowUri: 'http://127.0.0.1:40002', scoreInstances: 3 });
  });

  it('names the variable and the fix when an override is wrong', () => {
    expect(() => localEndpoints({ MLP_LOCAL_SCORE_INSTANCES: 'three' })).toThrow(
      'environments/local.ts: MLP_LOCAL_SCORE_INSTANCES: must be a whole number from 1 — got "three"',
    );
    expect(() => withEnv({ MLP_LOCAL_MLFLOW_URI: 'https://mlflow.example.com' })).toThrow('MLP_LOCAL_MLFLOW_URI: must be a loopback URL');
  });
});
