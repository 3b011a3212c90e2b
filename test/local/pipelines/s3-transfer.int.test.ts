// The executor's S3 code against the AWS API emulator: listing with pagination, downloads, manifests, uploads with
// SSE-KMS, and how S3 errors are classified (they decide whether a retry policy applies).
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ObjectStoreError, s3ObjectStore } from '../../../scripts/local/pipelines/s3/object-store';
import { downloadObjects, listInputObjects, shardObjects, uploadDirectory } from '../../../scripts/local/pipelines/s3/transfer';
import { awsConfig, uniqueName } from '../../support/services';

jest.setTimeout(120_000);

const aws = awsConfig();
const s3 = new S3Client({ ...aws, forcePathStyle: true });
const store = s3ObjectStore({ endpointUrl: aws.endpoint, region: aws.region, credentials: aws.credentials });
const bucket = uniqueName('executor-transfer');
const KMS_KEY = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000001';

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => {
  s3.destroy();
  store.destroy();
});

const put = (key: string, body: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body) }));

describe('S3 transfer of the local pipeline executor, against the AWS API emulator', () => {
  it('lists every object under a prefix across pages, shards them and downloads each share', async () => {
    const keys = Array.from({ length: 1_003 }, (_, i) => `many/part-${String(i).padStart(4, '0')}.csv`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => put(key, `row ${key}\n`)));
    await put('many/', '');
    const listed = await listInputObjects(store, `s3://${bucket}/many/`, 'S3Prefix');
    expect(listed.objects).toHaveLength(1_003);
    expect(listed.objects[0]).toEqual({ key: 'many/part-0000.csv', size: 'row many/part-0000.csv\n'.length, relativePath: 'part-0000.csv' });

    const share = shardObjects(listed.objects, 3, 2);
    const dir = mkdtempSync(path.join(tmpdir(), 'transfer-'));
    const downloaded = await downloadObjects(store, bucket, share, dir);
    expect(downloaded.files).toBe(334);
    expect(readdirSync(dir)).toHaveLength(334);
    expect(readFileSync(path.join(dir, 'part-0002.csv'), 'utf8')).toBe('row many/part-0002.csv\n');
  });

  it('reads a manifest file and downloads the objects it names, under their relative names', async () => {
    await put('data/a/one.csv', '1');
    await put('data/b/two.csv', '2');
    await put('manifests/input.json', JSON.stringify([{ prefix: `s3://${bucket}/data/` }, 'a/one.csv', 'b/two.csv']));
    const listed = await listInputObjects(store, `s3://${bucket}/manifests/input.json`, 'ManifestFile');
    const dir = mkdtempSync(path.join(tmpdir(), 'transfer-'));
    await downloadObjects(store, listed.bucket, listed.objects, dir);
    expect(readFileSync(path.join(dir, 'a/one.csv'), 'utf8')).toBe('1');
    expect(readFileSync(path.join(dir, 'b/two.csv'), 'utf8')).toBe('2');
  });

  it('uploads a folder with the KMS key id from the job (SSE-KMS), keeping relative paths', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'transfer-'));
    mkdirSync(path.join(dir, 'algo-1'));
    writeFileSync(path.join(dir, 'algo-1', 'manifest.json'), '{"ok":true}');
    writeFileSync(path.join(dir, 'summary.txt'), 'done');
    const result = await uploadDirectory(store, dir, `s3://${bucket}/runs/abc/output`, { kmsKeyId: KMS_KEY });
    expect(result).toEqual({ files: 2, bytes: 15 });
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'runs/abc/output/algo-1/manifest.json' }));
    expect(head).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY });
    await expect(store.read(bucket, 'runs/abc/output/summary.txt')).resolves.toEqual(Buffer.from('done'));
  });

  it('classifies a missing key and a missing bucket as NotFound (a ClientError, not retried)', async () => {
    const missingKey = await store.read(bucket, 'nope.json').catch((e: unknown) => e);
    expect(missingKey).toBeInstanceOf(ObjectStoreError);
    expect(missingKey).toMatchObject({ kind: 'NotFound', retryable: false });
    const missingBucket = await listInputObjects(store, `s3://${uniqueName('no-such-bucket')}/x/`, 'S3Prefix').catch((e: unknown) => e);
    expect(missingBucket).toMatchObject({ kind: 'NotFound' });
    expect((missingBucket as Error).message).toMatch(/NoSuchBucket/);
  });

  it('classifies an unreachable endpoint as a retryable network failure', async () => {
    const offline = s3ObjectStore({ endpointUrl: 'http://127.0.0.1:9', region: aws.region, credentials: aws.credentials });
    const error = await offline.read(bucket, 'x').catch((e: unknown) => e);
    offline.destroy();
    expect(error).toMatchObject({ kind: 'Network', retryable: true });
  });
});
