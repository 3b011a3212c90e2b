// The SageMaker pipelines exactly as an environment's stack synthesizes them (in-process, the same classes
// `cdktf synth` runs), with the Terraform references resolved the way `terraform apply` would resolve them,
// so the integration tests create in the emulator what a deploy would create in AWS.
import { Testing } from 'cdktf';
import { buildApp } from '../../main';
import { EnvironmentConfig, platformArns } from '../../environments';

export interface SynthesizedPipeline {
  name: string;
  roleArn: string;
  definition: string;
}

/** ARNs for the stack resources the definitions reference (role, KMS key) as an apply would fill them in. */
export function appliedReferences(config: EnvironmentConfig): Array<[RegExp, string]> {
  const { id, region } = config.account;
  return [
    [/\$\{aws_iam_role\.[^}]*execution-role[^}]*\.arn\}/g, platformArns(config).executionRole],
    [/\$\{aws_kms_key\.[^}]*\.arn\}/g, `arn:aws:kms:${region}:${id}:key/00000000-0000-4000-8000-000000000001`],
  ];
}

export function synthesizedPipelines(config: EnvironmentConfig): SynthesizedPipeline[] {
  const app = Testing.app();
  const [stack] = buildApp(app, [config]);
  const resources = (JSON.parse(Testing.synth(stack!)) as { resource?: Record<string, Record<string, Record<string, unknown>>> }).resource ?? {};
  const pipelines = Object.values(resources.aws_sagemaker_pipeline ?? {});
  if (pipelines.length === 0) throw new Error(`The ${config.name} stack synthesized no aws_sagemaker_pipeline`);
  return pipelines.map((pipeline) => {
    const resolve = (text: string) => {
      let resolved = text;
      for (const [pattern, value] of appliedReferences(config)) resolved = resolved.replace(pattern, value);
      const left = resolved.match(/\$\{[^}]*\}/g);
      if (left) throw new Error(`Unresolved Terraform reference(s) in pipeline ${String(pipeline.pipeline_name)}: ${[...new Set(left)].join(', ')}`);
      return resolved;
    };
    return { name: String(pipeline.pipeline_name), roleArn: resolve(String(pipeline.role_arn)), definition: resolve(String(pipeline.pipeline_definition)) };
  });
}
