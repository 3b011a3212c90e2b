// Condition evaluation of a Condition step (ConditionStep's Conditions, all of which must hold): Equals,
// GreaterThan(OrEqualTo), LessThan(OrEqualTo), In, Not, Or — applied to values whose expressions are already
// evaluated. Comparing values of different kinds fails the step, as it does on SageMaker, instead of guessing.
import { StepFailure } from './errors';

const COMPARISONS = ['Equals', 'GreaterThan', 'GreaterThanOrEqualTo', 'LessThan', 'LessThanOrEqualTo'] as const;

const kind = (value: unknown): string =>
  typeof value === 'number' ? 'Number' : typeof value === 'string' ? 'String' : typeof value === 'boolean' ? 'Boolean' : value === null ? 'Null' : Array.isArray(value) ? 'List' : typeof value;

const show = (value: unknown) => JSON.stringify(value);

function compare(type: (typeof COMPARISONS)[number], left: unknown, right: unknown): boolean {
  if (kind(left) !== kind(right) || !['Number', 'String', 'Boolean'].includes(kind(left))) {
    throw new StepFailure(`Condition ${type} cannot compare ${show(left)} (${kind(left)}) with ${show(right)} (${kind(right)})`);
  }
  if (type === 'Equals') return left === right;
  if (kind(left) === 'Boolean') throw new StepFailure(`Condition ${type} cannot order Boolean values (${show(left)}, ${show(right)})`);
  const l = left as number | string;
  const r = right as number | string;
  switch (type) {
    case 'GreaterThan':
      return l > r;
    case 'GreaterThanOrEqualTo':
      return l >= r;
    case 'LessThan':
      return l < r;
    case 'LessThanOrEqualTo':
      return l <= r;
  }
}

export function evaluateCondition(condition: unknown): boolean {
  if (condition === null || typeof condition !== 'object') throw new StepFailure(`a condition must be an object, got ${show(condition)}`);
  const c = condition as Record<string, unknown>;
  const type = c.Type;
  if ((COMPARISONS as readonly unknown[]).includes(type)) {
    if (!('LeftValue' in c) || !('RightValue' in c)) throw new StepFailure(`Condition ${String(type)} needs LeftValue and RightValue`);
    return compare(type as (typeof COMPARISONS)[number], c.LeftValue, c.RightValue);
  }
  switch (type) {
    case 'Not':
      return !evaluateCondition(c.Expression);
    case 'Or':
      if (!Array.isArray(c.Conditions) || c.Conditions.length === 0) throw new StepFailure('Condition Or needs a non-empty Conditions list');
      return c.Conditions.some((inner) => evaluateCondition(inner));
    case 'In':
      if (!Array.isArray(c.Values)) throw new StepFailure('Condition In needs a Values list');
      return c.Values.some((value) => kind(value) === kind(c.QueryValue) && value === c.QueryValue);
    default:
      throw new StepFailure(`unknown condition type ${show(type)} (known: ${[...COMPARISONS, 'In', 'Not', 'Or'].join(', ')})`);
  }
}

/** A Condition step's outcome: every condition of the list holds. */
export function evaluateConditions(conditions: readonly unknown[]): boolean {
  return conditions.every((condition) => evaluateCondition(condition));
}
