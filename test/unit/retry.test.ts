import { describe, expect, it } from 'vitest';
import { backoffDelay, retryDelay, withRetry } from '../../shared/retry.ts';

describe('the one back-off rule', () => {
  it('doubles from the base, caps at the maximum, and jitters as asked', () => {
    const none = { baseDelayMs: 30_000, maxDelayMs: 900_000, jitter: 'none' as const };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, none))).toEqual([60_000, 120_000, 240_000, 480_000, 900_000]);
    expect(backoffDelay(2, { baseDelayMs: 100, jitter: 'full' }, () => 0.5)).toBe(200);
    expect(backoffDelay(2, { baseDelayMs: 100, jitter: 'equal' }, () => 0)).toBe(200);
    expect(backoffDelay(2, { baseDelayMs: 100 }, () => 0.999)).toBeLessThan(400);
  });

  it('allows no retry after the last attempt or past the deadline', () => {
    const policy = { attempts: 3, baseDelayMs: 1000, jitter: 'none' as const, deadline: () => 10_000 };
    expect(retryDelay(policy, 0, 0)).toBe(1000);
    expect(retryDelay(policy, 2, 0)).toBeNull();
    expect(retryDelay(policy, 1, 8_500)).toBeNull();
  });

  it('withRetry stops at a final error and after the attempts, throwing the last error', async () => {
    let calls = 0;
    const waits: number[] = [];
    const wait = async (ms: number) => void waits.push(ms);
    await expect(
      withRetry({ attempts: 3, baseDelayMs: 10, jitter: 'none' }, async () => Promise.reject(new Error(`try ${++calls}`)), () => true, wait),
    ).rejects.toThrow('try 3');
    expect(waits).toEqual([10, 20]);
    calls = 0;
    await expect(withRetry({ attempts: 3, baseDelayMs: 10 }, async () => Promise.reject(new Error(`final ${++calls}`)), () => false, wait)).rejects.toThrow('final 1');
  });
});
