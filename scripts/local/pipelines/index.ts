// The local SageMaker Pipelines executor: runs a pipeline definition JSON exactly as deployed, step by step, the
// way SageMaker Pipelines does, on this machine (no Docker, no AWS account). See docs/local-pipelines.md.
export { startExecution, DEFAULT_RUNTIMES_FILE, DEFAULT_MAX_PARALLEL_STEPS, DEFAULT_STOP_GRACE_SECONDS } from './execution';
export type { StartExecutionInput, StartedExecution, Engine } from './execution';
export { openExecutionStore, DEFAULT_STORE_DIR, type ExecutionStore } from './store/execution-store';
export type { ExecutionDescription, StepRecord, AttemptRecord, PipelineExecutionStatus, StepStatus } from './store/records';
export { EXECUTION_STATUS_CHANGE, STEP_STATUS_CHANGE, type EventBridgeEvent } from './events';
export { ValidationException, UnsupportedDefinitionError, LocalEnvironmentError, ResourceNotFound } from './errors';
export { loadRuntimeMapping, prepareAllRuntimes, repositoryOf } from './jobs/runtimes';
export { namespaceSupport, REQUIREMENT as NAMESPACE_REQUIREMENT } from './jobs/sandbox';
export type { ObjectStore } from './s3/object-store';
