// A customer-managed KMS key with rotation on, an alias, and a key policy built from explicit statements.
// Each construct that encrypts something (artifact store, schedule DLQ, alert topic) owns its key, so each
// key policy names only the services and roles that use that key.
import { Construct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { policyDocument, type PolicyStatement } from '../iam/policy-document';

// Key administration and use by the account, so IAM policies in this account can grant the key further.
// Listed explicitly (no "kms:*"); in a key policy, Resource "*" means "this key".
export const KEY_ACCOUNT_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:RetireGrant',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

export interface EncryptionKeyProps {
  readonly alias: string;
  readonly description: string;
  readonly accountId: string;
  /** Statements for the services or roles that use the key, in addition to the account statement. */
  readonly usageStatements?: readonly PolicyStatement[];
}

export class EncryptionKey extends Construct {
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    this.key = new KmsKey(this, 'key', {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument(this, 'policy-document', [
        {
          Sid: 'AccountAdministersAndDelegatesKey',
          Principal: { AWS: `arn:aws:iam::${props.accountId}:root` },
          Action: KEY_ACCOUNT_ACTIONS,
          Resource: '*',
        },
        ...(props.usageStatements ?? []),
      ]),
    });
    new KmsAlias(this, 'alias', { name: props.alias, targetKeyId: this.key.keyId });
  }

  get arn(): string {
    return this.key.arn;
  }
}
