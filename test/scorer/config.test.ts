import { loadConfig } from '../../apps/scorer/src/config';
import { ConfigError } from '../../apps/scorer/src/errors';

const required = {
  MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000',
  MODEL_NAME: 'churn',
  KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
  KAFKA_TOPIC: 'staging.predictions',
  KAFKA_DLQ_TOPIC: 'staging.predictions.dlq',
};

const load = (env: Record<string, string> = {}, argv: string[] = []) => loadConfig({ env: { ...required, ...env }, argv, now: new Date('2026-03-04T05:06:07Z') });

describe('scorer configuration', () => {
  it('defaults to the SageMaker processing paths, the champion alias and transactions', () => {
    const config = load();
    expect(config.inputPath).toBe('/opt/ml/processing/input/data');
    expect(config.outputPath).toBe('/opt/ml/processing/output');
    expect(config.model).toEqual({ name: 'churn', alias: 'champion' });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.kafka.transactionalId).toBe('ml-platform-scorer.staging.predictions.0');
    expect(config.runDate).toBe('2026-03-04');
    expect(config.maxRejectedRatio).toBe(0.01);
  });

  it('lets CLI flags override environment variables', () => {
    const config = load({ INPUT_PATH: '/env/in' }, ['--input-path', '/flag/in', '--model-version=7', '--max-rejected-ratio', '0.2']);
    expect(config.inputPath).toBe('/flag/in');
    expect(config.model).toEqual({ name: 'churn', version: '7' });
    expect(config.maxRejectedRatio).toBe(0.2);
  });

  it('names every missing required field together with its flag', () => {
    expect(() => loadConfig({ env: {}, argv: [] })).toThrow(ConfigError);
    try {
      loadConfig({ env: {}, argv: [] });
    } catch (error) {
      const message = (error as Error).message;
      for (const field of ['MLFLOW_TRACKING_URI', 'MODEL_NAME', 'KAFKA_BROKERS', 'KAFKA_TOPIC', 'KAFKA_DLQ_TOPIC']) expect(message).toContain(field);
      expect(message).toContain('--kafka-topic');
    }
  });

  it('rejects an unknown flag and says which flags exist', () => {
    expect(() => load({}, ['--kafka-topik', 'x'])).toThrow(/unknown flag "--kafka-topik".*--kafka-topic/);
  });

  it('rejects setting both an alias and a version', () => {
    expect(() => load({ MODEL_ALIAS: 'champion', MODEL_VERSION: '3' })).toThrow(/MODEL_ALIAS and MODEL_VERSION/);
  });

  it('uses SigV4 with the region from a SageMaker tracking server ARN', () => {
    const arn = 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/main';
    expect(load({ MLFLOW_TRACKING_URI: arn }).mlflow.auth).toEqual({ kind: 'sigv4', region: 'eu-west-1', trackingServerArn: arn });
  });

  it('requires the credentials an auth mode needs', () => {
    expect(() => load({ MLFLOW_AUTH: 'bearer' })).toThrow(/MLFLOW_TRACKING_TOKEN/);
    expect(() => load({ MLFLOW_AUTH: 'basic', MLFLOW_TRACKING_USERNAME: 'u' })).toThrow(/MLFLOW_TRACKING_PASSWORD/);
    expect(() => load({ KAFKA_AUTH: 'scram-sha-512' })).toThrow(/KAFKA_SASL_SECRET_ARN/);
    expect(() => load({ KAFKA_AUTH: 'msk-iam' })).toThrow(/AWS_REGION/);
    expect(load({ KAFKA_AUTH: 'scram-sha-256', KAFKA_SASL_SECRET_ARN: 'arn:secret' }).kafka.auth).toEqual({ kind: 'scram-sha-256', secretArn: 'arn:secret' });
  });

  it('derives a stable transactional id and an own output folder per shard from the SageMaker host, and no id when transactions are off', () => {
    const shard = loadConfig({ env: required, argv: [], currentHost: 'algo-2' });
    expect(shard.kafka.transactionalId).toBe('ml-platform-scorer.staging.predictions.algo-2');
    expect(shard.outputDir).toBe('/opt/ml/processing/output/algo-2');
    expect(load().outputDir).toBe('/opt/ml/processing/output');
    expect(load({ KAFKA_TRANSACTIONS: 'false' }).kafka.transactionalId).toBeUndefined();
  });

  it('fails empty input by default (MIN_ROWS 1) and bounds the transaction well below the broker\'s 15-minute maximum', () => {
    expect(load().minRows).toBe(1);
    expect(load({ MIN_ROWS: '0' }).minRows).toBe(0);
    expect(() => load({ MIN_ROWS: '-1' })).toThrow(/MIN_ROWS .*>= 0 \(0 allows an empty batch\)/);
    expect(load().kafka.transactionTimeoutMs).toBe(300_000);
    expect(load({}, ['--kafka-transaction-timeout-ms', '60000']).kafka.transactionTimeoutMs).toBe(60_000);
  });

  it('runs one pipeline per CPU by default, at most 16, and publishes end-of-run records to <topic>.runs', () => {
    const withCpus = (cpus: number, env: Record<string, string> = {}) => loadConfig({ env: { ...required, ...env }, argv: [], cpus }).kafka;
    expect(withCpus(8)).toMatchObject({ producers: 8, runsTopic: 'staging.predictions.runs' });
    expect(withCpus(96).producers).toBe(16);
    expect(withCpus(8, { KAFKA_PRODUCERS: '2' }).producers).toBe(2);
    expect(() => withCpus(8, { KAFKA_PRODUCERS: '17' })).toThrow(/KAFKA_PRODUCERS \(flag --kafka-producers\) must be at most 16/);
    expect(() => withCpus(8, { KAFKA_PRODUCERS: '0' })).toThrow(/KAFKA_PRODUCERS .* must be > 0/);
  });

  it('gives each pipeline thread a 256 MB heap by default, at least 64 MB', () => {
    expect(load().pipelineHeapMb).toBe(256);
    expect(load({ PIPELINE_HEAP_MB: '1024' }).pipelineHeapMb).toBe(1024);
    expect(() => load({ PIPELINE_HEAP_MB: '32' })).toThrow(/PIPELINE_HEAP_MB \(flag --pipeline-heap-mb\) must be >= 64 \(MB\)/);
    expect(() => load({ PIPELINE_HEAP_MB: 'lots' })).toThrow(/PIPELINE_HEAP_MB .*must be a number/);
  });

  it('names every shard of the run from SageMaker\'s hosts', () => {
    const config = loadConfig({ env: required, argv: [], currentHost: 'algo-2', hosts: ['algo-1', 'algo-2'] });
    expect(config).toMatchObject({ shardId: 'algo-2', shards: ['algo-1', 'algo-2'] });
    expect(load().shards).toBeUndefined();
  });

  it('explains a malformed value', () => {
    expect(() => load({ MAX_REJECTED_RATIO: '2' })).toThrow(/MAX_REJECTED_RATIO .*<= 1/);
    expect(() => load({ KAFKA_TLS: 'yes' })).toThrow(/KAFKA_TLS .*"true" or "false"/);
    expect(() => load({ MLFLOW_TRACKING_URI: 'mlflow.internal' })).toThrow(/neither an http\(s\) URL nor/);
  });
});
