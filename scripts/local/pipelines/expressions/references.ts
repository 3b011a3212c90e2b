// Recognises the expressions of the definition language inside a JSON value and lists what they refer to, so
// the loader can check references and order steps by their data dependencies before anything runs.

export type GetTarget =
  | { kind: 'parameter'; name: string }
  | { kind: 'execution'; variable: string }
  | { kind: 'step'; step: string; path: string }
  | { kind: 'propertyFile'; step: string; file: string };

export const EXECUTION_VARIABLES = ['PipelineExecutionId', 'PipelineExecutionArn', 'PipelineName', 'PipelineArn', 'StartDateTime', 'CurrentDateTime'] as const;
export type ExecutionVariable = (typeof EXECUTION_VARIABLES)[number];

export function parseGet(expression: string): GetTarget | { kind: 'invalid'; reason: string } {
  const dot = expression.indexOf('.');
  const root = dot < 0 ? expression : expression.slice(0, dot);
  const rest = dot < 0 ? '' : expression.slice(dot + 1);
  if (root === 'Parameters' && /^[A-Za-z0-9\-_]+$/.test(rest)) return { kind: 'parameter', name: rest };
  if (root === 'Execution' && rest !== '') return { kind: 'execution', variable: rest };
  if (root === 'Steps') {
    const match = /^([A-Za-z0-9\-_]+)(?:\.(.+))?$/.exec(rest);
    if (!match) return { kind: 'invalid', reason: `"${expression}" names no step` };
    const [, step, path] = match;
    if (path === undefined) return { kind: 'invalid', reason: `"${expression}" names a step but no property of it` };
    const file = /^PropertyFiles\.([A-Za-z0-9\-_]+)$/.exec(path);
    if (file) return { kind: 'propertyFile', step: step!, file: file[1]! };
    return { kind: 'step', step: step!, path };
  }
  return { kind: 'invalid', reason: `"${expression}" is not Parameters.<name>, Execution.<variable> or Steps.<step>.<property>` };
}

export type Expression =
  | { kind: 'get'; expression: string }
  | { kind: 'join'; on: unknown; values: unknown }
  | { kind: 'jsonGet'; propertyFile?: unknown; s3Uri?: unknown; path: unknown };

/** The expression a JSON value is, if it is one: an object whose single key is Get, Std:Join or Std:JsonGet. */
export function asExpression(value: unknown): Expression | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const record = value as Record<string, unknown>;
  if (keys[0] === 'Get' && typeof record.Get === 'string') return { kind: 'get', expression: record.Get };
  if (keys[0] === 'Std:Join') {
    const join = (record['Std:Join'] ?? {}) as Record<string, unknown>;
    return { kind: 'join', on: join.On, values: join.Values };
  }
  if (keys[0] === 'Std:JsonGet') {
    const get = (record['Std:JsonGet'] ?? {}) as Record<string, unknown>;
    return { kind: 'jsonGet', propertyFile: get.PropertyFile, s3Uri: get.S3Uri, path: get.Path };
  }
  return undefined;
}

/** Every Get target inside a value (depth-first, in order), including the property file of each Std:JsonGet. */
export function collectReferences(value: unknown, found: GetTarget[] = [], invalid: string[] = []): { targets: GetTarget[]; invalid: string[] } {
  const expression = asExpression(value);
  if (expression?.kind === 'get') {
    const target = parseGet(expression.expression);
    if (target.kind === 'invalid') invalid.push(target.reason);
    else found.push(target);
  } else if (expression?.kind === 'join') {
    collectReferences(expression.values, found, invalid);
  } else if (expression?.kind === 'jsonGet') {
    collectReferences(expression.propertyFile, found, invalid);
    collectReferences(expression.s3Uri, found, invalid);
  } else if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, found, invalid);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) collectReferences(item, found, invalid);
  }
  return { targets: found, invalid };
}
