import { ScorerError } from '../errors';

/**
 * How long a stopped run may spend aborting its transaction and closing the producer before it writes its manifest
 * and exits anyway. SageMaker follows SIGTERM with SIGKILL after a grace period (`docker stop`; 120 s documented for
 * training jobs), so this stays well inside it. A transaction left open after that is ended by the broker at
 * KAFKA_TRANSACTION_TIMEOUT_MS, or at once by the rerun with the same transactional id.
 */
export const STOP_BUDGET_MS = 10_000;

/** The process exits at the latest this long after the signal, whatever still hangs (main's backstop). */
export const STOP_BACKSTOP_MS = 2 * STOP_BUDGET_MS;

/** A stopped run exits 128 + the signal's number, as shells report it. */
export const STOP_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_EXIT_CODES;

export class RunStoppedError extends ScorerError {
  constructor(readonly signal: string) {
    // Retryable: nothing of the run is visible, a rerun starts from scratch.
    super('STOPPED', `stopped by ${signal}`, { retryable: true });
  }
}

/**
 * The run's view of a stop request (an AbortSignal whose reason is the signal name, e.g. "SIGTERM"). Work checks it
 * between batches; `race` also ends a wait that could last long (a send retrying against a broker that is gone).
 */
export class StopRequest {
  private readonly stopped: Promise<never> | undefined;

  constructor(private readonly signal?: AbortSignal) {
    if (signal) {
      this.stopped = new Promise<never>((_, reject) => {
        const fire = () => reject(this.error());
        if (signal.aborted) fire();
        else signal.addEventListener('abort', fire, { once: true });
      });
      this.stopped.catch(() => undefined); // observed through race() and throwIfRequested()
    }
  }

  get requested(): boolean {
    return this.signal?.aborted ?? false;
  }

  throwIfRequested(): void {
    if (this.requested) throw this.error();
  }

  /** Settles like `work`, or rejects with RunStoppedError as soon as a stop is requested; `work` is then left behind. */
  race<T>(work: Promise<T>): Promise<T> {
    if (!this.stopped) return work;
    work.catch(() => undefined); // its outcome no longer matters once the stop won
    return Promise.race([work, this.stopped]);
  }

  private error(): RunStoppedError {
    return new RunStoppedError(String(this.signal?.reason ?? 'a stop request'));
  }
}

/** Waits for `work` at most `ms`; says whether it finished. Its error, if any, is rethrown. */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
