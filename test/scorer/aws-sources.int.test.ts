import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CredentialsError } from '../../apps/scorer/src/config/secrets';
import type { RunManifest } from '../../apps/scorer/src/manifest';
import { saslOptions } from '../../apps/scorer/src/publish/kafka-auth';
import { awsConfig, kafkaBrokers, mlflowTrackingUri, uniqueName } from '../support/services';
import { consumeCommitted } from './support/consume';
import { generateData, registerFixtureModel } from './support/mlflow-fixture';
import { localScorerEnv, runScorer } from './support/scorer-process';

jest.setTimeout(240_000);

describe('the scorer with AWS sources (S3 input, Secrets Manager credentials) on the AWS API emulator', () => {
  const aws = awsConfig();

  it('streams CSV and Parquet input from an s3:// prefix', async () => {
    const s3 = new S3Client({ ...aws, forcePathStyle: true });
    const bucket = uniqueName('scorer-input');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const work = mkdtempSync(path.join(tmpdir(), 'scorer-s3-'));
    const csv = await generateData(path.join(work, 'csv'), 1_500, { files: 2, seed: 31, badRows: 3 });
    const parquet = await generateData(path.join(work, 'pq'), 700, { format: 'parquet', seed: 32 });
    for (const [prefix, files] of [['a', csv.files], ['b', parquet.files]] as const) {
      for (const file of files) {
        // The second CSV file as an upstream export may deliver it: gzip'd.
        const gzip = file === csv.files[1];
        const key = `batch/2026-11-23/${prefix}-${path.basename(file)}${gzip ? '.gz' : ''}`;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzip ? gzipSync(readFileSync(file)) : readFileSync(file) }));
      }
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'batch/2026-11-23/_SUCCESS', Body: Buffer.alloc(0) }));
    s3.destroy();

    const model = uniqueName('churn');
    await registerFixtureModel(mlflowTrackingUri(), model, 'champion', 'churn');
    const topic = uniqueName('predictions');
    const output = path.join(work, 'out');
    const result = await runScorer({
      ...localScorerEnv({ model, topic, input: `s3://${bucket}/batch/2026-11-23/`, modelCacheDir: path.join(work, 'models') }),
      OUTPUT_PATH: output,
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    });
    expect(result.code).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(output, 'manifest.json'), 'utf8')) as RunManifest;
    expect(manifest.counts).toMatchObject({ read: 2_200, rejected: 3, published: 2_197 });
    expect(manifest.input.files.map((f) => f.source)).toEqual([
      `s3://${bucket}/batch/2026-11-23/a-part-00000.csv`,
      `s3://${bucket}/batch/2026-11-23/a-part-00001.csv.gz`,
      `s3://${bucket}/batch/2026-11-23/b-part-00000.parquet`,
    ]);
    expect(manifest.input.ignoredFiles).toEqual([`s3://${bucket}/batch/2026-11-23/_SUCCESS`]);
    expect(await consumeCommitted(kafkaBrokers(), topic, { expected: 2_197 })).toHaveLength(2_197);
  });

  it('reads SASL/SCRAM credentials from a Secrets Manager secret and explains a malformed one', async () => {
    const secrets = new SecretsManagerClient(aws);
    const good = await secrets.send(new CreateSecretCommand({ Name: uniqueName('kafka-scram'), SecretString: JSON.stringify({ username: 'scorer', password: 'p4ss' }) }));
    const bad = await secrets.send(new CreateSecretCommand({ Name: uniqueName('kafka-scram'), SecretString: 'user:pass' }));
    await expect(saslOptions({ kind: 'scram-sha-512', secretArn: good.ARN! }, () => secrets)).resolves.toEqual({
      mechanism: 'scram-sha-512',
      username: 'scorer',
      password: 'p4ss',
    });
    const error = await saslOptions({ kind: 'scram-sha-256', secretArn: bad.ARN! }, () => secrets).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error).toMatchObject({ code: 'CREDENTIALS_UNAVAILABLE', retryable: false, secretArn: bad.ARN });
    expect((error as Error).message).toMatch(/is not JSON \{"username","password"\}/);
    expect((error as Error).message).not.toContain('user:pass');
    secrets.destroy();
  });
});
