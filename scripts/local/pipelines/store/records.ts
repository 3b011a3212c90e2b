// Execution and step records, shaped like DescribePipelineExecution and ListPipelineExecutionSteps (times as
// ISO-8601 strings, since they live in JSON files), with what only a local run knows (attempts, job log files,
// timings, the step's properties) under a separate `Local` field.
import type { StepMetadata, AttemptTimings } from '../steps/types';

export type PipelineExecutionStatus = 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';
export type StepStatus = 'Starting' | 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';

export const TERMINAL_EXECUTION_STATUSES: readonly PipelineExecutionStatus[] = ['Stopped', 'Failed', 'Succeeded'];

export interface ExecutionDescription {
  PipelineArn: string;
  PipelineExecutionArn: string;
  PipelineExecutionDisplayName: string;
  PipelineExecutionStatus: PipelineExecutionStatus;
  PipelineExecutionDescription?: string;
  FailureReason?: string;
  CreationTime: string;
  LastModifiedTime: string;
  PipelineParameters: Array<{ Name: string; Value: string }>;
  ParallelismConfiguration: { MaxParallelExecutionSteps: number };
  Local: {
    ExecutionId: string;
    PipelineName: string;
    /** This execution's folder: records, events, job folders and logs. */
    Folder: string;
    /** The process running the execution (a later `stop` signals it through the store). */
    OwnerPid: number;
    Engine: string;
    StartTime: string;
    EndTime?: string;
  };
}

export interface AttemptRecord {
  Attempt: number;
  Status: 'Executing' | 'Succeeded' | 'Failed' | 'Stopped';
  StartTime: string;
  EndTime?: string;
  FailureReason?: string;
  /** The retryable exception type of the failure, when it has one. */
  ExceptionType?: string;
  /** Set when a retry policy scheduled another attempt after this one. */
  RetryDelaySeconds?: number;
  RetryDecision?: string;
  Job?: { Kind: 'TrainingJob' | 'ProcessingJob'; Name: string; Arn: string; LogFiles: string[] };
  Timings: AttemptTimings;
}

export interface StepRecord {
  StepName: string;
  StepDisplayName?: string;
  StepDescription?: string;
  StepStatus: StepStatus;
  StartTime: string;
  EndTime?: string;
  AttemptCount: number;
  FailureReason?: string;
  Metadata: StepMetadata;
  Local: {
    StepType: string;
    Attempts: AttemptRecord[];
    /** What Get Steps.<name>.… read: the job's Describe response, or a condition's outcome. */
    Properties?: Record<string, unknown>;
  };
}
