// Synthesizes an environment's stack once per test file and gives typed access to the parsed Terraform JSON:
// resources by type, parsed IAM policies, parsed pipeline definitions.
import { Testing } from 'cdktf';
import { loadEnvironment, parseEnvironment, type EnvironmentConfig, type EnvironmentInput } from '../../../environments';
import { MlPlatformStack } from '../../../stacks/ml-platform-stack';

/** Parsed Terraform JSON: tests navigate it freely and assert on what they find. */
export type Json = any;

export interface Synthesized {
  readonly config: EnvironmentConfig;
  readonly stack: MlPlatformStack;
  /** Testing.synth output, for Testing.toHaveResourceWithProperties. */
  readonly raw: string;
  readonly json: Json;
}

const cache = new Map<string, Synthesized>();

export function synthConfig(config: EnvironmentConfig): Synthesized {
  const stack = new MlPlatformStack(Testing.app(), { config });
  const raw = Testing.synth(stack);
  return { config, stack, raw, json: JSON.parse(raw) };
}

/** The stack of environments/<name>.ts, synthesized at most once per test file. */
export function synthEnvironment(name: string): Synthesized {
  let synthesized = cache.get(name);
  if (!synthesized) {
    synthesized = synthConfig(loadEnvironment(name));
    cache.set(name, synthesized);
  }
  return synthesized;
}

/** A copy of an environment file's raw export, to derive variants that differ in one aspect. */
export function rawEnvironment(name: string): EnvironmentInput {
  const raw = (require(`../../../environments/${name}`) as { default: EnvironmentInput }).default;
  return structuredClone(raw);
}

/**
 * environments/local.ts as it reads the MLP_LOCAL_* variables `env` (e.g. a secured services run's
 * localEnvironment()): a fresh module registry, so the file is evaluated with these variables and nothing is cached.
 */
export function loadLocalEnvironment(env: Record<string, string>): EnvironmentConfig {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let config: EnvironmentConfig | undefined;
    jest.isolateModules(() => {
      config = (require('../../../environments') as typeof import('../../../environments')).loadEnvironment('local');
    });
    return config!;
  } finally {
    process.env = saved;
  }
}

export function variant(name: string, change: (raw: Json) => void): EnvironmentConfig {
  const raw = rawEnvironment(name);
  change(raw);
  return parseEnvironment({ name, source: `environments/${name}.ts`, raw });
}

export function resourcesOf(synth: Synthesized, type: string): Record<string, Json> {
  return synth.json.resource[type] ?? {};
}

/** The single resource of a type whose properties match, failing loudly when there is none or several. */
export function resource(synth: Synthesized, type: string, match: (resource: Json) => boolean = () => true): Json {
  const found = Object.values(resourcesOf(synth, type)).filter(match);
  if (found.length !== 1) throw new Error(`expected one ${type} matching, found ${found.length}`);
  return found[0];
}

/** Terraform address of a resource, e.g. "${aws_iam_role.roles_execution-role_E8F4C7C8.arn}". */
export function reference(synth: Synthesized, type: string, match: (resource: Json) => boolean, attribute: string): string {
  const entries = Object.entries(resourcesOf(synth, type)).filter(([, value]) => match(value));
  if (entries.length !== 1) throw new Error(`expected one ${type} matching, found ${entries.length}`);
  return `\${${type}.${entries[0]![0]}.${attribute}}`;
}

export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Json;
  Action: string[];
  Resource?: string | string[];
  Condition?: Json;
}

const single = <T>(values: T[]): T | T[] => (values.length === 1 ? values[0]! : values);

/**
 * The IAM statements behind a policy attribute. The stack writes every policy as a `data.aws_iam_policy_document`
 * and references its `.json`; this renders the data block the way Terraform does (one value → a string, several →
 * a list), except that Action is always a list, as the stack's statements are written.
 */
export function policyStatements(synth: Synthesized, policyAttribute: string): Statement[] {
  const match = /^\$\{data\.aws_iam_policy_document\.([^.}]+)\.json\}$/.exec(policyAttribute);
  if (!match) throw new Error(`expected a reference to a data.aws_iam_policy_document, got ${JSON.stringify(policyAttribute).slice(0, 120)}`);
  const document = synth.json.data?.aws_iam_policy_document?.[match[1]!];
  if (!document) throw new Error(`no data.aws_iam_policy_document.${match[1]}`);
  return (document.statement as Json[]).map((s) => {
    const statement: Json = { Sid: s.sid, Effect: s.effect, Action: s.actions };
    if (s.principals) statement.Principal = Object.fromEntries(s.principals.map((p: Json) => [p.type, single(p.identifiers)]));
    if (s.resources) statement.Resource = single(s.resources);
    if (s.condition) {
      statement.Condition = {};
      for (const c of s.condition) statement.Condition[c.test] = { ...statement.Condition[c.test], [c.variable]: single(c.values) };
    }
    return statement as Statement;
  });
}

/** Every inline policy of a role (by role resource name), rendered, keyed by policy name. */
export function rolePolicies(synth: Synthesized, roleName: string): Record<string, Statement[]> {
  const roleRef = reference(synth, 'aws_iam_role', (role) => role.name === roleName, 'id');
  const policies: Record<string, Statement[]> = {};
  for (const policy of Object.values(resourcesOf(synth, 'aws_iam_role_policy'))) {
    if (policy.role === roleRef) policies[policy.name] = policyStatements(synth, policy.policy);
  }
  return policies;
}

export function statement(statements: Statement[], sid: string): Statement {
  const found = statements.find((candidate) => candidate.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${statements.map((s) => s.Sid).join(', ')}`);
  return found;
}

export function pipelineDefinition(synth: Synthesized, pipelineName: string): Json {
  return JSON.parse(resource(synth, 'aws_sagemaker_pipeline', (p) => p.pipeline_name === pipelineName).pipeline_definition);
}

export const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
