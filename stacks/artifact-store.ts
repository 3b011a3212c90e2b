// The environment's S3 bucket for input data, run outputs and model artifacts: KMS-encrypted with its own
// customer-managed key, versioned, private, TLS only, server access logs to the stack's log bucket, and run
// outputs expire after the configured days.
import { Construct } from 'constructs';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import type { AccessLogBucket } from './access-log-bucket';
import { EncryptionKey } from './kms/encryption-key';
import { privateBucket } from './s3/private-bucket';

export interface ArtifactStoreProps {
  readonly accountId: string;
  readonly bucketName: string;
  readonly keyAlias: string;
  /** Key prefix of run outputs (training models, evaluations, scoring manifests and rejected rows). */
  readonly runOutputPrefix: string;
  readonly runOutputRetentionDays: number;
  readonly accessLogs: AccessLogBucket;
}

export class ArtifactStore extends Construct {
  readonly bucket: S3Bucket;
  readonly encryptionKey: EncryptionKey;

  constructor(scope: Construct, id: string, props: ArtifactStoreProps) {
    super(scope, id);
    // The account statement delegates use of the key to IAM: the job roles get it in their own policies.
    this.encryptionKey = new EncryptionKey(this, 'key', {
      alias: props.keyAlias,
      description: `Data, models and run outputs in ${props.bucketName}`,
      accountId: props.accountId,
    });

    this.bucket = privateBucket(this, {
      bucketName: props.bucketName,
      encryption: { kmsKeyArn: this.encryptionKey.arn },
      lifecycleRules: [
        {
          id: 'expire-run-outputs',
          status: 'Enabled',
          filter: [{ prefix: props.runOutputPrefix }],
          expiration: [{ days: props.runOutputRetentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
        },
        {
          // S3 rejects overlapping prefixes for the same action type, so the whole-bucket rule holds only
          // the multipart clean-up; input versions are kept (they are the record of what a run read).
          id: 'abort-incomplete-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    }).bucket;

    // Who read or wrote which object, for a bucket that holds confidential data. The log bucket's policy must
    // admit this bucket before S3 accepts the logging configuration.
    new S3BucketLoggingA(this, 'access-logging', {
      bucket: this.bucket.id,
      targetBucket: props.accessLogs.bucket.id,
      targetPrefix: props.accessLogs.prefixFor(props.bucketName),
      dependsOn: [props.accessLogs.policy],
    });
  }
}
