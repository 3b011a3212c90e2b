import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MlflowClient, MlflowError, authenticator, parseArtifactUri } from '../../apps/scorer/src/mlflow';
import { TINY_MODEL_DIR, fakeMlflowFetch } from './support/fake-mlflow';

const client = (fetchImpl: typeof fetch, retries = 0) =>
  new MlflowClient({ trackingUri: 'http://mlflow.test:5000/', auth: { kind: 'none' }, fetchImpl, retries });

describe('MlflowClient', () => {
  it('resolves an alias to a model version and its download URI through the REST API', async () => {
    const fake = fakeMlflowFetch();
    const mlflow = client(fake.fetch);
    const version = await mlflow.getModelVersionByAlias('churn', 'champion');
    expect(version.version).toBe('4');
    expect(await mlflow.getDownloadUri('churn', '4')).toBe('mlflow-artifacts:/1/models/m-abc/artifacts');
    expect(fake.calls.map((c) => `${c.url.pathname}?${c.url.searchParams}`)).toEqual([
      '/api/2.0/mlflow/registered-models/alias?name=churn&alias=champion',
      '/api/2.0/mlflow/model-versions/get-download-uri?name=churn&version=4',
    ]);
  });

  it('downloads artifacts through the artifacts proxy and lists them relative to the artifact URI', async () => {
    const mlflow = client(fakeMlflowFetch().fetch);
    const uri = 'mlflow-artifacts:/1/models/m-abc/artifacts';
    expect((await mlflow.listArtifacts(uri)).map((f) => f.path)).toEqual(['MLmodel', 'model.onnx']);
    const target = path.join(mkdtempSync(path.join(tmpdir(), 'mlflow-')), 'model.onnx');
    await mlflow.downloadArtifact(uri, 'model.onnx', target);
    expect(readFileSync(target)).toEqual(readFileSync(path.join(TINY_MODEL_DIR, 'model.onnx')));
  });

  it('reports a missing alias as not found and not worth retrying', async () => {
    const error = await client(fakeMlflowFetch().fetch).getModelVersionByAlias('churn', 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowError);
    expect(error).toMatchObject({ notFound: true, retryable: false, status: 404 });
    expect((error as Error).message).toMatch(/model "churn" has no alias "nope".*alias nope not found/);
    const noModel = await client(fakeMlflowFetch().fetch).getModelVersionByAlias('other', 'champion').catch((e: unknown) => e);
    expect(noModel).toMatchObject({ notFound: true, retryable: false, status: 404 });
  });

  it('retries server errors and then reports them as retryable', async () => {
    const fake = fakeMlflowFetch({ failWith: 503 });
    const error = await client(fake.fetch, 2).getModelVersion('churn', '4').catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, status: 503 });
    expect(fake.calls).toHaveLength(3);
  });

  it('reports an unreachable server as retryable, naming where it tried', async () => {
    const refused = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    const error = await client(refused).getModelVersion('churn', '4').catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/MLflow at http:\/\/mlflow.test:5000 is unreachable/);
  });

  it('accepts proxy and S3 artifact URIs and refuses anything it would have to guess', () => {
    expect(parseArtifactUri('mlflow-artifacts://host:5000/1/m/artifacts/')).toEqual({ kind: 'proxy', path: '1/m/artifacts' });
    expect(parseArtifactUri('s3://bucket/mlflow/1/m')).toEqual({ kind: 's3', bucket: 'bucket', path: 'mlflow/1/m' });
    expect(() => parseArtifactUri('file:///tmp/mlruns/1')).toThrow(/--serve-artifacts/);
  });
});

describe('MLflow authentication', () => {
  const request = () => ({ method: 'GET', url: new URL('https://eu-west-1.experiments.sagemaker.aws/api/2.0/mlflow/model-versions/get?name=churn&version=4'), headers: {} });

  it('signs SageMaker managed MLflow requests with SigV4 for service sagemaker-mlflow and sends the server ARN', async () => {
    const arn = 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/main';
    const sign = authenticator(
      { kind: 'sigv4', region: 'eu-west-1', trackingServerArn: arn },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    );
    const headers = await sign(request());
    expect(headers['x-mlflow-sm-tracking-server-arn']).toBe(arn);
    expect(headers['x-amz-security-token']).toBe('token');
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    const date = headers['x-amz-date'].slice(0, 8);
    expect(headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date}/eu-west-1/sagemaker-mlflow/aws4_request, SignedHeaders=[^,]*host[^,]*;x-mlflow-sm-tracking-server-arn[^,]*, Signature=[0-9a-f]{64}$`),
    );
  });

  it('the client sends signed requests to the regional SageMaker MLflow endpoint', async () => {
    const fake = fakeMlflowFetch();
    const arn = 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/main';
    const mlflow = new MlflowClient({
      trackingUri: arn,
      auth: { kind: 'sigv4', region: 'eu-west-1', trackingServerArn: arn },
      fetchImpl: fake.fetch,
      authenticate: authenticator({ kind: 'sigv4', region: 'eu-west-1', trackingServerArn: arn }, { accessKeyId: 'AKID', secretAccessKey: 's' }),
    });
    await mlflow.getModelVersion('churn', '4');
    expect(fake.calls[0].url.origin).toBe('https://eu-west-1.experiments.sagemaker.aws');
    expect(fake.calls[0].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('adds bearer and basic credentials', async () => {
    expect((await authenticator({ kind: 'bearer', token: 't0k' })(request())).authorization).toBe('Bearer t0k');
    expect((await authenticator({ kind: 'basic', username: 'u', password: 'p' })(request())).authorization).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
  });
});
