// What a secured run puts into the AWS emulator, the way a platform team provisions it in a real account before an
// environment is deployed: a customer-managed KMS key, the SCRAM credentials of the Kafka users and the MLflow
// app user's credentials as Secrets Manager secrets {"username","password"} encrypted with that key, and the
// broker's CA certificate as an S3 object (what a SageMaker job receives as a processing input).
import fs from 'node:fs';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, PutObjectCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AWS_TEST_CREDENTIALS } from './aws';
import type { Credentials, SecuritySettings } from './security';
import type { Endpoints } from './types';

export interface ProvisionedSecurity {
  /** Customer-managed key the secrets are encrypted with (MSK refuses SCRAM secrets under the AWS-managed key). */
  secretKmsKeyArn: string;
  kafka?: { producerSecretArn: string; consumerSecretArn: string; caUri: string };
  mlflow?: { credentialsSecretArn: string };
}

/** MSK only associates secrets whose name starts with AmazonMSK_; the local ones follow the same rule. */
export const SECRET_NAMES = {
  kafkaProducer: 'AmazonMSK_local-services-producer',
  kafkaConsumer: 'AmazonMSK_local-services-consumer',
  mlflowApp: 'local-services/mlflow-app',
} as const;
export const CA_OBJECT_KEY = 'kafka/ca.pem';

export const provisioningBucket = (accountId: string) => `local-services-${accountId}`;

export async function provisionSecurity(
  aws: NonNullable<Endpoints['aws']>,
  security: SecuritySettings,
  started: { kafka: boolean; mlflow: boolean },
): Promise<ProvisionedSecurity> {
  const config = { endpoint: aws.endpointUrl, region: aws.region, credentials: AWS_TEST_CREDENTIALS };
  const kms = new KMSClient(config);
  const secrets = new SecretsManagerClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  try {
    const key = await kms.send(
      new CreateKeyCommand({ Description: 'local services: encrypts the secrets of the secured services', KeyUsage: 'ENCRYPT_DECRYPT' }),
    );
    const secretKmsKeyArn = key.KeyMetadata?.Arn as string;
    const secret = async (name: string, value: Credentials, description: string) =>
      (
        await secrets.send(
          new CreateSecretCommand({ Name: name, Description: description, KmsKeyId: secretKmsKeyArn, SecretString: JSON.stringify(value) }),
        )
      ).ARN as string;
    const result: ProvisionedSecurity = { secretKmsKeyArn };
    if (started.kafka) {
      const bucket = provisioningBucket(aws.accountId);
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(aws.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: aws.region as BucketLocationConstraint } }),
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: CA_OBJECT_KEY, Body: fs.readFileSync(security.tls.caFile), ContentType: 'application/x-pem-file' }));
      result.kafka = {
        producerSecretArn: await secret(SECRET_NAMES.kafkaProducer, security.kafka.producer, 'SCRAM credentials of the producer user of the local broker'),
        consumerSecretArn: await secret(SECRET_NAMES.kafkaConsumer, security.kafka.consumer, 'SCRAM credentials of the consumer user of the local broker'),
        caUri: `s3://${bucket}/${CA_OBJECT_KEY}`,
      };
    }
    if (started.mlflow) {
      result.mlflow = { credentialsSecretArn: await secret(SECRET_NAMES.mlflowApp, security.mlflow.app, 'basic-auth credentials of the app user of the local MLflow server') };
    }
    return result;
  } finally {
    kms.destroy();
    secrets.destroy();
    s3.destroy();
  }
}
