// The contract between the executor and its step handlers: one handler per step type (like one moto backend per
// resource type), each implementing SageMaker's documented behaviour of that type and nothing of our own apps.
import type { DefinitionStep } from '../definition/schema';
import type { ExceptionType } from '../errors';
import type { ExecutionIdentity } from '../expressions/evaluate';
import type { JobEngine } from '../jobs/engines';
import type { ArnParts } from '../jobs/job-names';
import type { LocalRuntime } from '../jobs/runtimes';
import type { ObjectStore } from '../s3/object-store';

/** PipelineExecutionStepMetadata (the parts this executor fills in). */
export interface StepMetadata {
  TrainingJob?: { Arn: string };
  ProcessingJob?: { Arn: string };
  Condition?: { Outcome: 'True' | 'False' };
  Fail?: { ErrorMessage: string };
}

/** What a job step's attempt measured (milliseconds since the epoch), for records and the benchmark. */
export interface AttemptTimings {
  attemptStart?: number;
  downloadStart?: number;
  downloadEnd?: number;
  processStart?: number;
  processEnd?: number;
  uploadStart?: number;
  uploadEnd?: number;
  downloadedBytes?: number;
  uploadedBytes?: number;
}

export interface JobServices {
  readonly objectStore: ObjectStore;
  /** Engine that runs an image's processes (resolves and prepares its local runtime first). */
  engineFor(imageUri: string): Promise<JobEngine>;
  /** The local runtime of an image, when jobs run in a namespace (undefined with a container engine). */
  runtimeFor(imageUri: string): LocalRuntime | undefined;
  /** A new, empty folder for one job (under the execution's folder). */
  jobFolder(jobName: string): Promise<string>;
  readonly role: Readonly<Record<string, string>>;
  readonly stopGraceSeconds: number;
}

export interface StepContext {
  readonly step: DefinitionStep;
  readonly attempt: number;
  readonly execution: ExecutionIdentity;
  readonly arn: ArnParts;
  /** Evaluates the expressions in a value (Get, Std:Join, Std:JsonGet); failures throw StepFailure. */
  evaluate(value: unknown): Promise<unknown>;
  readonly signal: AbortSignal;
  /** Live output, already prefixed by the caller's choice of prefix. */
  readonly log: (line: string) => void;
  readonly jobs: JobServices;
  /** Called once the attempt's job exists (its name and ARN go into the step's records at once). */
  jobCreated(job: { name: string; arn: string; kind: 'TrainingJob' | 'ProcessingJob'; logFiles: string[] }): void;
  readonly timings: AttemptTimings;
}

export interface StepResult {
  /** What Get Steps.<name>.<path> reads: the Describe*Job response of the step's job, or the condition outcome. */
  readonly properties: Record<string, unknown>;
  readonly metadata: StepMetadata;
  /** Condition steps: which branch runs. */
  readonly outcome?: boolean;
}

export interface StepHandler {
  readonly type: string;
  /** Checks that can fail before anything runs (e.g. an image with no local runtime); returns problems. */
  checkBeforeStart?(step: DefinitionStep, jobs: Pick<JobServices, 'runtimeFor'> & { readonly usesRuntimes: boolean }): string[];
  run(context: StepContext): Promise<StepResult>;
}

export type { ExceptionType };
