import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { SASLOptions } from 'kafkajs';
import type { KafkaAuth } from '../config/schema';
import { ConfigError, PublishError } from '../errors';

/**
 * SASL settings for kafkajs. SCRAM credentials come from a Secrets Manager secret at start-up (never from config);
 * MSK IAM signs a fresh OAUTHBEARER token whenever kafkajs (re)authenticates.
 */
export async function saslOptions(auth: KafkaAuth, secrets: () => SecretsManagerClient): Promise<SASLOptions | undefined> {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'scram-sha-256':
    case 'scram-sha-512': {
      const { username, password } = await scramSecret(secrets(), auth.secretArn);
      return { mechanism: auth.kind, username, password };
    }
    case 'msk-iam':
      return {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => {
          const token = await generateAuthToken({ region: auth.region });
          return { value: token.token };
        },
      };
  }
}

export async function scramSecret(client: SecretsManagerClient, secretArn: string): Promise<{ username: string; password: string }> {
  let secretString: string | undefined;
  try {
    secretString = (await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw new PublishError(`reading the Kafka SASL secret ${secretArn} failed`, { retryable: true, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString ?? '');
  } catch (error) {
    throw new ConfigError(`the Kafka SASL secret ${secretArn} is not JSON {"username","password"}`, error);
  }
  const value = parsed as { username?: unknown; password?: unknown };
  if (typeof value.username !== 'string' || typeof value.password !== 'string' || value.username === '') {
    throw new ConfigError(`the Kafka SASL secret ${secretArn} must hold {"username": "...", "password": "..."}`);
  }
  return { username: value.username, password: value.password };
}
