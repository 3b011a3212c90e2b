// checkov's results against the checked-in list of accepted findings: every failed check must be accepted with a
// reason, and every accepted entry must still fail somewhere it applies (a stale entry would silently accept a
// future regression). Pure functions over parsed JSON, so tests can feed them any report.
import { z } from 'zod';

/** One failed check, addressed like Terraform state without cdktf's hash suffix (stable, readable). */
export interface Finding {
  readonly stack: string;
  readonly check: string;
  readonly name: string;
  /** e.g. "aws_s3_bucket.artifact-store_bucket" or "data.aws_iam_policy_document.alerting_key_policy-document". */
  readonly resource: string;
}

export interface StackReport {
  readonly stack: string;
  readonly passed: number;
  readonly findings: readonly Finding[];
}

export const acceptedFindingsSchema = z.strictObject({
  checkov: z.string().min(1, 'must name the checkov version the list was reviewed with'),
  accepted: z.array(
    z.strictObject({
      check: z.string().regex(/^CKV2?_[A-Z0-9]+_\d+$/, 'must be a checkov check id such as "CKV_AWS_144"'),
      resource: z.string().regex(/^(data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+$/, 'must be a resource address without hash, e.g. "aws_s3_bucket.artifact-store_bucket"'),
      /** The stacks the entry applies to; all scanned stacks when left out. */
      stacks: z.array(z.string().min(1)).min(1).optional(),
      reason: z.string().min(30, 'must say why the finding is acceptable (at least a sentence)'),
    }),
  ),
});
export type AcceptedFindings = z.output<typeof acceptedFindingsSchema>;
export type AcceptedFinding = AcceptedFindings['accepted'][number];

const checkovReportSchema = z.object({
  summary: z.object({ passed: z.number(), failed: z.number(), parsing_errors: z.number() }),
  results: z.object({ failed_checks: z.array(z.object({ check_id: z.string(), check_name: z.string(), resource: z.string() })).default([]) }).default({ failed_checks: [] }),
});

type TerraformJson = { resource?: Record<string, Record<string, unknown>>; data?: Record<string, Record<string, unknown>> };

const withoutHash = (name: string) => name.replace(/_[A-F0-9]{8}$/, '');

/**
 * The Terraform address of a checkov resource name. checkov names most resources "<type>.<name>", but some checks
 * report "resource.<name>" or "data.<name>" without the type: the type is looked up in the scanned stack.
 */
export function resourceAddress(checkovResource: string, stack: TerraformJson): string {
  const [head, ...rest] = checkovResource.split('.');
  const name = rest.join('.');
  const lookUp = (blocks: TerraformJson['resource']) => Object.entries(blocks ?? {}).find(([, byName]) => name in byName)?.[0];
  if (head === 'resource') {
    const type = lookUp(stack.resource);
    if (!type) throw new Error(`checkov reported ${checkovResource}, which is not a resource of the stack`);
    return `${type}.${withoutHash(name)}`;
  }
  if (head === 'data') {
    const type = lookUp(stack.data);
    if (!type) throw new Error(`checkov reported ${checkovResource}, which is not a data source of the stack`);
    return `data.${type}.${withoutHash(name)}`;
  }
  if (head === 'aws_iam_policy_document' && stack.data?.aws_iam_policy_document?.[name]) return `data.${head}.${withoutHash(name)}`;
  return `${head}.${withoutHash(name)}`;
}

/** Parses checkov's JSON output for one stack; a parse error means nothing was checked, so it fails loudly. */
export function stackReport(stackName: string, checkovOutput: unknown, stack: TerraformJson): StackReport {
  const parsed = checkovReportSchema.safeParse(Array.isArray(checkovOutput) ? checkovOutput[0] : checkovOutput);
  if (!parsed.success) throw new Error(`checkov's output for ${stackName} is not the expected JSON report: ${parsed.error.issues[0]?.message}`);
  const { summary, results } = parsed.data;
  if (summary.parsing_errors > 0) throw new Error(`checkov could not parse the ${stackName} stack (${summary.parsing_errors} parsing error(s)): nothing was checked`);
  if (summary.passed + summary.failed === 0) throw new Error(`checkov ran no check on the ${stackName} stack`);
  const findings = results.failed_checks.map((check) => ({
    stack: stackName,
    check: check.check_id,
    name: check.check_name,
    resource: resourceAddress(check.resource, stack),
  }));
  return { stack: stackName, passed: summary.passed, findings: dedupe(findings) };
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Map(findings.map((f) => [`${f.check} ${f.resource}`, f]));
  return [...seen.values()];
}

export interface Comparison {
  readonly accepted: ReadonlyArray<{ readonly entry: AcceptedFinding; readonly stacks: readonly string[] }>;
  readonly unexplained: readonly Finding[];
  /** Entries that no longer fail in a stack they apply to. */
  readonly stale: ReadonlyArray<{ readonly entry: AcceptedFinding; readonly stacks: readonly string[] }>;
}

export function compareWithAccepted(reports: readonly StackReport[], accepted: AcceptedFindings): Comparison {
  const scanned = reports.map((report) => report.stack);
  const matches = (entry: AcceptedFinding, finding: Finding) =>
    entry.check === finding.check && entry.resource === finding.resource && (entry.stacks ?? scanned).includes(finding.stack);
  const findings = reports.flatMap((report) => report.findings);
  const unexplained = findings.filter((finding) => !accepted.accepted.some((entry) => matches(entry, finding)));
  const used = [];
  const stale = [];
  for (const entry of accepted.accepted) {
    const applies = (entry.stacks ?? scanned).filter((stack) => scanned.includes(stack));
    const failing = applies.filter((stack) => findings.some((finding) => finding.stack === stack && matches(entry, finding)));
    if (failing.length > 0) used.push({ entry, stacks: failing });
    const notFailing = applies.filter((stack) => !failing.includes(stack));
    if (notFailing.length > 0) stale.push({ entry, stacks: notFailing });
  }
  return { accepted: used, unexplained, stale };
}
