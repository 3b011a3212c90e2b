import { Testing } from 'cdktf';
import { KEY_ACCOUNT_ACTIONS } from '../../stacks/kms/encryption-key';
import { policyStatements, reference, resource, resourcesOf, synthEnvironment } from './support/synthesized';

describe.each(['staging', 'prod'])('storage and image repositories of %s', (name) => {
  const synth = synthEnvironment(name);
  const bucketName = `mlp-${name}-${synth.config.account.id}-eu-central-1-data`;
  const bucketRef = reference(synth, 'aws_s3_bucket', (b) => b.bucket === bucketName, 'id');
  const onBucket = (r: { bucket: string }) => r.bucket === bucketRef;
  const artifactKey = (key: any) => key.description.startsWith('Data, models and run outputs');
  const keyArn = reference(synth, 'aws_kms_key', artifactKey, 'arn');

  it('creates the data bucket, never force-destroyed', () => {
    expect(Testing.toHaveResourceWithProperties(synth.raw, 'aws_s3_bucket', { bucket: bucketName, force_destroy: false })).toBe(true);
  });

  it('encrypts the bucket with its own customer-managed key with rotation', () => {
    expect(resource(synth, 'aws_kms_key', artifactKey)).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(resource(synth, 'aws_s3_bucket_server_side_encryption_configuration', onBucket)).toEqual({
      bucket: bucketRef,
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: keyArn }, bucket_key_enabled: true }],
    });
    expect(resource(synth, 'aws_kms_alias', (a) => a.name === `alias/mlp-${name}-artifacts`).target_key_id).toBe(
      reference(synth, 'aws_kms_key', artifactKey, 'key_id'),
    );
  });

  it('gives every key a policy with explicit actions only', () => {
    for (const key of Object.values(resourcesOf(synth, 'aws_kms_key'))) {
      const statements = policyStatements(synth, key.policy);
      expect(statements[0]).toEqual({
        Effect: 'Allow',
        Sid: 'AccountAdministersAndDelegatesKey',
        Principal: { AWS: `arn:aws:iam::${synth.config.account.id}:root` },
        Action: [...KEY_ACCOUNT_ACTIONS],
        Resource: '*',
      });
      for (const statement of statements) expect(statement.Action.filter((action: string) => action.includes('*'))).toEqual([]);
      expect(key.enable_key_rotation).toBe(true);
    }
  });

  it('versions the bucket, blocks public access and enforces bucket-owner ownership', () => {
    expect(resource(synth, 'aws_s3_bucket_versioning', onBucket)).toEqual({ bucket: bucketRef, versioning_configuration: { status: 'Enabled' } });
    expect(resource(synth, 'aws_s3_bucket_public_access_block', onBucket)).toEqual({
      bucket: bucketRef,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resource(synth, 'aws_s3_bucket_ownership_controls', onBucket).rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  });

  it('denies every request that does not use TLS', () => {
    const policy = resource(synth, 'aws_s3_bucket_policy', onBucket);
    const bucketArn = reference(synth, 'aws_s3_bucket', (b) => b.bucket === bucketName, 'arn');
    expect(policyStatements(synth, policy.policy)).toEqual([
      {
        Effect: 'Deny',
        Sid: 'DenyInsecureTransport',
        Principal: { AWS: '*' },
        Action: ['s3:*'],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  it('logs every request to the data bucket into the stack\'s access log bucket', () => {
    const logBucketName = `mlp-${name}-${synth.config.account.id}-eu-central-1-logs`;
    expect(resource(synth, 'aws_s3_bucket_logging')).toMatchObject({
      bucket: bucketRef,
      target_bucket: reference(synth, 'aws_s3_bucket', (b) => b.bucket === logBucketName, 'id'),
      target_prefix: `${bucketName}/`,
      depends_on: [expect.stringMatching(/^aws_s3_bucket_policy\.access-logs_policy_[A-F0-9]{8}$/)],
    });
  });

  it('expires run outputs after the configured days and aborts stale uploads', () => {
    const lifecycle = resource(synth, 'aws_s3_bucket_lifecycle_configuration', onBucket);
    expect(lifecycle.rule).toEqual([
      {
        id: 'expire-run-outputs',
        status: 'Enabled',
        filter: [{ prefix: 'runs/' }],
        expiration: [{ days: synth.config.data.runOutputRetentionDays }],
        noncurrent_version_expiration: [{ noncurrent_days: 7 }],
      },
      { id: 'abort-incomplete-uploads', status: 'Enabled', filter: [{ prefix: '' }], abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] },
    ]);
  });

  it.each(['trainer', 'scorer'])('creates the %s repository with immutable tags, scan on push and KMS', (image) => {
    const repository = resource(synth, 'aws_ecr_repository', (r) => r.name === `mlp-${name}/${image}`);
    expect(repository).toMatchObject({
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: 'KMS', kms_key: keyArn }],
    });
    const repositoryRef = reference(synth, 'aws_ecr_repository', (r) => r.name === `mlp-${name}/${image}`, 'name');
    const lifecycle = resource(synth, 'aws_ecr_lifecycle_policy', (p) => p.repository === repositoryRef);
    expect(JSON.parse(lifecycle.policy).rules).toEqual([
      expect.objectContaining({
        rulePriority: 1,
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: synth.config.images.untaggedExpiryDays },
        action: { type: 'expire' },
      }),
      expect.objectContaining({
        rulePriority: 2,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: synth.config.images.keepTaggedImages },
        action: { type: 'expire' },
      }),
    ]);
  });
});

describe.each(['staging', 'prod'])('access log bucket of %s', (name) => {
  const synth = synthEnvironment(name);
  const account = synth.config.account.id;
  const logBucketName = `mlp-${name}-${account}-eu-central-1-logs`;
  const logBucketRef = reference(synth, 'aws_s3_bucket', (b) => b.bucket === logBucketName, 'id');
  const logBucketArn = reference(synth, 'aws_s3_bucket', (b) => b.bucket === logBucketName, 'arn');
  const onLogBucket = (r: { bucket: string }) => r.bucket === logBucketRef;

  it('is versioned, private, owner-enforced and encrypted with SSE-S3 (S3 cannot deliver access logs to SSE-KMS)', () => {
    expect(resource(synth, 'aws_s3_bucket', (b) => b.bucket === logBucketName).force_destroy).toBe(false);
    expect(resource(synth, 'aws_s3_bucket_versioning', onLogBucket).versioning_configuration).toEqual({ status: 'Enabled' });
    expect(resource(synth, 'aws_s3_bucket_server_side_encryption_configuration', onLogBucket).rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } },
    ]);
    expect(resource(synth, 'aws_s3_bucket_public_access_block', onLogBucket)).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resource(synth, 'aws_s3_bucket_ownership_controls', onLogBucket).rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
  });

  it('denies non-TLS requests and lets only S3 logging write, only the data bucket\'s logs of this account', () => {
    const dataBucket = `mlp-${name}-${account}-eu-central-1-data`;
    expect(policyStatements(synth, resource(synth, 'aws_s3_bucket_policy', onLogBucket).policy)).toEqual([
      {
        Effect: 'Deny',
        Sid: 'DenyInsecureTransport',
        Principal: { AWS: '*' },
        Action: ['s3:*'],
        Resource: [logBucketArn, `${logBucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Effect: 'Allow',
        Sid: 'S3ServerAccessLogs0',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: ['s3:PutObject'],
        Resource: `${logBucketArn}/${dataBucket}/*`,
        Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${dataBucket}` }, StringEquals: { 'aws:SourceAccount': account } },
      },
    ]);
  });

  it('expires logs after the configured retention', () => {
    expect(resource(synth, 'aws_s3_bucket_lifecycle_configuration', onLogBucket).rule).toEqual([
      {
        id: 'expire-access-logs',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ days: synth.config.data.accessLogRetentionDays }],
        noncurrent_version_expiration: [{ noncurrent_days: 7 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      },
    ]);
  });
});
