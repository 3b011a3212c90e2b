import { ValidationException } from '../../../scripts/local/pipelines';
import type { PipelineDefinition } from '../../../scripts/local/pipelines/definition/schema';
import { describeParameters, resolveParameters } from '../../../scripts/local/pipelines/parameters';

const definition = (parameters: PipelineDefinition['Parameters']): PipelineDefinition => ({ Version: '2020-12-01', Parameters: parameters, Steps: [] });

const typed = definition([
  { Name: 'InputDataUri', Type: 'String', DefaultValue: 's3://bucket/input/' },
  { Name: 'RunDate', Type: 'String', DefaultValue: '' },
  { Name: 'Epochs', Type: 'Integer', DefaultValue: 3 },
  { Name: 'QualityThreshold', Type: 'Float', DefaultValue: 0.7 },
  { Name: 'Register', Type: 'Boolean', DefaultValue: true },
]);

const problemsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationException);
    return [...(error as ValidationException).problems];
  }
  throw new Error('expected a ValidationException');
};

describe('pipeline parameters, resolved as StartPipelineExecution does', () => {
  it('uses the definition defaults, typed, including an empty String default', () => {
    expect(resolveParameters(typed).map((p) => [p.name, p.value])).toEqual([
      ['InputDataUri', 's3://bucket/input/'],
      ['RunDate', ''],
      ['Epochs', 3],
      ['QualityThreshold', 0.7],
      ['Register', true],
    ]);
  });

  it('converts overrides (strings on the wire) to the declared types', () => {
    const resolved = resolveParameters(typed, { Epochs: '12', QualityThreshold: '0.99', Register: 'False', RunDate: '2026-11-23' });
    expect(Object.fromEntries(resolved.map((p) => [p.name, p.value]))).toMatchObject({ Epochs: 12, QualityThreshold: 0.99, Register: false, RunDate: '2026-11-23' });
    expect(describeParameters(resolved)).toContainEqual({ Name: 'QualityThreshold', Value: '0.99' });
  });

  it('refuses a value of the wrong type with a ValidationException naming the parameter, the type and the value', () => {
    const problems = problemsOf(() => resolveParameters(typed, { QualityThreshold: 'high', Epochs: '2.5', Register: 'yes' }));
    expect(problems).toEqual([
      "Parameter 'Epochs' is of type Integer, but the value '2.5' is not a valid Integer",
      "Parameter 'QualityThreshold' is of type Float, but the value 'high' is not a valid Float",
      "Parameter 'Register' is of type Boolean, but the value 'yes' is not a valid Boolean",
    ]);
    expect(() => resolveParameters(typed, { Epochs: 'x' })).toThrow(
      /^An error occurred \(ValidationException\) when calling the StartPipelineExecution operation: Parameter 'Epochs' is of type Integer/,
    );
  });

  it('refuses an undeclared parameter, an empty value and a parameter with neither default nor value', () => {
    const problems = problemsOf(() => resolveParameters(definition([{ Name: 'Required', Type: 'String' }, { Name: 'Other', Type: 'String', DefaultValue: 'x' }]), { Threshold: '1', Other: '' }));
    expect(problems).toEqual([
      "Parameter 'Threshold' is not defined in the pipeline definition (defined: Required, Other)",
      "Parameter 'Required' has no default value in the pipeline definition and no value was given",
      `Parameter 'Other': string "" is too short (length: 0, required minimum: 1)`,
    ]);
  });

  it('refuses a definition default that is not of its declared type', () => {
    expect(problemsOf(() => resolveParameters(definition([{ Name: 'Count', Type: 'Integer', DefaultValue: 'many' }])))).toEqual([
      `Parameter 'Count' is of type Integer, but its DefaultValue "many" in the definition is not`,
    ]);
  });
});
