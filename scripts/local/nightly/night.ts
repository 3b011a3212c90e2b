// One night: each deployed schedule, in the order the night fires them, starts its target pipeline — the
// definition read back from the emulator (DescribePipeline), the parameters the schedule carries — on the local
// SageMaker executor, and the executor's status-change events go to the emulator's EventBridge, where the deployed
// alert rule decides what reaches the alert topic.
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DescribePipelineCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { openExecutionStore, startExecution, type ExecutionDescription, type StepRecord } from '../pipelines';
import { eventBridgeDelivery } from '../pipelines/eventbridge';
import type { RoleCredentials } from '../pipelines/jobs/container-env';
import type { PlannedStart } from './schedules';

/** A scheduled start with the pipeline as deployed: its definition, parallelism and the parameters it will get. */
export interface ScheduledPipeline {
  readonly start: PlannedStart;
  readonly pipelineName: string;
  readonly pipelineArn: string;
  readonly definition: string;
  readonly maxParallelSteps?: number;
  /** The definition's parameter defaults with the schedule's values over them: what the execution runs with. */
  readonly parameters: Readonly<Record<string, string>>;
}

export interface ScheduledRun {
  readonly pipeline: ScheduledPipeline;
  readonly execution: ExecutionDescription;
  readonly steps: StepRecord[];
}

export interface NightServices {
  readonly sagemaker: SageMakerClient;
  readonly events: EventBridgeClient;
  /** What stands in for the jobs' execution role: the emulator's endpoint and credentials. */
  readonly role: RoleCredentials;
  readonly storeDir: string;
}

/** DescribePipeline of the schedule's target, as the executor will run it. */
export async function describeScheduledPipeline(sagemaker: SageMakerClient, start: PlannedStart): Promise<ScheduledPipeline> {
  const name = start.schedule.pipelineArn.split(':pipeline/')[1] as string;
  const described = await sagemaker.send(new DescribePipelineCommand({ PipelineName: name }));
  const definition = described.PipelineDefinition;
  if (!definition) throw new Error(`DescribePipeline ${name} returned no definition`);
  const declared = (JSON.parse(definition) as { Parameters?: { Name: string; DefaultValue?: unknown }[] }).Parameters ?? [];
  const defaults = Object.fromEntries(declared.map((p) => [p.Name, p.DefaultValue === undefined ? '' : String(p.DefaultValue)]));
  return {
    start,
    pipelineName: described.PipelineName ?? name,
    pipelineArn: described.PipelineArn ?? start.schedule.pipelineArn,
    definition,
    maxParallelSteps: described.ParallelismConfiguration?.MaxParallelExecutionSteps,
    parameters: { ...defaults, ...start.schedule.parameters },
  };
}

export async function runScheduledPipeline(
  pipeline: ScheduledPipeline,
  services: NightServices,
  print: (line: string) => void,
  onStarted: (stop: () => Promise<void>) => void = () => undefined,
): Promise<ScheduledRun> {
  const { start } = pipeline;
  const delivery = eventBridgeDelivery(services.events);
  const started = await startExecution({
    definition: pipeline.definition,
    pipelineName: pipeline.pipelineName,
    pipelineArn: pipeline.pipelineArn,
    // What EventBridge Scheduler passes: the schedule's parameters only; the definition supplies the defaults.
    parameters: start.schedule.parameters,
    displayName: `${start.schedule.name}-${start.firesAt.toISOString().replace(/[^0-9]/g, '').slice(0, 12)}`,
    description: `Started by the local night for schedule ${start.schedule.group}/${start.schedule.name}`,
    parallelism: pipeline.maxParallelSteps ? { maxParallelExecutionSteps: pipeline.maxParallelSteps } : undefined,
    aws: services.role,
    storeDir: services.storeDir,
    onEvent: delivery.onEvent,
    log: print,
  });
  onStarted(() => started.stop());
  const execution = await started.done;
  // Every event is delivered before the run is judged, so the alert topic has what it will ever get.
  await delivery.settled();
  const steps = await openExecutionStore(services.storeDir).listSteps(started.executionArn);
  return { pipeline, execution, steps };
}
