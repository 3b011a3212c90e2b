// One place that builds the SageMaker client. The SDK itself honours AWS_ENDPOINT_URL (and
// AWS_ENDPOINT_URL_SAGEMAKER), which is how the CLIs reach the local emulator; credentials come from the
// default provider chain.
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { UsageError } from '../cli/errors';

export type SageMakerClientFactory = (region: string) => SageMakerClient;

export const defaultClientFactory: SageMakerClientFactory = (region) => new SageMakerClient({ region, maxAttempts: 5 });

/** Region of a pipeline execution ARN: arn:aws:sagemaker:<region>:<account>:pipeline/<name>/execution/<id>. */
export function parseExecutionArn(arn: string): { region: string; account: string; pipelineName: string; executionId: string } {
  const match = /^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):pipeline\/([^/]+)\/execution\/([A-Za-z0-9]+)$/.exec(arn);
  if (!match) {
    throw new UsageError(`--arn ${JSON.stringify(arn)}: expected a pipeline execution ARN like arn:aws:sagemaker:eu-west-1:123456789012:pipeline/NAME/execution/ID`);
  }
  return { region: match[1]!, account: match[2]!, pipelineName: match[3]!, executionId: match[4]! };
}
