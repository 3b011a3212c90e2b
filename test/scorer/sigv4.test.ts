// SigV4 for SageMaker managed MLflow. The signer is the AWS SDK's (@smithy/signature-v4), not ours; what is ours
// is the wiring: which service name and region, which headers are signed, how a request's URL, query and body reach
// the signer. Both are pinned here with known answers:
// - AWS's published Signature Version 4 test suite (get-vanilla, get-vanilla-query-order-key-case, post-vanilla;
//   docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html, the same vectors as in
//   github.com/awslabs/aws-c-auth tests/aws-signing-test-suite/v4/<name>/header-signature.txt), run through our
//   request mapping with the suite's credentials, region, service and instant;
// - the Authorization headers AWS's own client for managed MLflow computes for MLflow requests: the sagemaker-mlflow
//   plugin (pinned in apps/trainer/requirements.txt, 0.5.0) signs with botocore's SigV4Auth, service
//   "sagemaker-mlflow" for an mlflow-tracking-server ARN (sagemaker_mlflow/auth_provider.py
//   `_get_auth_service_name`), at https://<region>.experiments.sagemaker.<dns suffix>
//   (sagemaker_mlflow/mlflow_sagemaker_helpers.py) with header x-mlflow-sm-tracking-server-arn
//   (sagemaker_mlflow/mlflow_sagemaker_request_header_provider.py). The expected values were computed with
//   botocore 1.44.8's SigV4Auth at 2026-03-04T05:06:07Z:
//     SigV4Auth(Credentials(AKID, SECRET, "session-token-example"), "sagemaker-mlflow", "eu-west-1").add_auth(
//       AWSRequest(method, url, data=body, headers={"x-mlflow-sm-tracking-server-arn": ARN[, "content-type": ...]}))
import { SAGEMAKER_MLFLOW_SERVICE, TRACKING_SERVER_ARN_HEADER, authenticator, sigv4Authenticator, trackingBaseUrl } from '../../apps/scorer/src/mlflow/auth';
import { loadConfig } from '../../apps/scorer/src/config';

const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  at: new Date('2015-08-30T12:36:00Z'),
};
const SCOPE = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=';

describe('SigV4 wiring against AWS\'s published test suite', () => {
  beforeEach(() => jest.useFakeTimers({ now: SUITE.at, doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it.each([
    ['get-vanilla', 'GET', 'https://example.amazonaws.com/', undefined, '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['get-vanilla-query-order-key-case', 'GET', 'https://example.amazonaws.com/?Param2=value2&Param1=value1', undefined, 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ['post-vanilla', 'POST', 'https://example.amazonaws.com/', undefined, '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
  ])('%s', async (_name, method, url, body, signature) => {
    const sign = sigv4Authenticator({ region: SUITE.region, service: SUITE.service }, SUITE.credentials);
    const headers = await sign({ method, url: new URL(url), headers: {}, body });
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toBe(`${SCOPE}${signature}`);
  });
});

describe('SigV4 for SageMaker managed MLflow, compared with AWS\'s own client', () => {
  const arn = 'arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/main';
  const credentials = { ...SUITE.credentials, sessionToken: 'session-token-example' };
  const base = trackingBaseUrl(arn, { kind: 'sigv4', region: 'eu-west-1', trackingServerArn: arn });
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-03-04T05:06:07Z'), doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('is reached at the region\'s experiments endpoint and signed for service sagemaker-mlflow, as the config derives from the ARN', () => {
    expect(base).toBe('https://eu-west-1.experiments.sagemaker.aws');
    expect(SAGEMAKER_MLFLOW_SERVICE).toBe('sagemaker-mlflow');
    expect(TRACKING_SERVER_ARN_HEADER).toBe('x-mlflow-sm-tracking-server-arn');
    const config = loadConfig({ env: { MLFLOW_TRACKING_URI: arn, MODEL_NAME: 'm', KAFKA_BROKERS: 'b:1', KAFKA_TOPIC: 't', KAFKA_DLQ_TOPIC: 'd' }, argv: [] });
    expect(config.mlflow.auth).toEqual({ kind: 'sigv4', region: 'eu-west-1', trackingServerArn: arn });
  });

  it('signs a GET with a query exactly as botocore does for the plugin', async () => {
    const sign = authenticator({ kind: 'sigv4', region: 'eu-west-1', trackingServerArn: arn }, credentials);
    const headers = await sign({ method: 'GET', url: new URL(`${base}/api/2.0/mlflow/registered-models/alias?name=churn&alias=champion`), headers: {} });
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/eu-west-1/sagemaker-mlflow/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token;x-mlflow-sm-tracking-server-arn, Signature=8a5ea34658a5efa78d0eb9094806bbb0e8319f67aef0bff891361c53eb6d21cf',
    );
    expect(headers).toMatchObject({ 'x-amz-security-token': 'session-token-example', [TRACKING_SERVER_ARN_HEADER]: arn });
    expect(headers).not.toHaveProperty('x-amz-content-sha256');
  });

  it('signs a JSON POST (its body and content type) exactly as botocore does for the plugin', async () => {
    const sign = authenticator({ kind: 'sigv4', region: 'eu-west-1', trackingServerArn: arn }, credentials);
    const headers = await sign({
      method: 'POST',
      url: new URL(`${base}/api/2.0/mlflow/registered-models/alias`),
      headers: { 'content-type': 'application/json' },
      body: '{"name":"churn","alias":"champion","version":"4"}',
    });
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/eu-west-1/sagemaker-mlflow/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-mlflow-sm-tracking-server-arn, Signature=4e016fe4a1861dea6fa9b4ce3318d0cd3ea3939994040e7f0f9ccaa33351ad7f',
    );
  });
});
