// The bucket S3 server access logs of the stack's buckets go to. Hardened like every bucket of the stack, but
// encrypted with SSE-S3: S3 does not deliver server access logs to a bucket whose default encryption is SSE-KMS.
// Only the logging service may write, only for the buckets named here, only for this account.
import { Construct } from 'constructs';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import type { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { privateBucket } from './s3/private-bucket';

export interface AccessLogBucketProps {
  readonly accountId: string;
  readonly bucketName: string;
  /** Names of the buckets that log here; each gets the prefix "<name>/". */
  readonly sourceBucketNames: readonly string[];
  readonly retentionDays: number;
}

export class AccessLogBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    const created = privateBucket(this, {
      bucketName: props.bucketName,
      encryption: 'sse-s3',
      policyStatements: (bucketArn) =>
        props.sourceBucketNames.map((source, index) => ({
          Sid: `S3ServerAccessLogs${index}`,
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: ['s3:PutObject'],
          Resource: `${bucketArn}/${this.prefixFor(source)}*`,
          Condition: {
            ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${source}` },
            StringEquals: { 'aws:SourceAccount': props.accountId },
          },
        })),
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: props.retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    this.bucket = created.bucket;
    this.policy = created.policy;
  }

  /** Key prefix of one source bucket's logs. */
  prefixFor(sourceBucketName: string): string {
    return `${sourceBucketName}/`;
  }
}
