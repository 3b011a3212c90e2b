// The SageMaker Pipelines API of this machine: the calls the operator CLIs make (scripts/pipelines), answered the
// way SageMaker answers them for the pipelines deployed into the AWS emulator — DescribePipeline by the emulator
// (what terraform deployed), executions by the local executor and its on-disk records. So `pipeline:start`,
// `pipeline:watch` and `pipeline:list` work against `--env local` unchanged, in the format they use for AWS.
// One difference: an execution runs inside the process that started it (there is no service to hand it to).
import {
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionStepsCommand,
  ListPipelineExecutionsCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventBridgeDelivery } from './eventbridge';
import { startExecution, type StartedExecution } from './execution';
import type { RoleCredentials } from './jobs/container-env';
import { DEFAULT_STORE_DIR, openExecutionStore } from './store/execution-store';
import type { ExecutionDescription, StepRecord } from './store/records';

export interface LocalSageMakerOptions {
  /** The emulator's SageMaker (DescribePipeline: the deployed definitions). Absent: only stored executions can be read. */
  readonly upstream?: SageMakerClient;
  /** Where the executions' status events go (the emulator's EventBridge, where the deployed alert rule is). */
  readonly events?: EventBridgeClient;
  /** The jobs' stand-in execution role (the emulator's endpoint and credentials). */
  readonly role?: RoleCredentials;
  readonly storeDir?: string;
  readonly log?: (line: string) => void;
}

const date = (iso: string | undefined) => (iso ? new Date(iso) : undefined);

function describeResponse(e: ExecutionDescription) {
  return {
    PipelineArn: e.PipelineArn,
    PipelineExecutionArn: e.PipelineExecutionArn,
    PipelineExecutionDisplayName: e.PipelineExecutionDisplayName,
    PipelineExecutionStatus: e.PipelineExecutionStatus,
    PipelineExecutionDescription: e.PipelineExecutionDescription,
    FailureReason: e.FailureReason,
    CreationTime: date(e.CreationTime),
    LastModifiedTime: date(e.LastModifiedTime),
    ParallelismConfiguration: e.ParallelismConfiguration,
  };
}

function stepResponse(s: StepRecord) {
  return {
    StepName: s.StepName,
    StepDisplayName: s.StepDisplayName,
    StepDescription: s.StepDescription,
    StepStatus: s.StepStatus,
    StartTime: date(s.StartTime),
    EndTime: date(s.EndTime),
    AttemptCount: s.AttemptCount,
    FailureReason: s.FailureReason,
    Metadata: s.Metadata,
  };
}

export class LocalSageMakerApi {
  /** Executions started here run in this process until they end. */
  readonly runsInProcess = true;
  private readonly running = new Map<string, StartedExecution>();
  private readonly store;

  constructor(private readonly options: LocalSageMakerOptions) {
    this.store = openExecutionStore(options.storeDir ?? DEFAULT_STORE_DIR);
  }

  private upstream(): SageMakerClient {
    if (!this.options.upstream) throw new Error('no AWS emulator with the deployed pipelines is running: start one with `npm run deploy:local` or `npm run nightly -- --keep-services`');
    return this.options.upstream;
  }

  // The SDK's command classes are the API's vocabulary; anything else is not part of this API.
  async send(command: object): Promise<any> {
    if (command instanceof DescribePipelineCommand) return this.upstream().send(command);
    if (command instanceof StartPipelineExecutionCommand) return this.start(command.input);
    if (command instanceof DescribePipelineExecutionCommand) return describeResponse(await this.store.describe(command.input.PipelineExecutionArn ?? ''));
    if (command instanceof StopPipelineExecutionCommand) {
      const arn = command.input.PipelineExecutionArn ?? '';
      await (this.running.get(arn)?.stop() ?? this.store.requestStop(arn));
      return { PipelineExecutionArn: arn };
    }
    if (command instanceof ListPipelineExecutionStepsCommand) {
      const steps = (await this.store.listSteps(command.input.PipelineExecutionArn ?? '')).map(stepResponse);
      if (command.input.SortOrder === 'Ascending') steps.reverse();
      return { PipelineExecutionSteps: steps };
    }
    if (command instanceof ListPipelineExecutionsCommand) {
      const name = command.input.PipelineName ?? '';
      const executions = (await this.store.list()).filter((e) => e.Local.PipelineName === name || e.PipelineArn === name);
      if (command.input.SortOrder === 'Ascending') executions.reverse();
      return {
        PipelineExecutionSummaries: executions.slice(0, command.input.MaxResults ?? 50).map((e) => ({
          PipelineExecutionArn: e.PipelineExecutionArn,
          PipelineExecutionStatus: e.PipelineExecutionStatus,
          PipelineExecutionDisplayName: e.PipelineExecutionDisplayName,
          PipelineExecutionFailureReason: e.FailureReason,
          StartTime: date(e.CreationTime),
        })),
      };
    }
    throw new Error(`${command.constructor.name} is not part of the local SageMaker Pipelines API`);
  }

  private async start(input: StartPipelineExecutionCommand['input']): Promise<{ PipelineExecutionArn: string }> {
    if (!this.options.role) throw new Error('starting an execution needs the jobs\' role credentials (the AWS emulator)');
    const pipeline = await this.upstream().send(new DescribePipelineCommand({ PipelineName: input.PipelineName }));
    const delivery = this.options.events ? eventBridgeDelivery(this.options.events) : undefined;
    const started = await startExecution({
      definition: pipeline.PipelineDefinition ?? '',
      pipelineName: pipeline.PipelineName ?? input.PipelineName ?? '',
      pipelineArn: pipeline.PipelineArn ?? '',
      parameters: Object.fromEntries((input.PipelineParameters ?? []).map((p) => [p.Name ?? '', p.Value ?? ''])),
      displayName: input.PipelineExecutionDisplayName,
      description: input.PipelineExecutionDescription,
      parallelism: pipeline.ParallelismConfiguration?.MaxParallelExecutionSteps
        ? { maxParallelExecutionSteps: pipeline.ParallelismConfiguration.MaxParallelExecutionSteps }
        : undefined,
      aws: this.options.role,
      storeDir: this.store.dir,
      onEvent: delivery?.onEvent,
      log: this.options.log,
    });
    this.running.set(started.executionArn, started);
    void started.done.then(async () => {
      await delivery?.settled().catch((error: unknown) => this.options.log?.(String(error)));
      this.running.delete(started.executionArn);
    });
    return { PipelineExecutionArn: started.executionArn };
  }

  /** Stops every execution this process runs (Ctrl-C); resolves when they are Stopped. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((execution) => execution.stop()));
  }

  destroy(): void {
    this.options.upstream?.destroy();
    this.options.events?.destroy();
  }
}
