// Names and ARNs of the jobs a pipeline step creates, in the form SageMaker Pipelines uses:
// pipelines-<execution id>-<step name>-<random>, at most 63 characters (TrainingJobName / ProcessingJobName).
import { randomBytes } from 'node:crypto';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LOWER_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomString(length: number, alphabet = ALPHANUMERIC): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('');
}

/** A pipeline execution id: 12 lower-case letters and digits, as SageMaker (and moto) issue them. */
export const newExecutionId = () => randomString(12, LOWER_ALPHANUMERIC);

export function jobName(executionId: string, stepName: string): string {
  const suffix = randomString(10);
  const room = 63 - 'pipelines-'.length - executionId.length - suffix.length - 2;
  const step = stepName.replace(/[^A-Za-z0-9-]/g, '-').replace(/-+/g, '-').slice(0, Math.max(1, room)).replace(/^-|-$/g, '') || 'step';
  return `pipelines-${executionId}-${step}-${suffix}`;
}

export interface ArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** Partition, region and account of a pipeline ARN (arn:aws:sagemaker:<region>:<account>:pipeline/<name>). */
export function arnParts(pipelineArn: string): ArnParts {
  const match = /^arn:(aws[a-z-]*):sagemaker:([a-z0-9-]*):(\d{12}|aws):pipeline\/.+$/.exec(pipelineArn);
  if (!match) throw new Error(`"${pipelineArn}" is not a SageMaker pipeline ARN (arn:aws:sagemaker:<region>:<account>:pipeline/<name>)`);
  return { partition: match[1]!, region: match[2]!, account: match[3]! };
}

/** SageMaker lower-cases resource names in ARNs. */
export const jobArn = (parts: ArnParts, kind: 'training-job' | 'processing-job', name: string) =>
  `arn:${parts.partition}:sagemaker:${parts.region}:${parts.account}:${kind}/${name.toLowerCase()}`;

export const executionArn = (pipelineArn: string, executionId: string) => `${pipelineArn}/execution/${executionId}`;
