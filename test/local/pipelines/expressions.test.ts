import { StepFailure } from '../../../scripts/local/pipelines/errors';
import { evaluate, type EvaluationContext } from '../../../scripts/local/pipelines/expressions/evaluate';
import { follow, isMissing, parsePath } from '../../../scripts/local/pipelines/expressions/property-path';

const evaluation = {
  metrics: { auc: { value: 0.91 } },
  champion: { metrics: { auc: { value: 0 } } },
  gate: { reason: 'auc 0.91 >= threshold 0.7' },
  items: [{ name: 'first' }, { name: 'second' }],
};

const context: EvaluationContext = {
  parameters: new Map([
    ['InputDataUri', { name: 'InputDataUri', type: 'String', value: 's3://b/in/' }],
    ['QualityThreshold', { name: 'QualityThreshold', type: 'Float', value: 0.7 }],
    ['Epochs', { name: 'Epochs', type: 'Integer', value: 3 }],
  ]),
  execution: { id: 'p4jn9xou8a8s', arn: 'arn:aws:sagemaker:eu-central-1:000000000000:pipeline/p/execution/p4jn9xou8a8s', pipelineName: 'p', pipelineArn: 'arn:aws:sagemaker:eu-central-1:000000000000:pipeline/p', startTime: new Date('2026-11-23T01:00:00Z') },
  stepProperties: (step) =>
    step === 'Train'
      ? { TrainingJobName: 'job-1', ModelArtifacts: { S3ModelArtifacts: 's3://b/model.tar.gz' }, FinalMetricDataList: [{ MetricName: 'auc', Value: 0.91 }] }
      : step === 'Evaluate'
        ? { ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: 's3://b/eval' } }] } }
        : undefined,
  readPropertyFile: async (step, file) => {
    if (step === 'Evaluate' && file === 'EvaluationReport') return { json: evaluation, location: 's3://b/eval/evaluation.json' };
    throw new StepFailure(`no ${file}`);
  },
  readJsonObject: async () => evaluation,
};

const jsonGet = (path: string) => ({ 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: path } });

describe('expressions of the definition language', () => {
  it('reads parameters, execution variables and step properties, including lists indexed by name', async () => {
    await expect(evaluate({ Get: 'Parameters.QualityThreshold' }, context)).resolves.toBe(0.7);
    await expect(evaluate({ Get: 'Execution.PipelineExecutionId' }, context)).resolves.toBe('p4jn9xou8a8s');
    await expect(evaluate({ Get: 'Execution.StartDateTime' }, context)).resolves.toBe('2026-11-23T01:00:00.000Z');
    await expect(evaluate({ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' }, context)).resolves.toBe('s3://b/model.tar.gz');
    await expect(evaluate({ Get: "Steps.Train.FinalMetricDataList['auc'].Value" }, context)).resolves.toBe(0.91);
    await expect(evaluate({ Get: "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri" }, context)).resolves.toBe('s3://b/eval');
  });

  it('joins values into a string, numbers included, and evaluates inside nested arguments', async () => {
    const args = { Environment: { RUN_ID: { Get: 'Execution.PipelineExecutionId' }, THRESHOLD: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.QualityThreshold' }] } } }, List: [{ Get: 'Parameters.Epochs' }] };
    await expect(evaluate(args, context)).resolves.toEqual({ Environment: { RUN_ID: 'p4jn9xou8a8s', THRESHOLD: '0.7' }, List: [3] });
    await expect(evaluate({ 'Std:Join': { On: '/', Values: ['s3://b/runs', { Get: 'Execution.PipelineExecutionId' }, 'model'] } }, context)).resolves.toBe('s3://b/runs/p4jn9xou8a8s/model');
  });

  it('reads a value from a property file with Std:JsonGet', async () => {
    await expect(evaluate(jsonGet('metrics.auc.value'), context)).resolves.toBe(0.91);
    await expect(evaluate(jsonGet('items[1].name'), context)).resolves.toBe('second');
  });

  it('fails the step that needs a JsonGet path the file does not have, naming path, file, step and object', async () => {
    const error = await evaluate(jsonGet('metrics.f1.value'), context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailure);
    expect((error as StepFailure).reason).toBe(
      "Std:JsonGet failed: the path 'metrics.f1.value' does not exist in property file EvaluationReport of step Evaluate (s3://b/eval/evaluation.json)",
    );
    expect((error as StepFailure).exceptionType).toBeUndefined();
  });

  it('fails a Get of a step that has not succeeded, or of a property it does not have', async () => {
    await expect(evaluate({ Get: 'Steps.Register.ProcessingJobName' }, context)).rejects.toThrow('Unable to resolve Steps.Register.ProcessingJobName: step Register has not succeeded in this execution');
    await expect(evaluate({ Get: 'Steps.Train.ModelArtifacts.Missing' }, context)).rejects.toThrow('step Train has no property ModelArtifacts.Missing');
  });

  it('parses property paths with fields, quoted keys and indexes', () => {
    expect(parsePath("Outputs['a b'].S3Output[0]")).toEqual([
      { kind: 'field', name: 'Outputs' },
      { kind: 'key', key: 'a b' },
      { kind: 'field', name: 'S3Output' },
      { kind: 'index', index: 0 },
    ]);
    expect(isMissing(follow({ a: [1] }, parsePath('a[3]')))).toBe(true);
    expect(() => parsePath('a..b')).toThrow('invalid path "a..b"');
  });
});
