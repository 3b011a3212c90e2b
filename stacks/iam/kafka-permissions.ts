// What the scoring job needs to publish to Kafka: the SASL/SCRAM secret by ARN (its value never reaches
// Terraform) and the customer-managed key MSK requires it to be encrypted with, or MSK IAM on the two topics;
// and the brokers' CA object when it is configured (kafka.caCertificateUri).
import type { EnvironmentConfig } from '../../environments';
import type { PolicyStatement } from './policy-document';
import { secretReadStatements } from './secret-permissions';
import { scorerTopics } from '../../environments/lib/kafka-topics';

export function kafkaStatements(kafka: EnvironmentConfig['kafka']): PolicyStatement[] {
  return [...caStatements(kafka.caCertificateUri), ...credentialStatements(kafka)];
}

/** SageMaker downloads the brokers' CA (an S3Prefix processing input: list, then get) with the job's role. */
function caStatements(uri: string | undefined): PolicyStatement[] {
  if (!uri) return [];
  const [bucket, ...key] = uri.slice('s3://'.length).split('/');
  return [
    { Sid: 'ListKafkaCaCertificate', Action: ['s3:ListBucket'], Resource: `arn:aws:s3:::${bucket}`, Condition: { StringLike: { 's3:prefix': key.join('/') } } },
    { Sid: 'ReadKafkaCaCertificate', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::${bucket}/${key.join('/')}` },
  ];
}

function credentialStatements(kafka: EnvironmentConfig['kafka']): PolicyStatement[] {
  const auth = kafka.auth;
  if (auth.type === 'none') return [];
  if (auth.type === 'sasl-scram') return secretReadStatements('Kafka', auth.secretArn, auth.secretKmsKeyArn);
  // arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> → topic/… and transactional-id/… of the same cluster.
  const [base, clusterPath] = auth.clusterArn.split(':cluster/') as [string, string];
  return [
    {
      Sid: 'ConnectToCluster',
      Action: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
      Resource: auth.clusterArn,
    },
    {
      Sid: 'PublishPredictions',
      Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      // With the end-of-run records' topic `<topic>.runs` (docs/prediction-contract.md).
      Resource: scorerTopics(kafka).map((topic) => `${base}:topic/${clusterPath}/${topic}`),
    },
    {
      // Transactions make a run all-or-nothing for read_committed consumers; ids are per topic and shard.
      Sid: 'UseTransactions',
      Action: ['kafka-cluster:AlterTransactionalId', 'kafka-cluster:DescribeTransactionalId'],
      Resource: `${base}:transactional-id/${clusterPath}/*`,
    },
  ];
}
