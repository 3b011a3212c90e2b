// One pipeline execution, start to end, as SageMaker Pipelines runs it: a step starts once every step it depends
// on (DependsOn, the steps its expressions read, the Condition that chose its branch) has succeeded, up to
// MaxParallelExecutionSteps at a time; a failed step stops new steps from starting and fails the execution once
// the running ones end; a stop stops the running jobs and marks the execution Stopped. Every status change is
// written to the store and emitted as an EventBridge event.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadDefinition, type LoadedPipeline, type StepNode } from './definition/load';
import { errorMessage, LocalEnvironmentError, StepFailure, UnsupportedDefinitionError } from './errors';
import { evaluate, type EvaluationContext, type ExecutionIdentity } from './expressions/evaluate';
import { follow, isMissing, parsePath } from './expressions/property-path';
import { executionStatusEvent, stepStatusEvent, type EventBridgeEvent } from './events';
import { roleEnvironment, type RoleCredentials } from './jobs/container-env';
import { containerEngine, namespaceEngine, type JobEngine } from './jobs/engines';
import { arnParts, executionArn as toExecutionArn, newExecutionId, type ArnParts } from './jobs/job-names';
import { loadRuntimeMapping, prepareRuntime, type RuntimeMapping } from './jobs/runtimes';
import { findTool, namespaceSupport } from './jobs/sandbox';
import { describeParameters, resolveParameters, type ResolvedParameter } from './parameters';
import { decideRetry } from './retry';
import { ObjectStoreError, s3ObjectStore, type ObjectStore } from './s3/object-store';
import { joinKey, parseS3Uri } from './s3/s3-uri';
import { STEP_HANDLERS } from './steps';
import type { AttemptTimings, JobServices, StepResult } from './steps/types';
import { DEFAULT_STORE_DIR, ExecutionWriter } from './store/execution-store';
import type { AttemptRecord, ExecutionDescription, PipelineExecutionStatus, StepRecord, StepStatus } from './store/records';

export const DEFAULT_RUNTIMES_FILE = path.resolve(__dirname, '..', '..', '..', 'containers', 'local-runtimes.json');
/** SageMaker's default when a pipeline sets no ParallelismConfiguration. */
export const DEFAULT_MAX_PARALLEL_STEPS = 50;
/** SageMaker gives a stopped training container 120 s between SIGTERM and SIGKILL. */
export const DEFAULT_STOP_GRACE_SECONDS = 120;

export type Engine = 'namespace' | 'docker' | 'podman';

export interface StartExecutionInput {
  /** The PipelineDefinition JSON string, exactly as deployed. */
  readonly definition: string;
  readonly pipelineName: string;
  readonly pipelineArn: string;
  /** StartPipelineExecution's PipelineParameters (Name → Value). */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly displayName?: string;
  readonly description?: string;
  readonly startTime?: Date;
  /** DescribePipeline's ParallelismConfiguration. */
  readonly parallelism?: { readonly maxParallelExecutionSteps: number };
  /** The stand-in for the jobs' execution role, and the S3 endpoint the executor itself uses ("role credentials"). */
  readonly aws: RoleCredentials;
  /** Image → local runtime mapping; default containers/local-runtimes.json. */
  readonly runtimesFile?: string;
  /** Where execution records live; default .local/pipelines. */
  readonly storeDir?: string;
  readonly onEvent?: (event: EventBridgeEvent) => void | Promise<void>;
  /** Live, prefixed job output and progress lines. */
  readonly log?: (line: string) => void;
  /** How jobs run: a mount namespace with a local runtime (default), or the real image on docker/podman. */
  readonly engine?: Engine;
  /** Seconds between SIGTERM and SIGKILL when a job is stopped or exceeds MaxRuntimeInSeconds (default 120). */
  readonly stopGraceSeconds?: number;
  /** Replaces the S3 client (tests). */
  readonly objectStore?: ObjectStore;
}

export interface StartedExecution {
  readonly executionArn: string;
  /** Resolves with the final record once the execution is Succeeded, Failed or Stopped; never rejects. */
  readonly done: Promise<ExecutionDescription>;
  /** StopPipelineExecution: stops the running jobs; resolves when the execution is Stopped (or had already ended). */
  stop(): Promise<void>;
}

type RunState = 'pending' | 'running' | 'succeeded' | 'failed' | 'stopped' | 'skipped';

const iso = (date: Date = new Date()) => date.toISOString();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Validates the definition, the parameters and what this machine needs, records the execution as Executing and
 * starts it. Throws (before anything runs) ValidationException, UnsupportedDefinitionError or LocalEnvironmentError.
 */
export async function startExecution(input: StartExecutionInput): Promise<StartedExecution> {
  const pipeline = loadDefinition(input.definition, { supportedTypes: [...STEP_HANDLERS.keys()] });
  const parameters = resolveParameters(pipeline.definition, input.parameters);
  const arn = arnParts(input.pipelineArn);
  const engineKind: Engine = input.engine ?? 'namespace';
  const jobSteps = [...pipeline.steps.values()].filter((node) => node.step.Type === 'Training' || node.step.Type === 'Processing');

  let mapping: RuntimeMapping | undefined;
  if (jobSteps.length > 0 && engineKind === 'namespace') {
    mapping = loadRuntimeMapping(input.runtimesFile ?? DEFAULT_RUNTIMES_FILE);
    await namespaceSupport();
  } else if (jobSteps.length > 0 && !findTool(engineKind)) {
    throw new LocalEnvironmentError(`--engine ${engineKind}: \`${engineKind}\` is not installed on this machine`);
  }
  const imageProblems = jobSteps.flatMap((node) =>
    STEP_HANDLERS.get(node.step.Type)!.checkBeforeStart?.(node.step, { usesRuntimes: mapping !== undefined, runtimeFor: (image) => mapping?.resolve(image) }) ?? [],
  );
  if (imageProblems.length > 0) throw new UnsupportedDefinitionError(imageProblems.map((p) => `${p} — add it to ${mapping!.file}`));

  const storeDir = input.storeDir ?? DEFAULT_STORE_DIR;
  const id = newExecutionId();
  const executionArn = toExecutionArn(input.pipelineArn, id);
  const writer = await ExecutionWriter.create(storeDir, id, input.definition);
  const runner = new ExecutionRunner(input, pipeline, parameters, arn, mapping, engineKind, storeDir, writer, {
    id,
    arn: executionArn,
    pipelineName: input.pipelineName,
    pipelineArn: input.pipelineArn,
    startTime: input.startTime ?? new Date(),
  });
  await runner.begin();
  const done = runner.run();
  return { executionArn, done, stop: () => runner.stop() };
}

class ExecutionRunner {
  private readonly log: (line: string) => void;
  private readonly abort = new AbortController();
  private readonly states = new Map<string, RunState>();
  private readonly results = new Map<string, StepResult>();
  private readonly records = new Map<string, StepRecord>();
  private readonly propertyFiles = new Map<string, Promise<{ json: unknown; location: string }>>();
  private readonly objectStore: ObjectStore & { destroy?(): void };
  private readonly maxParallel: number;
  private record!: ExecutionDescription;
  private firstFailure: { reason: string; failStep: boolean } | undefined;
  private stopPoll: NodeJS.Timeout | undefined;
  private finished: Promise<ExecutionDescription> | undefined;
  private engine: JobEngine | undefined;

  constructor(
    private readonly input: StartExecutionInput,
    private readonly pipeline: LoadedPipeline,
    private readonly parameters: readonly ResolvedParameter[],
    private readonly arn: ArnParts,
    private readonly mapping: RuntimeMapping | undefined,
    private readonly engineKind: Engine,
    private readonly storeDir: string,
    private readonly writer: ExecutionWriter,
    private readonly identity: ExecutionIdentity,
  ) {
    this.log = input.log ?? (() => undefined);
    this.objectStore = input.objectStore ?? s3ObjectStore(input.aws);
    this.maxParallel = input.parallelism?.maxParallelExecutionSteps ?? DEFAULT_MAX_PARALLEL_STEPS;
    for (const name of pipeline.steps.keys()) this.states.set(name, 'pending');
  }

  async begin(): Promise<void> {
    const now = iso(this.identity.startTime);
    this.record = {
      PipelineArn: this.identity.pipelineArn,
      PipelineExecutionArn: this.identity.arn,
      PipelineExecutionDisplayName: this.input.displayName ?? `execution-${this.identity.startTime.getTime()}`,
      PipelineExecutionStatus: 'Executing',
      ...(this.input.description ? { PipelineExecutionDescription: this.input.description } : {}),
      CreationTime: now,
      LastModifiedTime: now,
      PipelineParameters: describeParameters(this.parameters),
      ParallelismConfiguration: { MaxParallelExecutionSteps: this.maxParallel },
      Local: {
        ExecutionId: this.identity.id,
        PipelineName: this.identity.pipelineName,
        Folder: this.writer.folder,
        OwnerPid: process.pid,
        Engine: this.engineKind,
        StartTime: now,
      },
    };
    await this.writer.writeSteps([]);
    await this.setExecutionStatus('Executing', undefined);
    this.log(`[pipeline] ${this.identity.pipelineName} execution ${this.identity.id} started (${this.writer.folder})`);
    this.stopPoll = setInterval(() => {
      if (!this.abort.signal.aborted && this.writer.stopRequested()) void this.stop();
    }, 300);
    this.stopPoll.unref();
  }

  run(): Promise<ExecutionDescription> {
    this.finished ??= this.schedule().then(
      () => this.finish(),
      (error: unknown) => {
        this.firstFailure ??= { reason: `local executor error: ${errorMessage(error)}`, failStep: false };
        return this.finish();
      },
    );
    return this.finished;
  }

  async stop(): Promise<void> {
    if (!this.abort.signal.aborted && this.record.PipelineExecutionStatus === 'Executing') {
      this.log('[pipeline] stopping: running jobs get SIGTERM, then SIGKILL after the grace period');
      await this.writer.requestStop().catch(() => undefined);
      await this.setExecutionStatus('Stopping', 'Executing');
      for (const record of this.records.values()) {
        if (record.StepStatus === 'Starting' || record.StepStatus === 'Executing') await this.setStepStatus(record, 'Stopping', record.StepStatus);
      }
      this.abort.abort();
    }
    await this.finished;
  }

  // --- scheduling ------------------------------------------------------------------------------------------

  private dependencyState(node: StepNode): 'ready' | 'wait' | 'skip' {
    if (node.branch) {
      const condition = this.states.get(node.branch.condition);
      if (condition === 'skipped') return 'skip';
      if (condition === 'succeeded' && this.results.get(node.branch.condition)?.outcome !== node.branch.outcome) return 'skip';
    }
    let ready = true;
    for (const dependency of node.dependencies) {
      const state = this.states.get(dependency);
      if (state === 'skipped') return 'skip';
      if (state !== 'succeeded') ready = false;
    }
    return ready ? 'ready' : 'wait';
  }

  private async schedule(): Promise<void> {
    const running = new Map<string, Promise<void>>();
    const ordered = [...this.pipeline.steps.values()].sort((a, b) => a.order - b.order);
    for (;;) {
      // Steps that can no longer run (their branch was not taken, or they wait for such a step) never start.
      for (let changed = true; changed; ) {
        changed = false;
        for (const node of ordered) {
          if (this.states.get(node.step.Name) === 'pending' && this.dependencyState(node) === 'skip') {
            this.states.set(node.step.Name, 'skipped');
            changed = true;
          }
        }
      }
      if (!this.abort.signal.aborted && !this.firstFailure) {
        for (const node of ordered) {
          if (running.size >= this.maxParallel) break;
          if (this.states.get(node.step.Name) !== 'pending' || this.dependencyState(node) !== 'ready') continue;
          this.states.set(node.step.Name, 'running');
          const name = node.step.Name;
          running.set(name, this.runStep(node).finally(() => running.delete(name)));
        }
      }
      if (running.size === 0) return;
      await Promise.race(running.values());
    }
  }

  // --- one step ----------------------------------------------------------------------------------------------

  private async runStep(node: StepNode): Promise<void> {
    const { step } = node;
    const handler = STEP_HANDLERS.get(step.Type)!;
    const record: StepRecord = {
      StepName: step.Name,
      ...(step.DisplayName ? { StepDisplayName: step.DisplayName } : {}),
      ...(step.Description ? { StepDescription: step.Description } : {}),
      StepStatus: 'Starting',
      StartTime: iso(),
      AttemptCount: 0,
      Metadata: {},
      Local: { StepType: step.Type, Attempts: [] },
    };
    this.records.set(step.Name, record);
    await this.setStepStatus(record, 'Starting', undefined);
    const firstStart = new Date();

    for (let attempt = 1; ; attempt += 1) {
      const timings: AttemptTimings = { attemptStart: Date.now() };
      const attemptRecord: AttemptRecord = { Attempt: attempt, Status: 'Executing', StartTime: iso(), Timings: timings };
      record.AttemptCount = attempt;
      record.Local.Attempts.push(attemptRecord);
      if (attempt === 1) await this.setStepStatus(record, 'Executing', 'Starting');
      else await this.saveSteps();
      this.log(`[pipeline] ▶ ${step.Name} (${step.Type}) attempt ${attempt}`);
      try {
        if (this.abort.signal.aborted) throw new StepFailure('stopped before it started', { stopped: true });
        const result = await handler.run({
          step,
          attempt,
          execution: this.identity,
          arn: this.arn,
          evaluate: (value) => evaluate(value, this.evaluationContext()),
          signal: this.abort.signal,
          log: this.log,
          jobs: this.jobServices(),
          timings,
          jobCreated: (job) => {
            attemptRecord.Job = { Kind: job.kind, Name: job.name, Arn: job.arn, LogFiles: job.logFiles };
            record.Metadata = { [job.kind]: { Arn: job.arn } };
            void this.saveSteps();
            this.log(`[pipeline]   ${step.Name}: ${job.kind === 'TrainingJob' ? 'training' : 'processing'} job ${job.name} (logs: ${job.logFiles.join(', ')})`);
          },
        });
        attemptRecord.Status = 'Succeeded';
        attemptRecord.EndTime = iso();
        this.results.set(step.Name, result);
        record.Metadata = result.metadata;
        record.Local.Properties = result.properties;
        record.EndTime = iso();
        this.states.set(step.Name, 'succeeded');
        await this.setStepStatus(record, 'Succeeded', 'Executing');
        const outcome = result.outcome === undefined ? '' : ` — outcome ${result.outcome ? 'True (IfSteps)' : 'False (ElseSteps)'}`;
        this.log(`[pipeline] ✓ ${step.Name} Succeeded in ${seconds(Date.now() - firstStart.getTime())}${outcome}`);
        return;
      } catch (error) {
        const failure = error instanceof StepFailure ? error : new StepFailure(`local executor error: ${errorMessage(error)}`, { cause: error });
        attemptRecord.EndTime = iso();
        // A failed job is still described (its request, status, ExitMessage); later steps can never read it.
        if (failure.options.properties) record.Local.Properties = failure.options.properties;
        if (failure.options.stopped || this.abort.signal.aborted) {
          attemptRecord.Status = 'Stopped';
          record.EndTime = iso();
          this.states.set(step.Name, 'stopped');
          await this.setStepStatus(record, 'Stopped', record.StepStatus);
          this.log(`[pipeline] ■ ${step.Name} Stopped`);
          return;
        }
        attemptRecord.Status = 'Failed';
        attemptRecord.FailureReason = failure.reason;
        if (failure.exceptionType) attemptRecord.ExceptionType = failure.exceptionType;
        const decision = decideRetry(step.RetryPolicies, failure.exceptionType, attempt, firstStart, new Date());
        attemptRecord.RetryDecision = decision.retry ? `retry in ${decision.delaySeconds} s` : decision.why;
        if (decision.retry) {
          attemptRecord.RetryDelaySeconds = decision.delaySeconds;
          await this.saveSteps();
          this.log(`[pipeline] ↻ ${step.Name} attempt ${attempt} failed (${failure.exceptionType}): ${failure.reason} — retrying in ${decision.delaySeconds} s`);
          await abortableSleep(decision.delaySeconds * 1000, this.abort.signal);
          continue;
        }
        record.FailureReason = failure.reason.slice(0, 1024);
        if (failure.options.failStep) record.Metadata = { Fail: { ErrorMessage: failure.options.failStep.errorMessage } };
        record.EndTime = iso();
        this.states.set(step.Name, 'failed');
        this.firstFailure ??= { reason: failure.reason, failStep: failure.options.failStep !== undefined };
        await this.setStepStatus(record, 'Failed', 'Executing');
        this.log(`[pipeline] ✗ ${step.Name} Failed: ${failure.reason}`);
        return;
      }
    }
  }

  private evaluationContext(): EvaluationContext {
    return {
      parameters: new Map(this.parameters.map((parameter) => [parameter.name, parameter])),
      execution: this.identity,
      stepProperties: (name) => (this.states.get(name) === 'succeeded' ? this.results.get(name)?.properties : undefined),
      readPropertyFile: (step, file) => {
        const key = `${step}/${file}`;
        let cached = this.propertyFiles.get(key);
        if (!cached) {
          cached = this.readPropertyFile(step, file);
          this.propertyFiles.set(key, cached);
          cached.catch(() => this.propertyFiles.delete(key));
        }
        return cached;
      },
      readJsonObject: (uri) => this.readJson(uri).then((read) => read.json),
    };
  }

  private async readPropertyFile(step: string, file: string): Promise<{ json: unknown; location: string }> {
    const declared = this.pipeline.propertyFile(step, file);
    const properties = this.states.get(step) === 'succeeded' ? this.results.get(step)?.properties : undefined;
    if (!declared || !properties) throw new StepFailure(`Unable to read property file ${file}: step ${step} has not succeeded in this execution`);
    const outputUri = follow(properties, parsePath(`ProcessingOutputConfig.Outputs['${declared.OutputName}'].S3Output.S3Uri`));
    if (isMissing(outputUri) || typeof outputUri !== 'string') {
      throw new StepFailure(`Unable to read property file ${file}: step ${step} has no output named ${declared.OutputName}`);
    }
    const location = parseS3Uri(outputUri);
    if (!location) throw new StepFailure(`Unable to read property file ${file}: output ${declared.OutputName} of step ${step} is not an S3 URI (${outputUri})`);
    return this.readJson(`s3://${location.bucket}/${joinKey(location.key, declared.FilePath)}`);
  }

  /** Reads a JSON object from S3 as the service does for Std:JsonGet: S3 trouble is a Step.* fault, bad content is not. */
  private async readJson(uri: string): Promise<{ json: unknown; location: string }> {
    const location = parseS3Uri(uri);
    if (!location) throw new StepFailure(`Std:JsonGet: "${uri}" is not an s3:// URI`);
    let text: string;
    try {
      text = (await this.objectStore.read(location.bucket, location.key)).toString('utf8');
    } catch (error) {
      if (error instanceof ObjectStoreError && error.retryable) {
        throw new StepFailure(`Unable to read ${uri}: ${error.message}`, { exceptionType: error.kind === 'Throttling' ? 'Step.THROTTLING' : 'Step.SERVICE_FAULT', cause: error });
      }
      throw new StepFailure(`Unable to read ${uri}: ${errorMessage(error)}`, { cause: error });
    }
    try {
      return { json: JSON.parse(text), location: uri };
    } catch {
      throw new StepFailure(`Std:JsonGet: the contents of ${uri} are not valid JSON`);
    }
  }

  private jobServices(): JobServices {
    return {
      objectStore: this.objectStore,
      role: roleEnvironment(this.input.aws),
      stopGraceSeconds: this.input.stopGraceSeconds ?? DEFAULT_STOP_GRACE_SECONDS,
      runtimeFor: (image) => this.mapping?.resolve(image),
      engineFor: async (image) => {
        if (this.engineKind !== 'namespace') return (this.engine ??= containerEngine(this.engineKind));
        const runtime = this.mapping!.resolve(image);
        if (!runtime) throw new LocalEnvironmentError(`image ${image} has no local runtime in ${this.mapping!.file}`);
        await prepareRuntime(runtime, path.join(this.storeDir, 'runtime-stamps'), this.log);
        const support = await namespaceSupport();
        return (this.engine ??= namespaceEngine(support, (uri) => this.mapping!.resolve(uri)!));
      },
      jobFolder: async (jobName) => {
        const folder = path.join(this.writer.folder, 'jobs', jobName);
        await mkdir(folder, { recursive: true });
        return folder;
      },
    };
  }

  // --- records and events -----------------------------------------------------------------------------------

  private async emit(event: EventBridgeEvent): Promise<void> {
    await this.writer.appendEvent(event);
    try {
      await this.input.onEvent?.(event);
    } catch (error) {
      this.log(`[pipeline] the onEvent handler failed (the execution goes on): ${errorMessage(error)}`);
    }
  }

  private saveSteps(): Promise<void> {
    return this.writer.writeSteps([...this.records.values()]);
  }

  private async setStepStatus(record: StepRecord, status: StepStatus, previous: StepStatus | undefined): Promise<void> {
    record.StepStatus = status;
    await this.saveSteps();
    await this.emit(stepStatusEvent(this.record, record, previous));
  }

  private async setExecutionStatus(status: PipelineExecutionStatus, previous: PipelineExecutionStatus | undefined): Promise<void> {
    this.record.PipelineExecutionStatus = status;
    this.record.LastModifiedTime = iso();
    await this.writer.writeExecution(this.record);
    await this.emit(executionStatusEvent(this.record, previous));
  }

  private async finish(): Promise<ExecutionDescription> {
    if (this.stopPoll) clearInterval(this.stopPoll);
    const previous = this.record.PipelineExecutionStatus;
    const now = iso();
    this.record.Local.EndTime = now;
    let status: PipelineExecutionStatus;
    if (this.abort.signal.aborted) {
      status = 'Stopped';
    } else if (this.firstFailure) {
      status = 'Failed';
      // A Fail step's message is the execution's FailureReason as written; other failures say which step failed.
      this.record.FailureReason = (
        this.firstFailure.failStep ? this.firstFailure.reason : `Step failure: One or multiple error(s) occurred: [${this.firstFailure.reason}]`
      ).slice(0, 1300);
    } else {
      status = 'Succeeded';
    }
    await this.setExecutionStatus(status, previous);
    await this.writer.flush();
    this.objectStore.destroy?.();
    const steps = [...this.records.values()];
    this.log(
      `[pipeline] ${this.identity.pipelineName} execution ${this.identity.id} ${status} in ${seconds(Date.now() - this.identity.startTime.getTime())}` +
        ` — ${steps.filter((s) => s.StepStatus === 'Succeeded').length} of ${steps.length} started steps succeeded` +
        (this.record.FailureReason ? `: ${this.record.FailureReason}` : ''),
    );
    return structuredClone(this.record);
  }
}
