// Pipeline parameter overrides given as `--param Name=Value`, checked against the parameters the pipeline
// definition declares, so that a typo fails before an execution is started rather than being silently ignored.
import { UsageError } from '../cli/errors';

export interface PipelineParameter {
  Name: string;
  Value: string;
}

export function parseParameterOverrides(pairs: readonly string[]): PipelineParameter[] {
  const seen = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!name) throw new UsageError(`--param ${JSON.stringify(pair)}: expected Name=Value, e.g. --param RunDate=2026-11-23`);
    if (!/^[A-Za-z][A-Za-z0-9\-_]*$/.test(name)) {
      throw new UsageError(`--param ${JSON.stringify(pair)}: parameter name ${JSON.stringify(name)} may only hold letters, digits, - and _`);
    }
    if (seen.has(name)) throw new UsageError(`--param ${name} is given twice (${JSON.stringify(seen.get(name))} and ${JSON.stringify(pair.slice(eq + 1))})`);
    seen.set(name, pair.slice(eq + 1));
  }
  return [...seen].map(([Name, Value]) => ({ Name, Value }));
}

export interface DeclaredParameter {
  name: string;
  type: string;
  defaultValue?: string | number | boolean;
}

/** Reads the `Parameters` list of a SageMaker pipeline definition (JSON text). */
export function declaredParameters(definitionJson: string): DeclaredParameter[] {
  let definition: unknown;
  try {
    definition = JSON.parse(definitionJson);
  } catch (error) {
    throw new Error('The pipeline definition returned by SageMaker is not valid JSON', { cause: error });
  }
  const list = (definition as { Parameters?: unknown }).Parameters;
  if (!Array.isArray(list)) return [];
  return list.map((entry: { Name?: unknown; Type?: unknown; DefaultValue?: unknown }) => ({
    name: String(entry.Name),
    type: String(entry.Type ?? 'String'),
    ...(entry.DefaultValue === undefined ? {} : { defaultValue: entry.DefaultValue as string | number | boolean }),
  }));
}

/** Refuses overrides the pipeline does not declare, naming the ones it does. */
export function checkOverrides(overrides: readonly PipelineParameter[], declared: readonly DeclaredParameter[], pipelineName: string): void {
  const known = new Set(declared.map((parameter) => parameter.name));
  const unknown = overrides.filter((parameter) => !known.has(parameter.Name)).map((parameter) => parameter.Name);
  if (unknown.length > 0) {
    const list = declared.length ? declared.map((parameter) => parameter.name).join(', ') : '(none)';
    throw new UsageError(`--param ${unknown.join(', ')}: pipeline ${pipelineName} declares no such parameter; it declares: ${list}`);
  }
  const byName = new Map(declared.map((parameter) => [parameter.name, parameter]));
  for (const override of overrides) {
    const type = byName.get(override.Name)!.type;
    const check = valueChecks[type];
    if (check && !check.test(override.Value)) throw new UsageError(`--param ${override.Name}=${override.Value}: ${pipelineName} declares ${override.Name} as ${type}; expected ${check.expected}`);
  }
}

// SageMaker parameter types other than String, checked here so that a typo fails before the execution starts.
const valueChecks: Record<string, { test: (value: string) => boolean; expected: string } | undefined> = {
  Integer: { test: (value) => /^-?\d+$/.test(value), expected: 'a whole number' },
  Float: { test: (value) => value.trim() !== '' && Number.isFinite(Number(value)), expected: 'a number, e.g. 0.75' },
  Boolean: { test: (value) => value === 'true' || value === 'false', expected: 'true or false' },
};
