// The SageMaker pipelines exactly as an environment's stack synthesizes them (in-process, the same classes
// `cdktf synth` runs), with the Terraform references resolved the way `terraform apply` would resolve them, for
// running them here without a deploy (the CLI's --from-synth) and for tests that create in the emulator what a
// deploy would create in AWS. The role ARNs are exact (names are fixed by the configuration); a KMS key's id is
// only known after apply, so a fixed placeholder key ARN stands in for it.
import { Testing } from 'cdktf';
import { buildApp } from '../../../main';
import { platformArns, type EnvironmentConfig } from '../../../environments';

export interface SynthesizedPipeline {
  name: string;
  arn: string;
  roleArn: string;
  definition: string;
  /** ParallelismConfiguration.MaxParallelExecutionSteps of the aws_sagemaker_pipeline. */
  maxParallelSteps?: number;
}

export const placeholderKmsKeyArn = (config: EnvironmentConfig) => `arn:aws:kms:${config.account.region}:${config.account.id}:key/00000000-0000-4000-8000-000000000001`;

/** ARNs for the stack resources the definitions reference (the job roles, KMS key) as an apply would fill them in. */
export function appliedReferences(config: EnvironmentConfig): Array<[RegExp, string]> {
  const arns = platformArns(config);
  return [
    [/\$\{aws_iam_role\.roles_training_role[^}]*\.arn\}/g, arns.trainingRole],
    [/\$\{aws_iam_role\.roles_scoring_role[^}]*\.arn\}/g, arns.scoringRole],
    [/\$\{aws_kms_key\.[^}]*\.arn\}/g, placeholderKmsKeyArn(config)],
  ];
}

export function synthesizedPipelines(config: EnvironmentConfig): SynthesizedPipeline[] {
  const app = Testing.app();
  const [stack] = buildApp(app, [config]);
  const resources = (JSON.parse(Testing.synth(stack!)) as { resource?: Record<string, Record<string, Record<string, unknown>>> }).resource ?? {};
  const pipelines = Object.values(resources.aws_sagemaker_pipeline ?? {});
  if (pipelines.length === 0) throw new Error(`The ${config.name} stack synthesized no aws_sagemaker_pipeline`);
  const { id, region } = config.account;
  return pipelines.map((pipeline) => {
    const resolve = (text: string) => {
      let resolved = text;
      for (const [pattern, value] of appliedReferences(config)) resolved = resolved.replace(pattern, value);
      const left = resolved.match(/\$\{[^}]*\}/g);
      if (left) throw new Error(`Unresolved Terraform reference(s) in pipeline ${String(pipeline.pipeline_name)}: ${[...new Set(left)].join(', ')}`);
      return resolved;
    };
    const name = String(pipeline.pipeline_name);
    const parallelism = pipeline.parallelism_configuration as { max_parallel_execution_steps?: number } | undefined;
    return {
      name,
      arn: `arn:aws:sagemaker:${region}:${id}:pipeline/${name.toLowerCase()}`,
      roleArn: resolve(String(pipeline.role_arn)),
      definition: resolve(String(pipeline.pipeline_definition)),
      ...(parallelism?.max_parallel_execution_steps ? { maxParallelSteps: parallelism.max_parallel_execution_steps } : {}),
    };
  });
}
