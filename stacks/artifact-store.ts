// The environment's S3 bucket for input data, run outputs and model artifacts: KMS-encrypted with its own
// customer-managed key, versioned, private, TLS only, and run outputs expire after the configured days.
import { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { policyDocument } from './iam/policy-document';
import { EncryptionKey } from './kms/encryption-key';

export interface ArtifactStoreProps {
  readonly accountId: string;
  readonly bucketName: string;
  readonly keyAlias: string;
  /** Key prefix of run outputs (training models, evaluations, scoring manifests and rejected rows). */
  readonly runOutputPrefix: string;
  readonly runOutputRetentionDays: number;
}

export class ArtifactStore extends Construct {
  readonly bucket: S3Bucket;
  readonly encryptionKey: EncryptionKey;

  constructor(scope: Construct, id: string, props: ArtifactStoreProps) {
    super(scope, id);
    // The account statement delegates use of the key to IAM: the execution role gets it in its own policy.
    this.encryptionKey = new EncryptionKey(this, 'key', {
      alias: props.keyAlias,
      description: `Data, models and run outputs in ${props.bucketName}`,
      accountId: props.accountId,
    });

    this.bucket = new S3Bucket(this, 'bucket', { bucket: props.bucketName, forceDestroy: false });
    const bucket = this.bucket.id;

    new S3BucketVersioningA(this, 'versioning', { bucket, versioningConfiguration: { status: 'Enabled' } });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.encryptionKey.arn },
          // Bucket keys cut KMS requests (and cost) for the many small files a run writes.
          bucketKeyEnabled: true,
        },
      ],
    });
    new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketPolicy(this, 'policy', {
      bucket,
      policy: policyDocument([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['s3:*'],
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]),
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      rule: [
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
    });
  }
}
