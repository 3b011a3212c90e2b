// Starting, listing and describing pipeline executions with the AWS SDK. Errors from the API are wrapped with
// what was being done, the cause and its fix, and whether retrying can help (scripts/cli/aws-errors.ts).
import {
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionStepsCommand,
  ListPipelineExecutionsCommand,
  StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';
import { awsError } from '../cli/aws-errors';
import { CliError } from '../cli/errors';
import type { SageMakerApi } from './client';
import { PipelineParameter, checkOverrides, declaredParameters } from './parameters';

export type ExecutionStatus = 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';

export interface ExecutionState {
  arn: string;
  status: ExecutionStatus;
  failureReason?: string;
  startedAt?: Date;
  lastModifiedAt?: Date;
}

export interface StepState {
  name: string;
  type?: string;
  status: string;
  failureReason?: string;
  startedAt?: Date;
  endedAt?: Date;
}

export interface RunSummary {
  arn: string;
  status: string;
  startedAt?: Date;
  displayName?: string;
  failureReason?: string;
}

/** What a missing pipeline most likely means. */
const notDeployed = (pipelineName: string) => `is the environment deployed? ${pipelineName} is created by \`npx cdktf deploy <env>\``;

export async function startPipelineRun(
  client: SageMakerApi,
  request: { pipelineName: string; parameters: readonly PipelineParameter[]; displayName?: string; description?: string },
): Promise<string> {
  // Validate overrides against the deployed definition first: SageMaker would otherwise ignore unknown names.
  const pipeline = await client
    .send(new DescribePipelineCommand({ PipelineName: request.pipelineName }))
    .catch((error: unknown) => {
      throw awsError(`Describing pipeline ${request.pipelineName}`, error, { notFound: notDeployed(request.pipelineName) });
    });
  checkOverrides(request.parameters, declaredParameters(pipeline.PipelineDefinition ?? '{}'), request.pipelineName);
  const response = await client
    .send(
      new StartPipelineExecutionCommand({
        PipelineName: request.pipelineName,
        PipelineParameters: request.parameters.map((parameter) => ({ ...parameter })),
        ...(request.displayName ? { PipelineExecutionDisplayName: request.displayName } : {}),
        ...(request.description ? { PipelineExecutionDescription: request.description } : {}),
      }),
    )
    .catch((error: unknown) => {
      throw awsError(`Starting pipeline ${request.pipelineName}`, error);
    });
  if (!response.PipelineExecutionArn) throw new CliError(`Starting pipeline ${request.pipelineName} returned no execution ARN`);
  return response.PipelineExecutionArn;
}

export async function listPipelineRuns(client: SageMakerApi, pipelineName: string, max: number): Promise<RunSummary[]> {
  const response = await client
    .send(new ListPipelineExecutionsCommand({ PipelineName: pipelineName, MaxResults: max, SortBy: 'CreationTime', SortOrder: 'Descending' }))
    .catch((error: unknown) => {
      throw awsError(`Listing executions of ${pipelineName}`, error, { notFound: notDeployed(pipelineName) });
    });
  const runs = (response.PipelineExecutionSummaries ?? []).map((summary) => ({
    arn: summary.PipelineExecutionArn ?? '?',
    status: summary.PipelineExecutionStatus ?? 'Unknown',
    ...(summary.StartTime ? { startedAt: summary.StartTime } : {}),
    ...(summary.PipelineExecutionDisplayName ? { displayName: summary.PipelineExecutionDisplayName } : {}),
    ...(meaningful(summary.PipelineExecutionFailureReason) ? { failureReason: summary.PipelineExecutionFailureReason } : {}),
  }));
  // Sort here too: not every implementation of the API honours SortOrder.
  runs.sort((a, b) => (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0));
  return runs.slice(0, max);
}

export async function describeExecution(client: SageMakerApi, arn: string): Promise<ExecutionState> {
  const response = await client.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn })).catch((error: unknown) => {
    throw awsError(`Describing execution ${arn}`, error);
  });
  const status = response.PipelineExecutionStatus;
  if (!status) throw new CliError(`Describing execution ${arn} returned no status`);
  return {
    arn,
    status: status as ExecutionStatus,
    ...(meaningful(response.FailureReason) ? { failureReason: response.FailureReason } : {}),
    ...(response.CreationTime ? { startedAt: response.CreationTime } : {}),
    ...(response.LastModifiedTime ? { lastModifiedAt: response.LastModifiedTime } : {}),
  };
}

export async function listExecutionSteps(client: SageMakerApi, arn: string): Promise<StepState[]> {
  const steps: StepState[] = [];
  let nextToken: string | undefined;
  do {
    const response = await client
      .send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn, SortOrder: 'Ascending', ...(nextToken ? { NextToken: nextToken } : {}) }))
      .catch((error: unknown) => {
        throw awsError(`Listing the steps of ${arn}`, error);
      });
    for (const step of response.PipelineExecutionSteps ?? []) {
      steps.push({
        name: step.StepName ?? '?',
        status: step.StepStatus ?? 'Unknown',
        ...(step.StepDisplayName ? { type: step.StepDisplayName } : {}),
        ...(meaningful(step.FailureReason) ? { failureReason: step.FailureReason } : {}),
        ...(step.StartTime ? { startedAt: step.StartTime } : {}),
        ...(step.EndTime ? { endedAt: step.EndTime } : {}),
      });
    }
    nextToken = response.NextToken;
  } while (nextToken);
  return steps;
}

// Some implementations return "" or the string "None" for an absent reason.
function meaningful(text: string | undefined): text is string {
  return text !== undefined && text !== '' && text !== 'None';
}
