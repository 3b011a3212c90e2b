import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import { policyDocument, serviceTrustStatements, toDocumentStatement, validateStatements } from '../../stacks/iam/policy-document';

describe('policy documents', () => {
  it('refuses a wildcard action in an Allow statement', () => {
    expect(() => validateStatements([{ Sid: 'TooBroad', Action: ['s3:Get*'], Resource: 'arn:aws:s3:::b/*' }])).toThrow(
      'policy statement TooBroad: wildcard action "s3:Get*" is not allowed, list the actions',
    );
  });

  it('accepts a wildcard action in a Deny statement, where broader is safer', () => {
    expect(() => validateStatements([{ Sid: 'DenyAll', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:*'], Resource: '*' }])).not.toThrow();
  });

  it('refuses a Sid used twice in one document', () => {
    const twice = { Sid: 'Same', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/*' };
    expect(() => validateStatements([twice, twice])).toThrow('policy statement Same: Sid is used twice in one document');
  });

  it('writes a statement as the aws_iam_policy_document block: Allow by default, principals and conditions as blocks', () => {
    expect(toDocumentStatement(serviceTrustStatements('scheduler.amazonaws.com', '111111111111')[0]!)).toEqual({
      sid: 'TrustService',
      effect: 'Allow',
      actions: ['sts:AssumeRole'],
      resources: undefined,
      principals: [{ type: 'Service', identifiers: ['scheduler.amazonaws.com'] }],
      condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: ['111111111111'] }],
    });
    expect(toDocumentStatement({ Sid: 'Flag', Action: ['kms:CreateGrant'], Resource: 'k', Condition: { Bool: { 'kms:GrantIsForAWSResource': true } } }).condition).toEqual([
      { test: 'Bool', variable: 'kms:GrantIsForAWSResource', values: ['true'] },
    ]);
  });

  it('declares the document as a data source and returns the reference to its JSON', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    const json = policyDocument(stack, 'doc', [{ Sid: 'Read', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/a/*', 'arn:aws:s3:::b/c/*'] }]);
    new TerraformOutput(stack, 'policy', { value: json });
    const synthesized = JSON.parse(Testing.synth(stack));
    expect(synthesized.output.policy.value).toBe('${data.aws_iam_policy_document.doc.json}');
    expect(synthesized.data.aws_iam_policy_document.doc.statement).toEqual([
      { sid: 'Read', effect: 'Allow', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/a/*', 'arn:aws:s3:::b/c/*'] },
    ]);
  });
});
