import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ScorerConfig, loadConfig } from '../../../apps/scorer/src/config';

/** A complete scorer configuration for tests, built through the real loader. */
export function testConfig(overrides: Record<string, string>): ScorerConfig {
  return loadConfig({
    env: {
      MLFLOW_TRACKING_URI: 'http://mlflow.test:5000',
      MODEL_NAME: 'churn',
      KAFKA_BROKERS: '127.0.0.1:1',
      KAFKA_TOPIC: 'predictions',
      KAFKA_DLQ_TOPIC: 'predictions.dlq',
      OUTPUT_PATH: mkdtempSync(path.join(tmpdir(), 'scorer-out-')),
      MODEL_CACHE_DIR: mkdtempSync(path.join(tmpdir(), 'scorer-models-')),
      RUN_ID: 'run-1',
      RUN_DATE: '2026-11-23',
      MLFLOW_RETRIES: '0',
      ...overrides,
    },
    argv: [],
  });
}
