// Which pipeline, in which region, an (environment, kind) pair means: names come from the environment config
// through platformNames, the single source of resource names shared with the stacks.
import { platformNames } from '../../environments';
import { loadEnvironmentForCli } from '../cli/environment';
import { PipelineKind } from './options';

export interface PipelineTarget {
  env: string;
  region: string;
  pipelineName: string;
}

export type PipelineTargetResolver = (env: string, kind: PipelineKind) => Promise<PipelineTarget>;

export const resolvePipelineTarget: PipelineTargetResolver = async (env, kind) => {
  const config = loadEnvironmentForCli(env);
  const names = platformNames(config);
  return { env, region: config.account.region, pipelineName: kind === 'training' ? names.trainingPipeline : names.inferencePipeline };
};
