// Evaluates the expressions of a step's Arguments when the step runs, as SageMaker Pipelines does: Get on
// parameters, execution variables and earlier steps' properties, Std:Join, Std:JsonGet on property files. A value
// that cannot be resolved fails the step that needs it (never the whole definition up front: an unresolved
// property can depend on which branch ran).
import { StepFailure } from '../errors';
import type { ResolvedParameter } from '../parameters';
import { follow, isMissing, parsePath, PathSyntaxError } from './property-path';
import { asExpression, parseGet, type ExecutionVariable } from './references';

export interface ExecutionIdentity {
  readonly id: string;
  readonly arn: string;
  readonly pipelineName: string;
  readonly pipelineArn: string;
  readonly startTime: Date;
}

export interface EvaluationContext {
  readonly parameters: ReadonlyMap<string, ResolvedParameter>;
  readonly execution: ExecutionIdentity;
  /** The properties (Describe*Job response) of a step that succeeded in this execution, else undefined. */
  stepProperties(step: string): unknown;
  /** The parsed JSON of a property file a step wrote (read from S3); throws StepFailure when it cannot be read. */
  readPropertyFile(step: string, file: string): Promise<{ json: unknown; location: string }>;
  /** Std:JsonGet with an S3Uri instead of a property file. */
  readJsonObject(s3Uri: string): Promise<unknown>;
  now?: () => Date;
}

const fail = (reason: string) => new StepFailure(reason);

export function executionVariable(variable: ExecutionVariable, execution: ExecutionIdentity, now: () => Date): string {
  switch (variable) {
    case 'PipelineExecutionId':
      return execution.id;
    case 'PipelineExecutionArn':
      return execution.arn;
    case 'PipelineName':
      return execution.pipelineName;
    case 'PipelineArn':
      return execution.pipelineArn;
    case 'StartDateTime':
      return execution.startTime.toISOString();
    case 'CurrentDateTime':
      return now().toISOString();
  }
}

/** How a value is written into a string by Std:Join (and into environment variables and arguments). */
export function joinText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) throw fail(`Std:Join cannot join a missing value (${String(value)})`);
  return JSON.stringify(value);
}

/** Returns a copy of `value` with every expression replaced by its value. */
export async function evaluate(value: unknown, context: EvaluationContext): Promise<unknown> {
  const expression = asExpression(value);
  if (expression?.kind === 'get') return evaluateGet(expression.expression, context);
  if (expression?.kind === 'join') {
    if (typeof expression.on !== 'string' || !Array.isArray(expression.values)) {
      throw fail('Std:Join needs "On" (a string) and "Values" (a list)');
    }
    const parts: string[] = [];
    for (const item of expression.values) parts.push(joinText(await evaluate(item, context)));
    return parts.join(expression.on);
  }
  if (expression?.kind === 'jsonGet') return evaluateJsonGet(expression, context);
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const item of value) items.push(await evaluate(item, context));
    return items;
  }
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = await evaluate(item, context);
    return result;
  }
  return value;
}

function evaluateGet(text: string, context: EvaluationContext): unknown {
  const target = parseGet(text);
  switch (target.kind) {
    case 'parameter': {
      const parameter = context.parameters.get(target.name);
      if (!parameter) throw fail(`Parameters.${target.name} is not a parameter of this pipeline`);
      return parameter.value;
    }
    case 'execution':
      return executionVariable(target.variable as ExecutionVariable, context.execution, context.now ?? (() => new Date()));
    case 'step': {
      const properties = context.stepProperties(target.step);
      if (properties === undefined) throw fail(`Unable to resolve ${text}: step ${target.step} has not succeeded in this execution`);
      let resolved: unknown;
      try {
        resolved = follow(properties, parsePath(target.path));
      } catch (error) {
        throw fail(`Unable to resolve ${text}: ${(error as PathSyntaxError).message}`);
      }
      if (isMissing(resolved)) throw fail(`Unable to resolve ${text}: step ${target.step} has no property ${target.path}`);
      return resolved;
    }
    case 'propertyFile':
      throw fail(`${text} is a property file: read a value from it with Std:JsonGet`);
    case 'invalid':
      throw fail(`Unable to resolve Get "${text}": ${target.reason}`);
  }
}

async function evaluateJsonGet(expression: { propertyFile?: unknown; s3Uri?: unknown; path: unknown }, context: EvaluationContext): Promise<unknown> {
  if (typeof expression.path !== 'string' || expression.path === '') throw fail('Std:JsonGet needs a "Path" string');
  let json: unknown;
  let source: string;
  if (expression.propertyFile !== undefined) {
    const reference = asExpression(expression.propertyFile);
    const target = reference?.kind === 'get' ? parseGet(reference.expression) : undefined;
    if (target?.kind !== 'propertyFile') throw fail('Std:JsonGet: PropertyFile must be {"Get": "Steps.<step>.PropertyFiles.<name>"}');
    const file = await context.readPropertyFile(target.step, target.file);
    json = file.json;
    source = `property file ${target.file} of step ${target.step} (${file.location})`;
  } else if (expression.s3Uri !== undefined) {
    const uri = joinText(await evaluate(expression.s3Uri, context));
    json = await context.readJsonObject(uri);
    source = uri;
  } else {
    throw fail('Std:JsonGet needs a PropertyFile or an S3Uri');
  }
  let value: unknown;
  try {
    value = follow(json, parsePath(expression.path));
  } catch (error) {
    throw fail(`Std:JsonGet: ${(error as Error).message}`);
  }
  if (isMissing(value)) throw fail(`Std:JsonGet failed: the path '${expression.path}' does not exist in ${source}`);
  return value;
}
