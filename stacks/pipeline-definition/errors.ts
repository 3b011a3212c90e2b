/**
 * A pipeline definition that SageMaker would reject or run wrongly (unknown step, parameter or property file,
 * duplicate names). Raised while synthesizing, never at run time; not retryable: the stack code must change.
 */
export class PipelineDefinitionError extends Error {
  readonly retryable = false;
  constructor(
    readonly pipeline: string,
    readonly problems: readonly string[],
  ) {
    super(`pipeline definition "${pipeline}" is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'PipelineDefinitionError';
  }
}
