// One IAM role that one AWS service assumes for this account, with its permissions as named inline policies
// (one per concern, so a review and a test can read each on its own). No managed policies.
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { policyDocument, serviceTrustStatements, type PolicyStatement } from './policy-document';

export interface ServiceRoleProps {
  readonly name: string;
  readonly description: string;
  /** The service principal that may assume the role, e.g. "sagemaker.amazonaws.com". */
  readonly service: string;
  readonly accountId: string;
  readonly maxSessionDuration?: number;
  /** Inline policies by name; a policy with no statements is left out. */
  readonly policies: Readonly<Record<string, readonly PolicyStatement[]>>;
}

export class ServiceRole extends Construct {
  readonly role: IamRole;
  readonly policies: ReadonlyMap<string, IamRolePolicy>;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.name,
      description: props.description,
      assumeRolePolicy: policyDocument(this, 'trust-policy', serviceTrustStatements(props.service, props.accountId)),
      maxSessionDuration: props.maxSessionDuration,
    });
    const policies = new Map<string, IamRolePolicy>();
    for (const [name, statements] of Object.entries(props.policies)) {
      if (statements.length === 0) continue;
      policies.set(
        name,
        new IamRolePolicy(this, name, { name, role: this.role.id, policy: policyDocument(this, `${name}-document`, statements) }),
      );
    }
    this.policies = policies;
  }

  get arn(): string {
    return this.role.arn;
  }

  policy(name: string): IamRolePolicy {
    const policy = this.policies.get(name);
    if (!policy) throw new Error(`role ${this.node.path} has no policy "${name}"`);
    return policy;
  }
}
