import { decideRetry } from '../../../scripts/local/pipelines/retry';
import type { RetryPolicy } from '../../../scripts/local/pipelines/definition/schema';

const t0 = new Date('2026-11-23T01:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const policies: RetryPolicy[] = [
  { ExceptionType: ['Step.SERVICE_FAULT', 'Step.THROTTLING'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3 },
  { ExceptionType: ['SageMaker.JOB_INTERNAL_ERROR'], IntervalSeconds: 60, BackoffRate: 1.5, ExpireAfterMin: 5 },
];

describe('retry policies', () => {
  it('waits IntervalSeconds, then BackoffRate times longer per retry, up to MaxAttempts retries', () => {
    expect(decideRetry(policies, 'Step.THROTTLING', 1, t0, at(0))).toMatchObject({ retry: true, delaySeconds: 10 });
    expect(decideRetry(policies, 'Step.THROTTLING', 2, t0, at(20))).toMatchObject({ retry: true, delaySeconds: 20 });
    expect(decideRetry(policies, 'Step.THROTTLING', 3, t0, at(50))).toMatchObject({ retry: true, delaySeconds: 40 });
    expect(decideRetry(policies, 'Step.THROTTLING', 4, t0, at(100))).toEqual({ retry: false, why: 'Step.THROTTLING: MaxAttempts 3 reached' });
  });

  it('stops retrying once the next attempt would start more than ExpireAfterMin after the first', () => {
    expect(decideRetry(policies, 'SageMaker.JOB_INTERNAL_ERROR', 1, t0, at(60))).toMatchObject({ retry: true, delaySeconds: 60 });
    expect(decideRetry(policies, 'SageMaker.JOB_INTERNAL_ERROR', 3, t0, at(200))).toEqual({ retry: false, why: 'SageMaker.JOB_INTERNAL_ERROR: ExpireAfterMin 5 reached' });
  });

  it('never retries a failure without an exception type (a job that exits non-zero) or one no policy lists', () => {
    expect(decideRetry(policies, undefined, 1, t0, at(0))).toEqual({ retry: false, why: 'the failure is not of a retryable exception type' });
    expect(decideRetry(policies, 'SageMaker.CAPACITY_ERROR', 1, t0, at(0))).toEqual({ retry: false, why: 'no retry policy covers SageMaker.CAPACITY_ERROR' });
    expect(decideRetry(undefined, 'Step.SERVICE_FAULT', 1, t0, at(0))).toMatchObject({ retry: false });
  });
});
