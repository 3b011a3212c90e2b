// The inference pipeline (stacks/) and the scorer (apps/scorer) meet only through the Score step's environment
// variables. This checks, for every environment, that what the stack passes is a configuration the scorer accepts
// and means what the environment file says — so a renamed variable fails here, not at 3 a.m. in SageMaker.
import { loadConfig } from '../../apps/scorer/src/config';
import { environmentNames, platformNames } from '../../environments';
import { pipelineDefinition, synthEnvironment, type Json } from '../infra/support/synthesized';

// What SageMaker substitutes for the pipeline expressions at run time.
const runtimeValues: Record<string, string> = {
  'Parameters.ModelAlias': 'champion',
  'Parameters.RunDate': '2026-11-23',
  'Execution.PipelineExecutionId': 'abcd1234efgh',
};

function resolveExpressions(environment: Record<string, Json>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const resolved = runtimeValues[value?.Get];
      if (resolved === undefined) throw new Error(`${name}: no sample value for expression ${JSON.stringify(value)}`);
      return [name, resolved];
    }),
  );
}

describe.each(environmentNames())('the %s Score step environment', (name) => {
  const synth = synthEnvironment(name);
  const definition = pipelineDefinition(synth, platformNames(synth.config).inferencePipeline);
  const score = definition.Steps.find((s: Json) => s.Type === 'Processing');
  const config = loadConfig({ env: resolveExpressions(score.Arguments.Environment), argv: [] });

  it('is accepted by the scorer and points it at the SageMaker processing folders', () => {
    expect(config.inputPath).toBe(score.Arguments.ProcessingInputs[0].S3Input.LocalPath);
    expect(config.outputPath).toBe(score.Arguments.ProcessingOutputConfig.Outputs[0].S3Output.LocalPath);
  });

  it('makes the scorer publish to the environment\'s topics on its brokers with its authentication', () => {
    const kafka = synth.config.kafka;
    expect(config.kafka).toMatchObject({ brokers: kafka.brokers, topic: kafka.topic, dlqTopic: kafka.deadLetterTopic, tls: kafka.tls });
    expect(config.kafka.auth.kind).toBe(kafka.auth.type === 'sasl-scram' ? kafka.auth.mechanism : kafka.auth.type === 'msk-iam' ? 'msk-iam' : 'none');
    expect(config.kafka.transactionalId).toBeDefined();
  });

  it('makes the scorer load the environment\'s model by the alias parameter and tag the run with the execution id', () => {
    expect(config.model).toEqual({ name: synth.config.mlflow.modelName, alias: 'champion' });
    expect(config.runId).toBe('abcd1234efgh');
    expect(config.runDate).toBe('2026-11-23');
    expect(config.maxRejectedRatio).toBe(synth.config.scoring.maxRejectedRatio);
    expect(config.mlflow.auth.kind).toBe(synth.config.mlflow.server.type === 'sagemaker' ? 'sigv4' : 'none');
  });
});
