// IAM policy documents as typed values, rendered to the JSON string the provider expects. Allowed actions are
// always listed explicitly (no "service:*"); a "*" resource is only written through UNSCOPABLE, with the reason.
// A Deny may use a wildcard action: denying more is the safe direction (e.g. every S3 call without TLS).
export type Principal = { readonly AWS: string | readonly string[] } | { readonly Service: string | readonly string[] };

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect?: 'Allow' | 'Deny';
  readonly Principal?: Principal;
  readonly Action: readonly string[];
  /** Left out only in trust policies, whose resource is the role itself. */
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | boolean | readonly string[]>>>>;
}

/**
 * The resource for APIs that have no resource-level permissions. Every use says which API and why, and tests
 * check that "*" appears only with those actions.
 */
export const UNSCOPABLE = '*';

export function policyDocument(statements: readonly PolicyStatement[]): string {
  for (const statement of statements) {
    const wildcard = statement.Effect === 'Deny' ? undefined : statement.Action.find((action) => action.includes('*'));
    if (wildcard) throw new Error(`policy statement ${statement.Sid}: wildcard action "${wildcard}" is not allowed, list the actions`);
  }
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((statement) => ({ Effect: 'Allow', ...statement })),
  });
}

/** Trust policy letting one AWS service assume a role, only on behalf of this account. */
export function serviceTrustPolicy(service: string, accountId: string): string {
  return policyDocument([
    {
      Sid: 'TrustService',
      Principal: { Service: service },
      Action: ['sts:AssumeRole'],
      Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
    },
  ]);
}
