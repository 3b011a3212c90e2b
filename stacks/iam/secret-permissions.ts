// Reading a Secrets Manager secret (Kafka's SCRAM credentials, MLflow's credentials): one shape for every job role.
import type { PolicyStatement } from './policy-document';

/**
 * Read<what>Credentials on the secret, and Decrypt<what>Credentials on its customer-managed key when there is one.
 * GetSecretValue decrypts with the secret's key on the caller's behalf: the key is usable only through Secrets Manager,
 * in the secret's region (from its ARN).
 */
export function secretReadStatements(what: string, secretArn: string, kmsKeyArn: string | undefined): PolicyStatement[] {
  const read: PolicyStatement = { Sid: `Read${what}Credentials`, Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: secretArn };
  if (kmsKeyArn === undefined) return [read];
  return [
    read,
    {
      Sid: `Decrypt${what}Credentials`,
      Action: ['kms:Decrypt'],
      Resource: kmsKeyArn,
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${secretArn.split(':')[3]}.amazonaws.com` } },
    },
  ];
}
