// Pipeline parameters as StartPipelineExecution resolves them: the definition's defaults, overridden by the
// PipelineParameters of the request (always strings on the wire), converted to the declared type. Anything
// SageMaker would refuse is a ValidationException before the execution exists.
import { ValidationException } from './errors';
import type { ParameterType, PipelineDefinition } from './definition/schema';

export type ParameterValue = string | number | boolean;

export interface ResolvedParameter {
  readonly name: string;
  readonly type: ParameterType;
  readonly value: ParameterValue;
}

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A wire value (or a definition default) as the declared type, or undefined when it is not one. */
export function convertParameter(type: ParameterType, value: string | number | boolean): ParameterValue | undefined {
  const text = String(value).trim();
  switch (type) {
    case 'String':
      return typeof value === 'string' ? value : undefined;
    case 'Integer':
      return INTEGER.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
    case 'Float':
      return FLOAT.test(text) && Number.isFinite(Number(text)) ? Number(text) : undefined;
    case 'Boolean':
      return /^(true|false)$/i.test(text) ? text.toLowerCase() === 'true' : undefined;
  }
}

/**
 * Resolves every declared parameter. `overrides` is StartPipelineExecution's PipelineParameters (Name → Value).
 * Throws ValidationException listing every problem: an undeclared name, an empty value, a value that is not of the
 * declared type, a value outside the parameter's EnumValues, a parameter with neither default nor value.
 */
export function resolveParameters(definition: PipelineDefinition, overrides: Readonly<Record<string, string>> = {}): ResolvedParameter[] {
  const problems: string[] = [];
  const declared = new Map(definition.Parameters.map((parameter) => [parameter.Name, parameter]));
  for (const name of Object.keys(overrides)) {
    if (!declared.has(name)) {
      problems.push(`Parameter '${name}' is not defined in the pipeline definition (defined: ${[...declared.keys()].join(', ') || 'none'})`);
    }
  }
  const resolved: ResolvedParameter[] = [];
  for (const parameter of definition.Parameters) {
    const given = overrides[parameter.Name];
    if (given !== undefined) {
      if (given.length === 0) {
        // What the service answers for an empty value; an empty *default* is fine (RunDate relies on it).
        problems.push(`Parameter '${parameter.Name}': string "" is too short (length: 0, required minimum: 1)`);
        continue;
      }
      if (given.length > 1024) problems.push(`Parameter '${parameter.Name}': value is longer than 1024 characters`);
      const value = convertParameter(parameter.Type, given);
      if (value === undefined) {
        problems.push(`Parameter '${parameter.Name}' is of type ${parameter.Type}, but the value '${given}' is not a valid ${parameter.Type}`);
        continue;
      }
      if (parameter.EnumValues && !parameter.EnumValues.includes(given)) {
        problems.push(`Parameter '${parameter.Name}': value '${given}' is not one of the allowed values [${parameter.EnumValues.join(', ')}]`);
        continue;
      }
      resolved.push({ name: parameter.Name, type: parameter.Type, value });
    } else if (parameter.DefaultValue !== undefined) {
      const value = convertParameter(parameter.Type, parameter.DefaultValue);
      if (value === undefined) {
        problems.push(`Parameter '${parameter.Name}' is of type ${parameter.Type}, but its DefaultValue ${JSON.stringify(parameter.DefaultValue)} in the definition is not`);
        continue;
      }
      resolved.push({ name: parameter.Name, type: parameter.Type, value });
    } else {
      problems.push(`Parameter '${parameter.Name}' has no default value in the pipeline definition and no value was given`);
    }
  }
  if (problems.length > 0) throw new ValidationException('StartPipelineExecution', problems);
  return resolved;
}

/** DescribePipelineExecution's PipelineParameters: every parameter with the value the execution used, as a string. */
export function describeParameters(parameters: readonly ResolvedParameter[]): Array<{ Name: string; Value: string }> {
  return parameters.map((parameter) => ({ Name: parameter.name, Value: String(parameter.value) }));
}
