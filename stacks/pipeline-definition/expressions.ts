// Expressions of the SageMaker pipeline definition language: values computed when the pipeline runs.
// They refer to parameters, steps and property files by name; whether those exist is checked when the
// definition is built (see pipeline-definition.ts), so a typo fails synth instead of a nightly run.

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What rendering needs from the definition being built: each check records a problem when the target is unknown. */
export interface RenderContext {
  checkParameter(name: string): void;
  checkStep(name: string): void;
  checkPropertyFile(step: string, propertyFile: string): void;
}

export abstract class Expression {
  abstract render(context: RenderContext): Json;
}

/** A literal or an expression, wherever SageMaker accepts either. */
export type Value<T extends string | number | boolean = string | number | boolean> = T | Expression;

export class ParameterReference extends Expression {
  constructor(readonly parameter: string) {
    super();
  }
  render(context: RenderContext): Json {
    context.checkParameter(this.parameter);
    return { Get: `Parameters.${this.parameter}` };
  }
}

export class StepPropertyReference extends Expression {
  constructor(
    readonly step: string,
    readonly path: string,
  ) {
    super();
  }
  render(context: RenderContext): Json {
    context.checkStep(this.step);
    return { Get: `Steps.${this.step}.${this.path}` };
  }
}

export type ExecutionVariableName =
  | 'PipelineExecutionId'
  | 'PipelineExecutionArn'
  | 'PipelineName'
  | 'PipelineArn'
  | 'StartDateTime'
  | 'CurrentDateTime';

export class ExecutionVariable extends Expression {
  constructor(readonly variable: ExecutionVariableName) {
    super();
  }
  render(): Json {
    return { Get: `Execution.${this.variable}` };
  }
}

export class PropertyFileReference extends Expression {
  constructor(
    readonly step: string,
    readonly propertyFile: string,
  ) {
    super();
  }
  render(context: RenderContext): Json {
    context.checkPropertyFile(this.step, this.propertyFile);
    return { Get: `Steps.${this.step}.PropertyFiles.${this.propertyFile}` };
  }
}

/** Std:JsonGet — a value read from a JSON property file a processing step wrote. */
export class JsonGet extends Expression {
  constructor(
    readonly propertyFile: PropertyFileReference,
    readonly path: string,
  ) {
    super();
  }
  render(context: RenderContext): Json {
    return { 'Std:JsonGet': { PropertyFile: this.propertyFile.render(context), Path: this.path } };
  }
}

/** Std:Join — values joined into one string at run time (also the way to turn a number into a string). */
export class Join extends Expression {
  constructor(
    readonly on: string,
    readonly values: readonly Value[],
  ) {
    super();
  }
  render(context: RenderContext): Json {
    return { 'Std:Join': { On: this.on, Values: this.values.map((value) => renderValue(value, context)) } };
  }
}

export const parameter = (name: string) => new ParameterReference(name);
export const stepProperty = (step: string, path: string) => new StepPropertyReference(step, path);
export const execution = (variable: ExecutionVariableName) => new ExecutionVariable(variable);
export const propertyFile = (step: string, file: string) => new PropertyFileReference(step, file);
export const jsonGet = (file: PropertyFileReference, path: string) => new JsonGet(file, path);
export const join = (on: string, values: readonly Value[]) => new Join(on, values);
/** A run-time value as a string, e.g. a Float parameter for an environment variable. */
export const asString = (value: Value) => join('', [value]);

/** Renders literals, expressions, and arrays/objects of them; undefined object fields are left out. */
export function renderValue(value: unknown, context: RenderContext): Json {
  if (value instanceof Expression) return value.render(context);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, context));
  if (value !== null && typeof value === 'object') {
    const rendered: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) rendered[key] = renderValue(item, context);
    }
    return rendered;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  throw new TypeError(`cannot render ${typeof value} in a pipeline definition`);
}
