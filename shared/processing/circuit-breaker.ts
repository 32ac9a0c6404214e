import { PAUSE_MS } from '../api-allowance.ts';
import type { OrgPause, PauseKind } from './session-processing.ts';

/*
 * The per-org circuit breaker's rules, pure. An org whose writes keep failing for a passing reason
 * (Salesforce maintenance, an outage), whose credentials are refused, or whose API allowance runs
 * low is paused: its shares wait on the queue, re-queued with a delay that does not count as a
 * failed receive, while other orgs go on. When the pause runs out one invocation probes the org
 * with the shares it has; success resumes it (the waiting shares drain as their delays end, in
 * ordinary batches), failure pauses it again for longer. After the org's pauseHoldHours a waiting
 * share is dead-lettered with the pause's reason.
 */

/** Consecutive failed writes of an org's share (each after the adapter's in-invocation retries) that trip the breaker. */
export const TRIP_AFTER_FAILURES = 3;
/** First probe of an outage or refused credentials after this; doubling per failed probe up to the cap. */
export const FIRST_PROBE_MS = 60_000;
export const MAX_PROBE_MS = 30 * 60_000;
/** A share that finds the probe taken by another invocation looks again after this. */
export const PROBE_BUSY_WAIT_MS = 60_000;
/** SQS refuses a DelaySeconds above 900 (15 minutes): a longer wait is several re-queues. */
export const MAX_DELAY_SECONDS = 900;

/** How long the org waits before its next probe, after `probes` failed ones. */
export function probeDelayMs(kind: PauseKind, probes: number): number {
  // Salesforce's allowance is a rolling 24 hours: probing sooner than the pause only spends calls.
  if (kind === 'allowance') return PAUSE_MS;
  // An org missing what the package declares waits for an admin (glance-sync orgs check names the fix).
  if (kind === 'setup') return PAUSE_MS;
  return Math.min(MAX_PROBE_MS, FIRST_PROBE_MS * 2 ** Math.max(0, probes));
}

/** The pause that follows `previous` (if the org was already paused and its probe failed) at `now`. */
export function nextPause(kind: PauseKind, reason: string, now: number, previous: OrgPause | null, since?: string): OrgPause {
  const probes = previous ? (previous.probes ?? 0) + 1 : 0;
  return {
    kind,
    reason,
    since: previous?.since ?? since ?? new Date(now).toISOString(),
    until: new Date(now + probeDelayMs(kind, probes)).toISOString(),
    probes,
  };
}

/** Seconds to delay a waiting share: until `retryAt`, at least a second, at most SQS's 900. */
export function deferralDelaySeconds(retryAt: number | undefined, now: number): number {
  if (retryAt === undefined) return MAX_DELAY_SECONDS;
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil((retryAt - now) / 1000)));
}

export function describePause(pause: OrgPause): string {
  return `org paused${pause.since ? ` since ${pause.since}` : ''} until ${pause.until}: ${pause.reason}`;
}
