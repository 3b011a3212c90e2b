// topic:read --env reads SCRAM credentials from the environment's Secrets Manager secret through the scorer's
// helper; here the secret lives in the AWS emulator.
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { EnvironmentConfig, loadEnvironment } from '../../environments';
import { environmentKafkaConnection } from '../../scripts/topics/kafka-connection';

const staging = loadEnvironment('staging');
const secrets = new SecretsManagerClient({ region: staging.account.region });

function withSecret(secretArn: string): EnvironmentConfig {
  const secretKmsKeyArn = 'arn:aws:kms:eu-central-1:111111111111:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
  return { ...staging, kafka: { ...staging.kafka, auth: { type: 'sasl-scram', mechanism: 'scram-sha-512', secretArn, secretKmsKeyArn } } };
}

afterAll(() => secrets.destroy());

describe('the Kafka connection of an environment', () => {
  it('takes brokers, topic and TLS from the config and the SCRAM credentials from the secret', async () => {
    const created = await secrets.send(new CreateSecretCommand({ Name: `kafka-reader-${randomUUID()}`, SecretString: JSON.stringify({ username: 'reader', password: 's3cret' }) }));
    const connection = await environmentKafkaConnection(withSecret(created.ARN!), () => secrets);
    expect(connection).toEqual({
      brokers: staging.kafka.brokers,
      topic: staging.kafka.topic,
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'reader', password: 's3cret' },
    });
  });

  it('names the secret when it does not hold {"username","password"}', async () => {
    const created = await secrets.send(new CreateSecretCommand({ Name: `kafka-reader-${randomUUID()}`, SecretString: 'reader:s3cret' }));
    await expect(environmentKafkaConnection(withSecret(created.ARN!), () => secrets)).rejects.toThrow(`the Kafka SASL secret ${created.ARN} is not JSON`);
  });
});
