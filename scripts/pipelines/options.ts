// Flags and validation shared by the pipeline CLIs.
import { z } from 'zod';
import { OptionSpec, durationFlag } from '../cli/args';

export const pipelineKinds = ['training', 'inference'] as const;
export type PipelineKind = (typeof pipelineKinds)[number];

export const envOption: OptionSpec = { type: 'string', short: 'e', valueName: 'ENV', description: 'Environment whose config names the pipeline and region (staging, prod, …).' };
export const pipelineOption: OptionSpec = { type: 'string', short: 'p', valueName: 'KIND', description: 'Which pipeline: training or inference.' };
export const timeoutOption: OptionSpec = { type: 'string', valueName: 'DURATION', description: 'Stop watching after this long (90, 30s, 15m, 2h; default 3h). The execution itself goes on.' };
export const pollOption: OptionSpec = { type: 'string', valueName: 'DURATION', description: 'Time between status polls (default 30s).' };

export const envSchema = z.string({ error: 'is required, e.g. --env staging' }).regex(/^[a-z][a-z0-9-]*$/, 'expected an environment name like staging or prod');
export const pipelineSchema = z.enum(pipelineKinds, { error: 'expected training or inference' });
export const watchSettingsSchema = {
  timeout: durationFlag.default(3 * 3_600_000),
  poll: durationFlag.default(30_000),
};
