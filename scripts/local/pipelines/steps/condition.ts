// Condition steps: evaluate the Conditions (all must hold); the outcome picks IfSteps or ElseSteps, whose steps
// the executor then runs (the others never run and are not listed). Properties: { Outcome }.
import { z } from 'zod';
import { evaluateConditions } from '../conditions';
import { StepFailure } from '../errors';
import type { StepHandler } from './types';

const argumentsSchema = z.object({ Conditions: z.array(z.unknown()).min(1) }).loose();

export const conditionStep: StepHandler = {
  type: 'Condition',
  async run(context) {
    const parsed = argumentsSchema.safeParse(context.step.Arguments);
    if (!parsed.success) throw new StepFailure('a Condition step needs Arguments.Conditions');
    const conditions = (await context.evaluate(parsed.data.Conditions)) as unknown[];
    const outcome = evaluateConditions(conditions);
    return { outcome, properties: { Outcome: outcome }, metadata: { Condition: { Outcome: outcome ? 'True' : 'False' } } };
  },
};
