// The inference pipeline (stacks/) and the scorer (apps/scorer) meet only through the Score step's environment
// variables. This checks, for every environment, that what the stack passes is a configuration the scorer accepts
// and means what the environment file says — so a renamed variable fails here, not at 3 a.m. in SageMaker.
import { loadConfig } from '../../apps/scorer/src/config';
import { environmentNames, platformNames } from '../../environments';
import { EXECUTION_ID, resolveStepEnvironment } from '../support/step-environment';
import { pipelineDefinition, synthEnvironment, type Json } from '../infra/support/synthesized';

describe.each(environmentNames())('the %s Score step environment', (name) => {
  const synth = synthEnvironment(name);
  const definition = pipelineDefinition(synth, platformNames(synth.config).inferencePipeline);
  const score = definition.Steps.find((s: Json) => s.Type === 'Processing');
  const today = new Date('2026-12-01T03:00:00Z');
  /** The scorer's configuration for an execution started with these parameter values (a schedule passes none). */
  const scorerConfig = async (started: Record<string, string> = {}) =>
    loadConfig({ env: await resolveStepEnvironment(definition, score.Arguments.Environment, started), argv: [], now: today });
  let config: Awaited<ReturnType<typeof scorerConfig>>;
  beforeAll(async () => {
    config = await scorerConfig();
  });

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

  it('makes a scheduled run load the environment\'s scoring alias, score today\'s date and tag the run with the execution id', () => {
    expect(config.model).toEqual({ name: synth.config.mlflow.modelName, alias: synth.config.mlflow.scoringAlias });
    expect(config.runId).toBe(EXECUTION_ID);
    expect(config.runDate).toBe('2026-12-01');
    expect(config.maxRejectedRatio).toBe(synth.config.scoring.maxRejectedRatio);
    expect(config.minRows).toBe(1);
    expect(config.mlflow.auth.kind).toBe(synth.config.mlflow.server.type === 'sagemaker' ? 'sigv4' : 'none');
  });

  it('passes the alias, date and minimum rows an operator starts a rerun with on to the scorer', async () => {
    const rerun = await scorerConfig({ ModelAlias: 'rerun-alias', RunDate: '2026-11-23', MinRows: '0' });
    expect(rerun.model).toEqual({ name: synth.config.mlflow.modelName, alias: 'rerun-alias' });
    expect(rerun.runDate).toBe('2026-11-23');
    expect(rerun.minRows).toBe(0);
  });
});
