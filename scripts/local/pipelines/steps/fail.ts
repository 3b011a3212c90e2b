// Fail steps: stop the execution as Failed; the evaluated ErrorMessage becomes the step's and the execution's
// FailureReason and the step's Metadata.Fail.ErrorMessage.
import { joinText } from '../expressions/evaluate';
import { StepFailure } from '../errors';
import type { StepHandler } from './types';

export const failStep: StepHandler = {
  type: 'Fail',
  async run(context) {
    const args = (context.step.Arguments ?? {}) as { ErrorMessage?: unknown };
    const message = args.ErrorMessage === undefined ? '' : joinText(await context.evaluate(args.ErrorMessage));
    throw new StepFailure(message, { failStep: { errorMessage: message } });
  },
};
