// A step's Environment as SageMaker substitutes it at run time, evaluated by the local executor's own expression
// evaluator (the code that runs the deployed definitions): parameters given when the execution starts, else the
// declared defaults; Execution.* of a fixed execution. For steps that read no property file or JSON object.
import type { EvaluationContext } from '../../scripts/local/pipelines/expressions/evaluate';
import { evaluate } from '../../scripts/local/pipelines/expressions/evaluate';
import { resolveParameters } from '../../scripts/local/pipelines/parameters';
import type { Json } from '../infra/support/synthesized';

export const EXECUTION_ID = 'abcd1234efgh';

export async function resolveStepEnvironment(
  definition: Json,
  environment: Record<string, Json>,
  started: Record<string, string> = {},
  executionId: string = EXECUTION_ID,
): Promise<Record<string, string>> {
  const parameters = new Map(resolveParameters(definition, started).map((p) => [p.name, p]));
  const context: EvaluationContext = {
    parameters,
    execution: {
      id: executionId,
      arn: `arn:aws:sagemaker:eu-central-1:000000000000:pipeline/p/execution/${executionId}`,
      pipelineName: 'p',
      pipelineArn: 'arn:aws:sagemaker:eu-central-1:000000000000:pipeline/p',
      startTime: new Date('2026-12-01T03:00:00Z'),
    },
    stepProperties: () => undefined,
    readPropertyFile: () => Promise.reject(new Error('this step reads no property file')),
    readJsonObject: () => Promise.reject(new Error('this step reads no JSON object')),
  };
  return (await evaluate(environment, context)) as Record<string, string>;
}
