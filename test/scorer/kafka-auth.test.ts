import { saslOptions } from '../../apps/scorer/src/publish/kafka-auth';

const noSecrets = () => {
  throw new Error('Secrets Manager must not be called for this auth mode');
};

describe('Kafka authentication', () => {
  it('uses no SASL without auth', async () => {
    await expect(saslOptions({ kind: 'none' }, noSecrets)).resolves.toBeUndefined();
  });

  it('signs an MSK IAM OAUTHBEARER token with the AWS MSK signer for the configured region', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    try {
      const sasl = await saslOptions({ kind: 'msk-iam', region: 'eu-west-1' }, noSecrets);
      expect(sasl?.mechanism).toBe('oauthbearer');
      const token = await (sasl as { oauthBearerProvider: () => Promise<{ value: string }> }).oauthBearerProvider();
      // The token is a base64url presigned kafka-cluster:Connect URL for the region's MSK endpoint.
      const url = new URL(Buffer.from(token.value, 'base64url').toString('utf8'));
      expect(url.hostname).toBe('kafka.eu-west-1.amazonaws.com');
      expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/);
    } finally {
      process.env = saved;
    }
  });
});
