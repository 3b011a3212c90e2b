import {
  asString,
  ConditionStep,
  execution,
  FailStep,
  greaterThanOrEqualTo,
  join,
  jsonGet,
  parameter,
  PipelineDefinitionBuilder,
  PipelineDefinitionError,
  ProcessingStep,
  propertyFile,
  stepProperty,
  TrainingStep,
  type ProcessingJobArguments,
  type TrainingJobArguments,
} from '../../stacks/pipeline-definition';

const training = (uri: TrainingJobArguments['InputDataConfig'][number]['DataSource']['S3DataSource']['S3Uri']): TrainingJobArguments => ({
  AlgorithmSpecification: { TrainingImage: 'image:1', TrainingInputMode: 'File' },
  RoleArn: 'arn:aws:iam::111111111111:role/r',
  InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' } } }],
  OutputDataConfig: { S3OutputPath: 's3://b/out' },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
  StoppingCondition: { MaxRuntimeInSeconds: 60 },
});

const processing = (input: ProcessingJobArguments['AppSpecification']['ImageUri'] = 'image:1', outputName = 'report'): ProcessingJobArguments => ({
  ProcessingResources: { ClusterConfig: { InstanceType: 'ml.t3.medium', InstanceCount: 1, VolumeSizeInGB: 10 } },
  AppSpecification: { ImageUri: input },
  RoleArn: 'arn:aws:iam::111111111111:role/r',
  ProcessingOutputConfig: { Outputs: [{ OutputName: outputName, AppManaged: false, S3Output: { S3Uri: 's3://b/r', LocalPath: '/opt/ml/processing/r', S3UploadMode: 'EndOfJob' } }] },
  StoppingCondition: { MaxRuntimeInSeconds: 60 },
});

function problemsOf(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof PipelineDefinitionError) return [...error.problems];
    throw error;
  }
  throw new Error('expected the definition to be rejected');
}

describe('pipeline definition builder', () => {
  it('serializes parameters, steps and expressions in the 2020-12-01 format', () => {
    const builder = new PipelineDefinitionBuilder('demo');
    const input = builder.parameter({ name: 'InputDataUri', type: 'String', defaultValue: 's3://b/in/' });
    const threshold = builder.parameter({ name: 'Threshold', type: 'Float', defaultValue: 0.7 });
    builder.parameter({ name: 'RunDate', type: 'String' });
    const train = new TrainingStep('Train', training(input), { retryPolicies: [{ ExceptionType: ['Step.THROTTLING'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 }] });
    const evaluate = new ProcessingStep('Evaluate', { ...processing(), Environment: { MODEL: train.property('ModelArtifacts.S3ModelArtifacts'), T: asString(threshold) } }, {
      propertyFiles: [{ name: 'Report', outputName: 'report', filePath: 'evaluation.json' }],
    });
    const metric = jsonGet(evaluate.propertyFile('Report'), 'metrics.auc.value');
    const gate = new ConditionStep('Gate', [greaterThanOrEqualTo(metric, threshold)], [], [new FailStep('Rejected', join(' ', ['run', execution('PipelineExecutionId')]))]);

    const definition = builder.addSteps(train, evaluate, gate).build();

    expect(definition.Version).toBe('2020-12-01');
    expect(definition.Parameters).toEqual([
      { Name: 'InputDataUri', Type: 'String', DefaultValue: 's3://b/in/' },
      { Name: 'Threshold', Type: 'Float', DefaultValue: 0.7 },
      { Name: 'RunDate', Type: 'String' },
    ]);
    const [trainJson, evaluateJson, gateJson] = definition.Steps as any[];
    expect(trainJson.Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri).toEqual({ Get: 'Parameters.InputDataUri' });
    expect(trainJson.RetryPolicies).toEqual([{ ExceptionType: ['Step.THROTTLING'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 }]);
    expect(evaluateJson.Arguments.Environment).toEqual({
      MODEL: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' },
      T: { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.Threshold' }] } },
    });
    expect(evaluateJson.PropertyFiles).toEqual([{ PropertyFileName: 'Report', OutputName: 'report', FilePath: 'evaluation.json' }]);
    expect(gateJson.Arguments.Conditions).toEqual([
      {
        Type: 'GreaterThanOrEqualTo',
        LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.Report' }, Path: 'metrics.auc.value' } },
        RightValue: { Get: 'Parameters.Threshold' },
      },
    ]);
    expect(gateJson.Arguments.IfSteps).toEqual([]);
    expect(gateJson.Arguments.ElseSteps).toEqual([
      { Name: 'Rejected', Type: 'Fail', Arguments: { ErrorMessage: { 'Std:Join': { On: ' ', Values: ['run', { Get: 'Execution.PipelineExecutionId' }] } } } },
    ]);
    expect(JSON.parse(builder.toJson())).toEqual(definition);
  });

  it('leaves out optional fields that are not set', () => {
    const definition = new PipelineDefinitionBuilder('demo').addSteps(new TrainingStep('Train', training('s3://b/in/'))).build();
    expect(Object.keys(definition.Steps[0] as object)).toEqual(['Name', 'Type', 'Arguments']);
  });

  it('rejects a reference to an unknown parameter when building', () => {
    const builder = new PipelineDefinitionBuilder('demo').addSteps(new TrainingStep('Train', training(parameter('InputUri'))));
    expect(problemsOf(() => builder.build())).toEqual(['step "Train" refers to unknown parameter "InputUri"']);
  });

  it('rejects a reference to an unknown step, including inside Std:Join and condition branches', () => {
    const fail = new FailStep('Rejected', join(' ', [stepProperty('Evaluat', 'ProcessingJobStatus')]));
    const builder = new PipelineDefinitionBuilder('demo').addSteps(new ConditionStep('Gate', [greaterThanOrEqualTo(1, 0)], [], [fail]));
    expect(problemsOf(() => builder.build())).toEqual(['step "Rejected" refers to unknown step "Evaluat"']);
  });

  it('rejects an unknown property file and a property file on an undeclared output', () => {
    const evaluate = new ProcessingStep('Evaluate', processing(), { propertyFiles: [{ name: 'Report', outputName: 'evaluation', filePath: 'evaluation.json' }] });
    const gate = new ConditionStep('Gate', [greaterThanOrEqualTo(jsonGet(propertyFile('Evaluate', 'Metrics'), 'auc'), 0.5)], [], []);
    const builder = new PipelineDefinitionBuilder('demo').addSteps(evaluate, gate);
    expect(problemsOf(() => builder.build())).toEqual([
      'step "Evaluate": property file "Report" names output "evaluation", which the step does not declare',
      'step "Gate" refers to unknown property file "Metrics" of step "Evaluate"',
    ]);
  });

  it('rejects duplicate step names, unknown DependsOn targets and duplicate parameters', () => {
    const builder = new PipelineDefinitionBuilder('demo').addSteps(
      new TrainingStep('Train', training('s3://b/in/')),
      new ProcessingStep('Train', processing(), { dependsOn: ['Prepare'] }),
    );
    expect(problemsOf(() => builder.build())).toEqual(['step "Train" is declared twice', 'step "Train" depends on unknown step "Prepare"']);
    builder.parameter({ name: 'RunDate', type: 'String' });
    expect(problemsOf(() => builder.parameter({ name: 'RunDate', type: 'String' }))).toEqual(['parameter "RunDate" is declared twice']);
  });

  it('names the pipeline in the error message', () => {
    const builder = new PipelineDefinitionBuilder('mlp-staging-training').addSteps(new TrainingStep('Train', training(parameter('Nope'))));
    expect(() => builder.build()).toThrow('pipeline definition "mlp-staging-training" is invalid:\n  - step "Train" refers to unknown parameter "Nope"');
  });

  it('rejects names SageMaker does not accept', () => {
    expect(problemsOf(() => new PipelineDefinitionBuilder('demo').parameter({ name: 'input uri', type: 'String' }))).toEqual([
      'parameter name "input uri" must match /^[A-Za-z0-9_-]{1,64}$/',
    ]);
  });
});
