// Builds the SageMaker pipeline definition JSON (schema version 2020-12-01) from typed parameters and steps.
// build() renders every expression and checks every reference: a parameter, step, property file or
// DependsOn target that does not exist raises PipelineDefinitionError listing all problems.
import { PipelineDefinitionError } from './errors';
import { ParameterReference, renderValue, type Json, type RenderContext } from './expressions';
import { ConditionStep, FailStep, ProcessingStep, TrainingStep, type PipelineStep } from './steps';

export type ParameterSpec =
  | { readonly name: string; readonly type: 'String'; readonly defaultValue?: string }
  | { readonly name: string; readonly type: 'Integer' | 'Float'; readonly defaultValue?: number }
  | { readonly name: string; readonly type: 'Boolean'; readonly defaultValue?: boolean };

export interface PipelineDefinitionJson {
  readonly Version: '2020-12-01';
  readonly Metadata: Record<string, never>;
  readonly Parameters: { Name: string; Type: ParameterSpec['type']; DefaultValue?: string | number | boolean }[];
  readonly Steps: Json[];
}

// SageMaker's patterns for parameter and step names.
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export class PipelineDefinitionBuilder {
  private readonly parameters = new Map<string, ParameterSpec>();
  private readonly steps: PipelineStep[] = [];

  constructor(readonly pipelineName: string) {}

  /** Declares a pipeline parameter and returns a reference to it ({"Get": "Parameters.<name>"}). */
  parameter(spec: ParameterSpec): ParameterReference {
    if (!NAME_PATTERN.test(spec.name)) {
      throw new PipelineDefinitionError(this.pipelineName, [`parameter name "${spec.name}" must match ${NAME_PATTERN}`]);
    }
    if (this.parameters.has(spec.name)) {
      throw new PipelineDefinitionError(this.pipelineName, [`parameter "${spec.name}" is declared twice`]);
    }
    this.parameters.set(spec.name, spec);
    return new ParameterReference(spec.name);
  }

  /** Adds top-level steps; steps inside a condition's branches are reached through the condition. */
  addSteps(...steps: PipelineStep[]): this {
    this.steps.push(...steps);
    return this;
  }

  build(): PipelineDefinitionJson {
    const problems: string[] = [];
    const allSteps = new Map<string, PipelineStep>();
    const collect = (steps: readonly PipelineStep[]) => {
      for (const step of steps) {
        if (!NAME_PATTERN.test(step.name)) problems.push(`step name "${step.name}" must match ${NAME_PATTERN}`);
        if (allSteps.has(step.name)) problems.push(`step "${step.name}" is declared twice`);
        allSteps.set(step.name, step);
        if (step instanceof ConditionStep) collect([...step.ifSteps, ...step.elseSteps]);
      }
    };
    collect(this.steps);

    for (const step of allSteps.values()) {
      if (!(step instanceof ProcessingStep)) continue;
      const outputs = new Set((step.args.ProcessingOutputConfig?.Outputs ?? []).map((output) => output.OutputName));
      for (const file of step.propertyFiles) {
        if (!outputs.has(file.outputName)) {
          problems.push(`step "${step.name}": property file "${file.name}" names output "${file.outputName}", which the step does not declare`);
        }
      }
    }

    const context = (from: string): RenderContext => ({
      checkParameter: (name) => {
        if (!this.parameters.has(name)) problems.push(`step "${from}" refers to unknown parameter "${name}"`);
      },
      checkStep: (name) => {
        if (!allSteps.has(name)) problems.push(`step "${from}" refers to unknown step "${name}"`);
      },
      checkPropertyFile: (stepName, file) => {
        const step = allSteps.get(stepName);
        if (!step) problems.push(`step "${from}" refers to unknown step "${stepName}"`);
        else if (!(step instanceof ProcessingStep) || !step.propertyFiles.some((declared) => declared.name === file)) {
          problems.push(`step "${from}" refers to unknown property file "${file}" of step "${stepName}"`);
        }
      },
    });

    const renderStep = (step: PipelineStep): Json => {
      const ctx = context(step.name);
      for (const dependency of step.options.dependsOn ?? []) {
        if (!allSteps.has(dependency)) problems.push(`step "${step.name}" depends on unknown step "${dependency}"`);
      }
      const common = {
        Name: step.name,
        Type: step.type,
        Description: step.options.description,
        DependsOn: step.options.dependsOn,
        RetryPolicies: step.options.retryPolicies,
      };
      if (step instanceof TrainingStep || step instanceof ProcessingStep) {
        const propertyFiles =
          step instanceof ProcessingStep && step.propertyFiles.length > 0
            ? step.propertyFiles.map((file) => ({ PropertyFileName: file.name, OutputName: file.outputName, FilePath: file.filePath }))
            : undefined;
        return renderValue({ ...common, Arguments: step.args, PropertyFiles: propertyFiles }, ctx);
      }
      if (step instanceof ConditionStep) {
        return {
          ...(renderValue(common, ctx) as { [key: string]: Json }),
          Arguments: {
            Conditions: renderValue(step.conditions, ctx),
            IfSteps: step.ifSteps.map(renderStep),
            ElseSteps: step.elseSteps.map(renderStep),
          },
        };
      }
      if (step instanceof FailStep) {
        return renderValue({ ...common, Arguments: { ErrorMessage: step.errorMessage } }, ctx);
      }
      throw new TypeError(`unknown step kind ${(step as { type: string }).type}`);
    };

    const steps = this.steps.map(renderStep);
    if (problems.length > 0) throw new PipelineDefinitionError(this.pipelineName, problems);
    return {
      Version: '2020-12-01',
      Metadata: {},
      Parameters: [...this.parameters.values()].map((spec) => ({
        Name: spec.name,
        Type: spec.type,
        ...(spec.defaultValue === undefined ? {} : { DefaultValue: spec.defaultValue }),
      })),
      Steps: steps,
    };
  }

  /** The definition as the string aws_sagemaker_pipeline.pipeline_definition expects. */
  toJson(): string {
    return JSON.stringify(this.build());
  }
}
