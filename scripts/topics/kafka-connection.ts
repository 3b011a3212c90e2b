// How topic:read reaches an environment's cluster: brokers, topic and TLS from the config, SASL through the
// scorer's own helper (SCRAM credentials from a Secrets Manager secret, MSK IAM tokens), so the reader
// authenticates exactly like the scorer that published the messages — or, with a secret of its own, like a
// consumer (with ACLs the scorer's user may only write). The brokers' CA comes the way the Score step gets it:
// the environment's kafka.caCertificateUri (downloaded with the operator's AWS credentials), or a local file.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { checkCaCertificates, readCaCertificates } from '../../apps/scorer/src/config';
import { parseS3Uri } from '../../apps/scorer/src/input/s3-files';
import type { KafkaAuth } from '../../apps/scorer/src/config/schema';
import { saslOptions, tlsOptions } from '../../apps/scorer/src/publish';
import { EnvironmentConfig } from '../../environments';
import { UsageError } from '../cli/errors';
import { ReadAndValidateOptions } from './read-and-validate';

export type KafkaConnection = Pick<ReadAndValidateOptions, 'brokers' | 'topic' | 'ssl' | 'sasl'>;

export interface ConnectionChoices {
  /** A PEM file with the brokers' CA, instead of the environment's kafka.caCertificateUri. */
  caFile?: string;
  /** Read the SCRAM credentials from this secret instead of the environment's (the scorer's). */
  saslSecretArn?: string;
}

export function scorerKafkaAuth(config: EnvironmentConfig, saslSecretArn?: string): KafkaAuth {
  const auth = config.kafka.auth;
  if (saslSecretArn !== undefined && auth.type !== 'sasl-scram') {
    throw new UsageError(`--sasl-secret-arn: environment ${config.name} does not use SASL/SCRAM (kafka.auth.type is "${auth.type}")`);
  }
  switch (auth.type) {
    case 'none':
      return { kind: 'none' };
    case 'sasl-scram':
      return { kind: auth.mechanism, secretArn: saslSecretArn ?? auth.secretArn };
    case 'msk-iam':
      return { kind: 'msk-iam', region: config.account.region };
  }
}

async function environmentCa(config: EnvironmentConfig, choices: ConnectionChoices, s3: () => S3Client): Promise<string | undefined> {
  if (choices.caFile !== undefined) return readCaCertificates(choices.caFile, '--ca-file');
  const uri = config.kafka.caCertificateUri;
  if (uri === undefined) return undefined;
  const { bucket, prefix: key } = parseS3Uri(uri);
  const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return checkCaCertificates(await object.Body!.transformToString('utf8'), `kafka.caCertificateUri ${uri}`);
}

export async function environmentKafkaConnection(
  config: EnvironmentConfig,
  secrets: () => SecretsManagerClient = () => new SecretsManagerClient({ region: config.account.region }),
  choices: ConnectionChoices = {},
  s3: () => S3Client = () => new S3Client({ region: config.account.region, forcePathStyle: process.env.AWS_ENDPOINT_URL !== undefined }),
): Promise<KafkaConnection> {
  if (choices.caFile !== undefined && !config.kafka.tls) throw new UsageError(`--ca-file: environment ${config.name} does not use TLS (kafka.tls is false)`);
  const sasl = await saslOptions(scorerKafkaAuth(config, choices.saslSecretArn), secrets);
  const ssl = tlsOptions({ tls: config.kafka.tls, caPem: config.kafka.tls ? await environmentCa(config, choices, s3) : undefined });
  return {
    brokers: config.kafka.brokers,
    topic: config.kafka.topic,
    ...(ssl === false ? {} : { ssl }),
    ...(sasl ? { sasl } : {}),
  };
}
