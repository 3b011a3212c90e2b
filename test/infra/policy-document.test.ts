import { policyDocument, serviceTrustPolicy } from '../../stacks/iam/policy-document';

describe('policy documents', () => {
  it('refuses a wildcard action in an Allow statement', () => {
    expect(() => policyDocument([{ Sid: 'TooBroad', Action: ['s3:Get*'], Resource: 'arn:aws:s3:::b/*' }])).toThrow(
      'policy statement TooBroad: wildcard action "s3:Get*" is not allowed, list the actions',
    );
  });

  it('accepts a wildcard action in a Deny statement, where broader is safer', () => {
    const document = JSON.parse(policyDocument([{ Sid: 'DenyAll', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:*'], Resource: '*' }]));
    expect(document).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:*'], Resource: '*' }],
    });
  });

  it('defaults statements to Allow and writes trust policies without a resource', () => {
    expect(JSON.parse(serviceTrustPolicy('scheduler.amazonaws.com', '111111111111')).Statement).toEqual([
      {
        Effect: 'Allow',
        Sid: 'TrustService',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: ['sts:AssumeRole'],
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      },
    ]);
  });
});
