// The EventBridge events SageMaker Pipelines emits on status changes, source "aws.sagemaker":
//   detail-type "SageMaker Model Building Pipeline Execution Status Change" — detail: currentPipelineExecutionStatus,
//     previousPipelineExecutionStatus, executionStartTime, executionEndTime, pipelineArn, pipelineExecutionArn,
//     pipelineExecutionDisplayName, pipelineExecutionDescription;
//   detail-type "SageMaker Model Building Pipeline Execution Step Status Change" — detail: metadata (e.g.
//     {processingJob: {arn}}), stepStartTime, stepEndTime, stepName, stepType, previousStepStatus,
//     currentStepStatus, failureReason (when Failed), pipelineArn, pipelineExecutionArn.
// The execution's FailureReason is not part of its event (read it with describe).
// Sources: SageMaker Developer Guide, "Events that Amazon SageMaker sends to Amazon EventBridge" (pipeline
// execution / pipeline step state change), docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html;
// the detail fields also as listed by the AWS CDK's generated event patterns (aws_sagemaker.events
// SageMakerModelBuildingPipelineExecutionStatusChange / …StepStatusChange).
import { randomUUID } from 'node:crypto';
import { arnParts } from './jobs/job-names';
import type { ExecutionDescription, PipelineExecutionStatus, StepRecord, StepStatus } from './store/records';

export const EXECUTION_STATUS_CHANGE = 'SageMaker Model Building Pipeline Execution Status Change';
export const STEP_STATUS_CHANGE = 'SageMaker Model Building Pipeline Execution Step Status Change';

export interface EventBridgeEvent<Detail = Record<string, unknown>> {
  version: '0';
  id: string;
  'detail-type': typeof EXECUTION_STATUS_CHANGE | typeof STEP_STATUS_CHANGE;
  source: 'aws.sagemaker';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
}

const envelope = (execution: ExecutionDescription, detailType: EventBridgeEvent['detail-type'], detail: Record<string, unknown>): EventBridgeEvent => {
  const parts = arnParts(execution.PipelineArn);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.sagemaker',
    account: parts.account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: parts.region,
    resources: [execution.PipelineArn, execution.PipelineExecutionArn],
    detail,
  };
};

const withoutUndefined = (detail: Record<string, unknown>) => Object.fromEntries(Object.entries(detail).filter(([, value]) => value !== undefined));

export function executionStatusEvent(execution: ExecutionDescription, previous: PipelineExecutionStatus | undefined): EventBridgeEvent {
  return envelope(
    execution,
    EXECUTION_STATUS_CHANGE,
    withoutUndefined({
      currentPipelineExecutionStatus: execution.PipelineExecutionStatus,
      previousPipelineExecutionStatus: previous,
      executionStartTime: execution.Local.StartTime,
      executionEndTime: execution.Local.EndTime,
      pipelineArn: execution.PipelineArn,
      pipelineExecutionArn: execution.PipelineExecutionArn,
      pipelineExecutionDisplayName: execution.PipelineExecutionDisplayName,
      pipelineExecutionDescription: execution.PipelineExecutionDescription,
    }),
  );
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

export function stepStatusEvent(execution: ExecutionDescription, step: StepRecord, previous: StepStatus | undefined): EventBridgeEvent {
  const metadata = Object.fromEntries(
    Object.entries(step.Metadata).map(([kind, value]) => [lowerFirst(kind), Object.fromEntries(Object.entries(value as object).map(([k, v]) => [lowerFirst(k), v]))]),
  );
  return envelope(
    execution,
    STEP_STATUS_CHANGE,
    withoutUndefined({
      metadata,
      stepStartTime: step.StartTime,
      stepEndTime: step.EndTime,
      stepName: step.StepName,
      stepType: step.Local.StepType,
      previousStepStatus: previous,
      currentStepStatus: step.StepStatus,
      failureReason: step.FailureReason,
      pipelineArn: execution.PipelineArn,
      pipelineExecutionArn: execution.PipelineExecutionArn,
    }),
  );
}
