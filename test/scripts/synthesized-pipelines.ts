// The SageMaker pipelines exactly as an environment's stack synthesizes them, Terraform references resolved as an
// apply would: one implementation, shared with the local pipeline executor's CLI (--from-synth).
export { appliedReferences, synthesizedPipelines, type SynthesizedPipeline } from '../../scripts/local/pipelines/synthesized';
