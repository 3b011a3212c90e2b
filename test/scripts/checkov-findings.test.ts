import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compareWithAccepted, resourceAddress, stackReport, type AcceptedFindings, type StackReport } from '../../scripts/checkov/findings';
import { readAcceptedFindings, scannableStack } from '../../scripts/checkov/scan';

const stack = {
  resource: { aws_s3_bucket: { 'artifact-store_bucket_817B3FB4': {} }, aws_scheduler_schedule: { 'nightly-schedules_training_527FD78E': {} } },
  data: { aws_iam_policy_document: { 'alerting_key_policy-document_D06DAB81': {} } },
};

const report = (failed: Array<[string, string]>, passed = 10) => ({
  summary: { passed, failed: failed.length, parsing_errors: 0 },
  results: { failed_checks: failed.map(([check_id, resource]) => ({ check_id, check_name: `${check_id} name`, resource })) },
});

const accepted = (entries: AcceptedFindings['accepted']): AcceptedFindings => ({ checkov: '3.3.30', accepted: entries });
const reason = 'a reason that is long enough to explain itself';

describe('checkov findings against the accepted list', () => {
  it('addresses findings like Terraform state without the hash, looking up the type checkov leaves out', () => {
    expect(resourceAddress('aws_s3_bucket.artifact-store_bucket_817B3FB4', stack)).toBe('aws_s3_bucket.artifact-store_bucket');
    expect(resourceAddress('resource.nightly-schedules_training_527FD78E', stack)).toBe('aws_scheduler_schedule.nightly-schedules_training');
    expect(resourceAddress('data.alerting_key_policy-document_D06DAB81', stack)).toBe('data.aws_iam_policy_document.alerting_key_policy-document');
    expect(resourceAddress('aws_iam_policy_document.alerting_key_policy-document_D06DAB81', stack)).toBe('data.aws_iam_policy_document.alerting_key_policy-document');
  });

  it('fails on a finding nobody accepted, and passes once it is accepted', () => {
    const reports = [stackReport('staging', report([['CKV_AWS_144', 'aws_s3_bucket.artifact-store_bucket_817B3FB4']]), stack)];
    expect(compareWithAccepted(reports, accepted([])).unexplained).toEqual([
      { stack: 'staging', check: 'CKV_AWS_144', name: 'CKV_AWS_144 name', resource: 'aws_s3_bucket.artifact-store_bucket' },
    ]);
    const comparison = compareWithAccepted(reports, accepted([{ check: 'CKV_AWS_144', resource: 'aws_s3_bucket.artifact-store_bucket', reason }]));
    expect(comparison.unexplained).toEqual([]);
    expect(comparison.stale).toEqual([]);
    expect(comparison.accepted.map((a) => a.stacks)).toEqual([['staging']]);
  });

  it('reports an accepted entry that no longer fails as stale, per stack it applies to', () => {
    const reports: StackReport[] = [
      stackReport('staging', report([['CKV_AWS_144', 'aws_s3_bucket.artifact-store_bucket_817B3FB4']]), stack),
      stackReport('prod', report([]), stack),
    ];
    const entry = { check: 'CKV_AWS_144', resource: 'aws_s3_bucket.artifact-store_bucket', reason };
    expect(compareWithAccepted(reports, accepted([entry])).stale).toEqual([{ entry, stacks: ['prod'] }]);
    expect(compareWithAccepted(reports, accepted([{ ...entry, stacks: ['staging'] }])).stale).toEqual([]);
  });

  it('does not let an entry for one stack accept the same finding in another', () => {
    const reports = [stackReport('prod', report([['CKV_AWS_144', 'aws_s3_bucket.artifact-store_bucket_817B3FB4']]), stack)];
    const comparison = compareWithAccepted(reports, accepted([{ check: 'CKV_AWS_144', resource: 'aws_s3_bucket.artifact-store_bucket', stacks: ['staging'], reason }]));
    expect(comparison.unexplained).toHaveLength(1);
  });

  it('fails loudly when checkov could not parse a stack or checked nothing', () => {
    expect(() => stackReport('prod', { summary: { passed: 0, failed: 0, parsing_errors: 1 }, results: {} }, stack)).toThrow(
      'checkov could not parse the prod stack (1 parsing error(s)): nothing was checked',
    );
    expect(() => stackReport('prod', report([], 0), stack)).toThrow('checkov ran no check on the prod stack');
    expect(() => stackReport('prod', 'Traceback…', stack)).toThrow("checkov's output for prod is not the expected JSON report");
  });

  it('drops moved blocks before scanning (checkov cannot parse them) and keeps everything else', () => {
    expect(scannableStack({ resource: { a: 1 }, data: { b: 2 }, moved: [{ from: 'x', to: 'y' }] })).toEqual({ resource: { a: 1 }, data: { b: 2 } });
  });
});

describe('the checked-in accepted list', () => {
  const list = readAcceptedFindings();

  it('gives every accepted finding a reason and names each finding once', () => {
    const keys = list.accepted.map((entry) => `${entry.check} ${entry.resource}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const entry of list.accepted) expect(entry.reason.length).toBeGreaterThanOrEqual(30);
  });

  it('was reviewed with the checkov version that is pinned', () => {
    const requirements = readFileSync(path.resolve('scripts/checkov/requirements.txt'), 'utf8');
    expect(requirements).toMatch(new RegExp(`^checkov==${list.checkov.replace(/\./g, '\\.')}$`, 'm'));
  });
});
