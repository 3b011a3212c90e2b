// IAM policy documents as typed values, synthesized as `data "aws_iam_policy_document"` blocks whose `.json`
// the policy attributes reference. Terraform renders them locally (no AWS call), and the synthesized JSON keeps
// the statements as structured blocks, so policy scanners (checkov) can read them: a JSON string policy is
// opaque to its IAM checks.
//
// Allowed actions are always listed explicitly (no "service:*"); a "*" resource is only written through
// UNSCOPABLE, with the reason. A Deny may use a wildcard action: denying more is the safe direction (e.g. every
// S3 call without TLS).
import type { Construct } from 'constructs';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';

export type Principal = { readonly AWS: string | readonly string[] } | { readonly Service: string | readonly string[] };

export type ConditionValue = string | boolean | readonly string[];

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect?: 'Allow' | 'Deny';
  readonly Principal?: Principal;
  readonly Action: readonly string[];
  /** Left out only in trust policies, whose resource is the role itself. */
  readonly Resource?: string | readonly string[];
  /** Operator → condition key → value(s), as in IAM JSON, e.g. { StringEquals: { 'aws:SourceAccount': '1234…' } }. */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, ConditionValue>>>>;
}

/**
 * The resource for APIs that have no resource-level permissions. Every use says which API and why, and tests
 * check that "*" appears only with those actions.
 */
export const UNSCOPABLE = '*';

const list = (value: string | readonly string[]): string[] => (typeof value === 'string' ? [value] : [...value]);

/** Refuses an Allow with a wildcard action: every permission is listed, so a review sees exactly what is granted. */
export function validateStatements(statements: readonly PolicyStatement[]): void {
  if (statements.length === 0) throw new Error('policy document has no statements');
  const sids = new Set<string>();
  for (const statement of statements) {
    if (sids.has(statement.Sid)) throw new Error(`policy statement ${statement.Sid}: Sid is used twice in one document`);
    sids.add(statement.Sid);
    const wildcard = statement.Effect === 'Deny' ? undefined : statement.Action.find((action) => action.includes('*'));
    if (wildcard) throw new Error(`policy statement ${statement.Sid}: wildcard action "${wildcard}" is not allowed, list the actions`);
  }
}

/** One statement in the aws_iam_policy_document block shape (Terraform renders it back to IAM JSON). */
export function toDocumentStatement(statement: PolicyStatement): DataAwsIamPolicyDocumentStatement {
  const principal = statement.Principal;
  return {
    sid: statement.Sid,
    effect: statement.Effect ?? 'Allow',
    actions: [...statement.Action],
    resources: statement.Resource === undefined ? undefined : list(statement.Resource),
    principals: principal
      ? Object.entries(principal).map(([type, identifiers]) => ({ type, identifiers: list(identifiers as string | readonly string[]) }))
      : undefined,
    condition: statement.Condition
      ? Object.entries(statement.Condition).flatMap(([test, keys]) =>
          Object.entries(keys).map(([variable, value]) => ({
            test,
            variable,
            values: typeof value === 'boolean' ? [String(value)] : list(value),
          })),
        )
      : undefined,
  };
}

/**
 * Declares the policy document as a data source in `scope` and returns its rendered JSON (a Terraform reference),
 * to pass as a `policy` / `assume_role_policy` attribute. Data sources hold no state: their ids can change freely.
 */
export function policyDocument(scope: Construct, id: string, statements: readonly PolicyStatement[]): string {
  validateStatements(statements);
  return new DataAwsIamPolicyDocument(scope, id, { statement: statements.map(toDocumentStatement) }).json;
}

/** Trust policy letting one AWS service assume a role, only on behalf of this account. */
export function serviceTrustStatements(service: string, accountId: string): PolicyStatement[] {
  return [
    {
      Sid: 'TrustService',
      Principal: { Service: service },
      Action: ['sts:AssumeRole'],
      Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
    },
  ];
}
