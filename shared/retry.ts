/**
 * The one retry and back-off rule of the product: Salesforce calls, per-record retries of a
 * collection call, and the processor's follow-up delays all take their waits from here.
 *
 * Delay before retry n (n = 0 for the first retry) is `baseDelayMs * 2^n`, capped at `maxDelayMs`,
 * then jittered: `full` draws uniformly from [0, delay) (spreads many Lambdas contending for one
 * locked row), `equal` from [delay/2, delay), `none` waits exactly the delay (a queue's message
 * delay, where the spread comes from the queue). The jitter choices follow the AWS Architecture
 * Blog, "Exponential Backoff And Jitter".
 */
export interface Backoff {
  baseDelayMs: number;
  /** Cap on any single delay. Unbounded when absent. */
  maxDelayMs?: number;
  /** Default `full`. */
  jitter?: 'full' | 'equal' | 'none';
}

export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included (3: one try and two retries). */
  attempts: number;
  /** Never wait past this instant (ms since the epoch), e.g. the Lambda's remaining time less a margin. */
  deadline?: () => number;
}

/** Milliseconds to wait before retry `attempt` (0-based). `random` returns [0, 1), like Math.random. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const delay = Math.min(backoff.maxDelayMs ?? Infinity, backoff.baseDelayMs * 2 ** attempt);
  switch (backoff.jitter ?? 'full') {
    case 'none':
      return delay;
    case 'equal':
      return Math.floor(delay / 2 + (random() * delay) / 2);
    default:
      return Math.floor(random() * delay);
  }
}

/**
 * The wait before another try after `attempt` (0-based) failed, or null when the policy allows no
 * more: all attempts used, or the wait would end past the deadline.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, now: number = Date.now(), random?: () => number): number | null {
  if (attempt + 1 >= policy.attempts) return null;
  const delay = backoffDelay(attempt, policy, random);
  if (policy.deadline && now + delay > policy.deadline()) return null;
  return delay;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call` until it succeeds, `retryable` says an error is final, or the policy allows no more
 * tries; throws the last error. `call` gets the 0-based attempt number.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  call: (attempt: number) => Promise<T>,
  retryable: (error: unknown) => boolean,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      const delay = retryable(error) ? retryDelay(policy, attempt) : null;
      if (delay === null) throw error;
      await wait(delay);
    }
  }
}
