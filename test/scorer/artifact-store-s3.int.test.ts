// The artifact store's S3 branch (an MLflow server whose artifact store is S3, as SageMaker managed MLflow's is:
// clients read and write the objects themselves) against the AWS API emulator: what a promotion uploads into a
// logged model's s3:// artifact URI lists and downloads back byte for byte, nested folders included.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ArtifactStore, MlflowTransport } from '../../apps/scorer/src/mlflow';
import { awsConfig, uniqueName } from '../support/services';
import { TINY_MODEL_DIR } from './support/fake-mlflow';

jest.setTimeout(60_000);

describe('MLflow artifacts on S3', () => {
  const s3 = new S3Client({ ...awsConfig(), forcePathStyle: true });
  const bucket = uniqueName('mlflow-artifacts');
  // No MLflow call is made for s3:// URIs; the transport is only there for proxied ones.
  const store = new ArtifactStore(new MlflowTransport({ trackingUri: 'http://127.0.0.1:9', auth: { kind: 'none' } }), s3);
  const uri = `s3://${bucket}/prod/2/models/m-0123abcd/artifacts/`;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(() => s3.destroy());

  it('uploads files under an artifact URI, lists them recursively relative to it, and downloads them unchanged', async () => {
    const onnx = readFileSync(path.join(TINY_MODEL_DIR, 'model.onnx'));
    const mlmodel = readFileSync(path.join(TINY_MODEL_DIR, 'MLmodel'));
    await store.upload(uri, 'MLmodel', mlmodel);
    await store.upload(uri, 'model.onnx', onnx);
    await store.upload(uri, 'extra/notes/readme.txt', Buffer.from('hello'));

    expect(await store.listTree(uri)).toEqual([
      { path: 'extra/notes/readme.txt', is_dir: false, file_size: 5 },
      { path: 'MLmodel', is_dir: false, file_size: mlmodel.length },
      { path: 'model.onnx', is_dir: false, file_size: onnx.length },
    ]);
    expect(await store.list(uri, 'extra')).toEqual([{ path: 'extra/notes', is_dir: true }]);

    const dir = mkdtempSync(path.join(tmpdir(), 's3-artifacts-'));
    await store.download(uri, 'model.onnx', path.join(dir, 'model.onnx'));
    await store.download(uri, 'extra/notes/readme.txt', path.join(dir, 'readme.txt'));
    expect(readFileSync(path.join(dir, 'model.onnx'))).toEqual(onnx);
    expect(readFileSync(path.join(dir, 'readme.txt'), 'utf8')).toBe('hello');
  });

  it('names the object when a write fails', async () => {
    const error = await store.upload(`s3://${uniqueName('no-such-bucket')}/x`, 'MLmodel', Buffer.from('x')).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^writing s3:\/\/no-such-bucket-.*\/x\/MLmodel failed$/);
  });
});
