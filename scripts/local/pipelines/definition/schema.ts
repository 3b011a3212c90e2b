// The SageMaker pipeline definition language (schema version 2020-12-01) as the service reads it: parameters,
// steps with Arguments (the request shapes of CreateTrainingJob, CreateProcessingJob, …), DependsOn, retry
// policies, property files, and Condition branches. Arguments stay loosely typed here: each step handler checks
// the request it builds after the expressions in them are evaluated, as SageMaker does when it creates the job.
// Field shapes follow botocore's SageMaker model and the SageMaker Python SDK's output (ExceptionType is a list,
// Condition branches carry RetryPolicies), which are newer than the published JSON schema.
import { z } from 'zod';
import { EXCEPTION_TYPES } from '../errors';

export const PARAMETER_TYPES = ['String', 'Integer', 'Float', 'Boolean'] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

const NAME = /^[A-Za-z0-9\-_]{1,256}$/;
const STEP_NAME = /^[A-Za-z0-9\-_]{1,64}$/;

export const parameterSchema = z.object({
  Name: z.string().regex(NAME, 'letters, digits, - and _ only (PipelineParameterName)'),
  Type: z.enum(PARAMETER_TYPES).default('String'),
  DefaultValue: z.union([z.string(), z.number(), z.boolean()]).optional(),
  EnumValues: z.array(z.string()).optional(),
});

export const retryPolicySchema = z
  .object({
    // Older definitions carry a single string; the SDK and the service use a list.
    ExceptionType: z.union([z.enum(EXCEPTION_TYPES), z.array(z.enum(EXCEPTION_TYPES)).min(1)]).transform((value) => (Array.isArray(value) ? value : [value])),
    IntervalSeconds: z.number().min(0).max(43_200).default(1),
    BackoffRate: z.number().min(0).default(2),
    MaxAttempts: z.number().int().min(1).max(20).optional(),
    ExpireAfterMin: z.number().int().min(0).max(14_400).optional(),
  })
  .refine((policy) => policy.MaxAttempts !== undefined || policy.ExpireAfterMin !== undefined, {
    message: 'a retry policy needs MaxAttempts or ExpireAfterMin',
  });
export type RetryPolicy = z.output<typeof retryPolicySchema>;

export const propertyFileSchema = z.object({
  PropertyFileName: z.string().min(1),
  OutputName: z.string().min(1),
  FilePath: z.string().min(1),
});
export type PropertyFile = z.output<typeof propertyFileSchema>;

export interface DefinitionStep {
  Name: string;
  Type: string;
  DisplayName?: string;
  Description?: string;
  DependsOn?: string[];
  Arguments?: unknown;
  RetryPolicies?: RetryPolicy[];
  PropertyFiles?: PropertyFile[];
  CacheConfig?: unknown;
}

const stepSchema = z
  .object({
    Name: z.string().regex(STEP_NAME, 'letters, digits, - and _ only, at most 64 (StepName)'),
    Type: z.string().min(1),
    DisplayName: z.string().optional(),
    Description: z.string().optional(),
    DependsOn: z.array(z.string()).optional(),
    Arguments: z.unknown().optional(),
    RetryPolicies: z.array(retryPolicySchema).optional(),
    PropertyFiles: z.array(propertyFileSchema).optional(),
    CacheConfig: z.unknown().optional(),
  })
  .loose();

export const definitionSchema = z.object({
  Version: z.literal('2020-12-01', { error: 'expected "2020-12-01", the only definition schema version SageMaker accepts' }),
  Metadata: z.unknown().optional(),
  Parameters: z.array(parameterSchema).default([]),
  PipelineExperimentConfig: z.unknown().optional(),
  Steps: z.array(stepSchema).min(1, 'a pipeline needs at least one step'),
});

export interface PipelineDefinition {
  Version: '2020-12-01';
  Parameters: z.output<typeof parameterSchema>[];
  Steps: DefinitionStep[];
}

/** Arguments of a Condition step; its branches are steps like any other (parsed by the same schema). */
export const conditionArgumentsSchema = z.object({
  Conditions: z.array(z.unknown()).min(1, 'a Condition step needs at least one condition'),
  IfSteps: z.array(stepSchema).default([]),
  ElseSteps: z.array(stepSchema).default([]),
});

export { stepSchema };
