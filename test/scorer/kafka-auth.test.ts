import { createHash, createHmac } from 'node:crypto';
import { saslOptions } from '../../apps/scorer/src/publish/kafka-auth';

const noSecrets = () => {
  throw new Error('Secrets Manager must not be called for this auth mode');
};

/**
 * SigV4 query presigning written out from AWS's specification (docs.aws.amazon.com/IAM/latest/UserGuide/
 * create-signed-request.html, "query string" variant), independent of the AWS SDK: the reference the MSK IAM token's
 * signature is checked against.
 */
function presignSignature(url: URL, secretAccessKey: string, region: string, service: string): string {
  const params = [...url.searchParams].filter(([k]) => k !== 'X-Amz-Signature' && k !== 'User-Agent');
  const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = params.map(([k, v]) => [encode(k), encode(v)]).sort(([a], [b]) => (a! < b! ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const amzDate = url.searchParams.get('X-Amz-Date')!;
  const canonical = ['GET', '/', query, `host:${url.host}`, '', 'host', createHash('sha256').update('').digest('hex')].join('\n');
  const scope = `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, amzDate.slice(0, 8)), region), service), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('Kafka authentication', () => {
  it('uses no SASL without auth', async () => {
    await expect(saslOptions({ kind: 'none' }, noSecrets)).resolves.toBeUndefined();
  });

  describe('MSK IAM (cannot run here: no MSK; the token is checked against the signer\'s documented format)', () => {
    const saved = { ...process.env };
    const credentials = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'session-token-example' };
    beforeEach(() => {
      Object.assign(process.env, credentials);
      delete process.env.AWS_PROFILE;
      jest.useFakeTimers({ now: new Date('2026-03-04T05:06:07Z'), doNotFake: ['nextTick', 'setImmediate'] });
    });
    afterEach(() => {
      jest.useRealTimers();
      process.env = { ...saved };
    });

    const token = async (region: string) => {
      const sasl = await saslOptions({ kind: 'msk-iam', region }, noSecrets);
      expect(sasl?.mechanism).toBe('oauthbearer');
      return (await (sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider()).value;
    };

    it('is an unpadded base64url presigned kafka-cluster:Connect URL of the region\'s MSK endpoint, valid 15 minutes', async () => {
      const value = await token('eu-west-1');
      expect(value).toMatch(/^[A-Za-z0-9_-]+$/);
      const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
      expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('https://kafka.eu-west-1.amazonaws.com/');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        Action: 'kafka-cluster:Connect',
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': 'AKIDEXAMPLE/20260304/eu-west-1/kafka-cluster/aws4_request',
        'X-Amz-Date': '20260304T050607Z',
        'X-Amz-Expires': '900',
        'X-Amz-SignedHeaders': 'host',
        'X-Amz-Security-Token': 'session-token-example',
        'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
        'User-Agent': expect.stringMatching(/^aws-msk-iam-sasl-signer-js\/\d+\.\d+\.\d+$/),
      });
    });

    it('carries the signature an independent SigV4 presign computes for those parameters', async () => {
      const url = new URL(Buffer.from(await token('eu-west-1'), 'base64url').toString('utf8'));
      expect(url.searchParams.get('X-Amz-Signature')).toBe(presignSignature(url, credentials.AWS_SECRET_ACCESS_KEY, 'eu-west-1', 'kafka-cluster'));
    });

    it('is signed for the configured region and changes with it', async () => {
      const other = new URL(Buffer.from(await token('ap-southeast-2'), 'base64url').toString('utf8'));
      expect(other.host).toBe('kafka.ap-southeast-2.amazonaws.com');
      expect(other.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20260304/ap-southeast-2/kafka-cluster/aws4_request');
    });
  });
});
