import { existsSync } from 'node:fs';
import path from 'node:path';
import { UnsupportedDefinitionError, ValidationException } from '../../../scripts/local/pipelines';
import { definition, harness, IMAGE, shellProcessing } from './support/harness';

const h = harness();
const refused = async (json: string) => {
  const error = await h.start(json).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error('expected the definition to be refused');
  return error as Error;
};

describe('what the executor refuses before anything runs', () => {
  it('refuses an unsupported step type, naming the step, even inside a Condition branch, and starts nothing', async () => {
    const json = definition([
      shellProcessing('Prepare', 'echo should not run'),
      {
        Name: 'Gate',
        Type: 'Condition',
        Arguments: {
          Conditions: [{ Type: 'Equals', LeftValue: 1, RightValue: 1 }],
          IfSteps: [{ Name: 'Deploy', Type: 'Transform', Arguments: {} }],
          ElseSteps: [{ Name: 'Notify', Type: 'Lambda', Arguments: {} }],
        },
      },
    ]);
    const error = await refused(json);
    expect(error).toBeInstanceOf(UnsupportedDefinitionError);
    expect((error as UnsupportedDefinitionError).problems).toEqual([
      'step "Deploy" has type Transform, which the local executor does not run (it runs Training, Processing, Condition, Fail)',
      'step "Notify" has type Lambda, which the local executor does not run (it runs Training, Processing, Condition, Fail)',
    ]);
    expect(error.message).toMatch(/nothing was started/);
  });

  it('refuses unknown references, unknown DependsOn targets, undeclared property files and cycles', async () => {
    const error = await refused(
      definition([
        shellProcessing('A', 'true', { Environment: { X: { Get: 'Parameters.Nope' }, Y: { Get: 'Steps.B.ProcessingJobName' } } }, { DependsOn: ['Ghost'] }),
        shellProcessing('B', 'true', { Environment: { Z: { Get: 'Steps.A.ProcessingJobName' }, W: { Get: 'Execution.Yesterday' } } }),
        { Name: 'Check', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.A.PropertyFiles.Report' }, Path: 'x' } } } },
      ]),
    );
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as ValidationException).problems).toEqual([
      'step "A": DependsOn names unknown step "Ghost"',
      'step "A" refers to parameter "Nope", which the pipeline does not declare',
      'step "B" refers to unknown execution variable Execution.Yesterday (known: PipelineExecutionId, PipelineExecutionArn, PipelineName, PipelineArn, StartDateTime, CurrentDateTime)',
      'step "Check" reads property file "Report", which step "A" does not declare',
      'the steps depend on each other in a cycle: A → B → A',
    ]);
  });

  it('refuses a definition that is not JSON or not of schema version 2020-12-01', async () => {
    await expect(refused('{"Version":')).resolves.toBeInstanceOf(ValidationException);
    const error = await refused(JSON.stringify({ Version: '2019-01-01', Steps: [shellProcessing('A', 'true')] }));
    expect(error.message).toMatch(/PipelineDefinition.Version: expected "2020-12-01"/);
  });

  it('refuses a job whose image has no local runtime, naming the step, the image and the runtimes file', async () => {
    const step = shellProcessing('Score', 'true');
    (step.Arguments as { AppSpecification: { ImageUri: string } }).AppSpecification.ImageUri = IMAGE.replace('unit/tools', 'unit/unknown');
    const error = await refused(definition([step]));
    expect(error).toBeInstanceOf(UnsupportedDefinitionError);
    expect(error.message).toContain(`step "Score": image ${IMAGE.replace('unit/tools', 'unit/unknown')} has no local runtime`);
    expect(error.message).toContain(h.runtimesFile);
  });

  it('refuses a parameter override of the wrong type before writing any record', async () => {
    const storeDir = path.join(h.root, 'refused-store');
    const json = definition([shellProcessing('A', 'true')], [{ Name: 'Threshold', Type: 'Float', DefaultValue: 0.5 }]);
    const error = await h.start(json, { parameters: { Threshold: 'high' }, storeDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe(
      "An error occurred (ValidationException) when calling the StartPipelineExecution operation: Parameter 'Threshold' is of type Float, but the value 'high' is not a valid Float",
    );
    expect(existsSync(storeDir)).toBe(false);
  });
});
