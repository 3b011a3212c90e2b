// How topic:read reaches an environment's cluster: brokers, topic and TLS from the config, SASL through the
// scorer's own helper (SCRAM credentials from the Secrets Manager secret, MSK IAM tokens), so the reader
// authenticates exactly like the scorer that published the messages.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { KafkaAuth } from '../../apps/scorer/src/config/schema';
import { saslOptions } from '../../apps/scorer/src/publish';
import { EnvironmentConfig } from '../../environments';
import { ReadAndValidateOptions } from './read-and-validate';

export type KafkaConnection = Pick<ReadAndValidateOptions, 'brokers' | 'topic' | 'ssl' | 'sasl'>;

export function scorerKafkaAuth(config: EnvironmentConfig): KafkaAuth {
  const auth = config.kafka.auth;
  switch (auth.type) {
    case 'none':
      return { kind: 'none' };
    case 'sasl-scram':
      return { kind: auth.mechanism, secretArn: auth.secretArn };
    case 'msk-iam':
      return { kind: 'msk-iam', region: config.account.region };
  }
}

export async function environmentKafkaConnection(
  config: EnvironmentConfig,
  secrets: () => SecretsManagerClient = () => new SecretsManagerClient({ region: config.account.region }),
): Promise<KafkaConnection> {
  const sasl = await saslOptions(scorerKafkaAuth(config), secrets);
  return {
    brokers: config.kafka.brokers,
    topic: config.kafka.topic,
    ...(config.kafka.tls ? { ssl: true } : {}),
    ...(sasl ? { sasl } : {}),
  };
}
