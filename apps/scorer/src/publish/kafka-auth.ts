import type { ConnectionOptions } from 'node:tls';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { SASLOptions } from 'kafkajs';
import type { KafkaAuth, KafkaConfig } from '../config/schema';
import { readCredentialsSecret } from '../config/secrets';

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
  return (await readCredentialsSecret(client, secretArn, 'Kafka SASL')) as { username: string; password: string };
}

/** kafkajs' `ssl`: off, Node's default trust store (MSK: public CAs), or only the CA(s) from KAFKA_CA_FILE. */
export function tlsOptions(config: Pick<KafkaConfig, 'tls' | 'caPem'>): boolean | ConnectionOptions {
  if (!config.tls) return false;
  return config.caPem === undefined ? true : { ca: [config.caPem] };
}
