// The step types the executor runs, one handler each. Anything else in a definition is refused before it starts.
import { conditionStep } from './condition';
import { failStep } from './fail';
import { processingStep } from './processing';
import { trainingStep } from './training';
import type { StepHandler } from './types';

export const STEP_HANDLERS: ReadonlyMap<string, StepHandler> = new Map([trainingStep, processingStep, conditionStep, failStep].map((handler) => [handler.type, handler]));
