import { evaluateCondition, evaluateConditions } from '../../../scripts/local/pipelines/conditions';
import { StepFailure } from '../../../scripts/local/pipelines/errors';

const cmp = (Type: string, LeftValue: unknown, RightValue: unknown) => ({ Type, LeftValue, RightValue });

describe('Condition step conditions', () => {
  it.each([
    ['Equals', 1, 1, true],
    ['Equals', 'a', 'b', false],
    ['Equals', true, true, true],
    ['GreaterThan', 0.91, 0.9, true],
    ['GreaterThan', 0.9, 0.9, false],
    ['GreaterThanOrEqualTo', 0.9, 0.9, true],
    ['LessThan', 1, 2, true],
    ['LessThanOrEqualTo', 2, 2, true],
    ['LessThanOrEqualTo', 3, 2, false],
    ['GreaterThan', 'b', 'a', true],
  ])('%s(%p, %p) is %p', (type, left, right, expected) => {
    expect(evaluateCondition(cmp(type, left, right))).toBe(expected);
  });

  it('evaluates In, Not and Or, nested', () => {
    expect(evaluateCondition({ Type: 'In', QueryValue: 'prod', Values: ['staging', 'prod'] })).toBe(true);
    expect(evaluateCondition({ Type: 'In', QueryValue: 1, Values: ['1'] })).toBe(false);
    expect(evaluateCondition({ Type: 'Not', Expression: cmp('Equals', 1, 1) })).toBe(false);
    expect(evaluateCondition({ Type: 'Or', Conditions: [cmp('Equals', 1, 2), { Type: 'Not', Expression: cmp('LessThan', 5, 1) }] })).toBe(true);
    expect(evaluateCondition({ Type: 'Or', Conditions: [cmp('Equals', 1, 2), cmp('Equals', 3, 4)] })).toBe(false);
  });

  it('holds only when every condition of the list holds (SageMaker ANDs them)', () => {
    expect(evaluateConditions([cmp('GreaterThanOrEqualTo', 0.8, 0.7), cmp('GreaterThanOrEqualTo', 0.8, 0.85)])).toBe(false);
    expect(evaluateConditions([cmp('GreaterThanOrEqualTo', 0.8, 0.7), cmp('GreaterThanOrEqualTo', 0.8, 0)])).toBe(true);
  });

  it('fails the step when values of different kinds are compared, instead of guessing', () => {
    expect(() => evaluateCondition(cmp('GreaterThanOrEqualTo', '0.8', 0.7))).toThrow(StepFailure);
    expect(() => evaluateCondition(cmp('GreaterThanOrEqualTo', '0.8', 0.7))).toThrow('Condition GreaterThanOrEqualTo cannot compare "0.8" (String) with 0.7 (Number)');
    expect(() => evaluateCondition({ Type: 'Between', LeftValue: 1, RightValue: 2 })).toThrow(/unknown condition type "Between"/);
  });
});
