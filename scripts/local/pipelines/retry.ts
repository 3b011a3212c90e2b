// RetryPolicies of a step, as SageMaker Pipelines applies them: the first policy whose ExceptionType lists the
// failure's type decides; the first retry waits IntervalSeconds, each further one BackoffRate times longer;
// MaxAttempts counts retries (so a step runs at most MaxAttempts + 1 times) and ExpireAfterMin stops retrying
// once that many minutes have passed since the step's first attempt started (whichever limit comes first).
// A failure without an exception type (the job's own non-zero exit) is never retried.
import type { ExceptionType } from './errors';
import type { RetryPolicy } from './definition/schema';

export type RetryDecision = { retry: true; delaySeconds: number; policy: RetryPolicy } | { retry: false; why: string };

export function decideRetry(
  policies: readonly RetryPolicy[] | undefined,
  exceptionType: ExceptionType | undefined,
  /** Attempts made so far, including the one that just failed. */
  attempts: number,
  firstAttemptStart: Date,
  now: Date,
): RetryDecision {
  if (exceptionType === undefined) return { retry: false, why: 'the failure is not of a retryable exception type' };
  const policy = (policies ?? []).find((candidate) => candidate.ExceptionType.includes(exceptionType));
  if (!policy) return { retry: false, why: `no retry policy covers ${exceptionType}` };
  const retriesSoFar = attempts - 1;
  if (policy.MaxAttempts !== undefined && retriesSoFar >= policy.MaxAttempts) {
    return { retry: false, why: `${exceptionType}: MaxAttempts ${policy.MaxAttempts} reached` };
  }
  const delaySeconds = policy.IntervalSeconds * Math.pow(policy.BackoffRate, retriesSoFar);
  if (policy.ExpireAfterMin !== undefined) {
    const elapsedMinutes = (now.getTime() - firstAttemptStart.getTime() + delaySeconds * 1000) / 60_000;
    if (elapsedMinutes > policy.ExpireAfterMin) return { retry: false, why: `${exceptionType}: ExpireAfterMin ${policy.ExpireAfterMin} reached` };
  }
  return { retry: true, delaySeconds, policy };
}
