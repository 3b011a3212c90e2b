// The hardening every bucket of the stack gets, in one place: versioned, encrypted by default, all public access
// blocked, bucket-owner-enforced ownership (no ACLs), a policy denying every request without TLS (plus the
// bucket's own statements), and lifecycle rules. The resources are created in the caller's scope with fixed ids
// ("bucket", "versioning", …): those ids are the state addresses the artifact store has always had.
import type { Construct } from 'constructs';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration, type S3BucketLifecycleConfigurationRule } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { policyDocument, type PolicyStatement } from '../iam/policy-document';

export interface PrivateBucketProps {
  readonly bucketName: string;
  /** SSE-KMS with this key (with bucket keys), or SSE-S3 where a service cannot write to SSE-KMS buckets. */
  readonly encryption: { readonly kmsKeyArn: string } | 'sse-s3';
  /** Statements besides the TLS-only deny, e.g. a service principal allowed to write. */
  readonly policyStatements?: (bucketArn: string) => readonly PolicyStatement[];
  readonly lifecycleRules: readonly S3BucketLifecycleConfigurationRule[];
}

export interface PrivateBucket {
  readonly bucket: S3Bucket;
  readonly policy: S3BucketPolicy;
}

export function privateBucket(scope: Construct, props: PrivateBucketProps): PrivateBucket {
  const bucket = new S3Bucket(scope, 'bucket', { bucket: props.bucketName, forceDestroy: false });
  const id = bucket.id;

  new S3BucketVersioningA(scope, 'versioning', { bucket: id, versioningConfiguration: { status: 'Enabled' } });
  new S3BucketServerSideEncryptionConfigurationA(scope, 'encryption', {
    bucket: id,
    rule: [
      props.encryption === 'sse-s3'
        ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }
        : {
            applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.encryption.kmsKeyArn },
            // Bucket keys cut KMS requests (and cost) for the many small files a run writes.
            bucketKeyEnabled: true,
          },
    ],
  });
  new S3BucketPublicAccessBlock(scope, 'public-access-block', {
    bucket: id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(scope, 'ownership', { bucket: id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  const policy = new S3BucketPolicy(scope, 'policy', {
    bucket: id,
    policy: policyDocument(scope, 'policy-document', [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:*'],
        Resource: [bucket.arn, `${bucket.arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      ...(props.policyStatements?.(bucket.arn) ?? []),
    ]),
  });
  new S3BucketLifecycleConfiguration(scope, 'lifecycle', { bucket: id, rule: [...props.lifecycleRules] });
  return { bucket, policy };
}
