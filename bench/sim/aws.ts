import type { ClaimResult, DedupeLedger, SessionSeen } from '../../shared/processing/ledger.ts';
import type { OrgHealth, OrgPause, OrgPauses } from '../../shared/processing/session-processing.ts';
import type { TraceStore } from '../../shared/debug-trace.ts';
import type { SimClock } from './clock.ts';

/**
 * In-process stand-ins for the DynamoDB-backed ports, for the benchmark only: the same answers as
 * the adapters in shared/adapters/ (conditional claims with leases, the session writer lock, the
 * never-moving-back watermark), and each method waits the simulated AWS latency once for every
 * request the real adapter sends (a claim is one PutItem, and a GetItem more when it is taken).
 * The count of those requests is kept, so the bench can print DynamoDB requests per session.
 */
export interface AwsMeter {
  requests: number;
  /** Waits `n` request round trips, one after the other, and counts them. */
  roundTrips(n: number): Promise<void>;
  /** Counts `n` requests issued together (Promise.all): one round trip of waiting. */
  concurrent(n: number): Promise<void>;
}

export function awsMeter(clock: SimClock, latencyMs: number): AwsMeter {
  const meter: AwsMeter = {
    requests: 0,
    async roundTrips(n) {
      meter.requests += n;
      await clock.sleep(n * latencyMs);
    },
    async concurrent(n) {
      meter.requests += n;
      if (n > 0) await clock.sleep(latencyMs);
    },
  };
  return meter;
}

interface Claim {
  status: 'in_progress' | 'done';
  leaseUntil: number;
}

/** The dedupe ledger of shared/adapters/dedupe-ledger.ts, in memory. */
export function memoryLedger(clock: SimClock, aws: AwsMeter): DedupeLedger {
  const claims = new Map<string, Claim>();
  const sessions = new Map<string, { lockedUntil: number | null; occurredAt: string | null }>();
  const session = (id: string) => sessions.get(id) ?? { lockedUntil: null, occurredAt: null };
  /** How each session looked when the pipeline first took it (the adapter keeps it on the lock item). */
  const firstSeen = new Map<string, SessionSeen>();

  async function claim(key: string, leaseMs: number): Promise<{ result: ClaimResult; recovered: boolean }> {
    await aws.roundTrips(1);
    const current = claims.get(key);
    if (!current || (current.status === 'in_progress' && current.leaseUntil < clock.now())) {
      claims.set(key, { status: 'in_progress', leaseUntil: clock.now() + leaseMs });
      return { result: 'claimed', recovered: current !== undefined };
    }
    await aws.roundTrips(1); // the adapter reads the item to tell done from busy
    return { result: current.status === 'done' ? 'done' : 'busy', recovered: false };
  }
  async function complete(key: string): Promise<void> {
    await aws.roundTrips(1);
    claims.set(key, { status: 'done', leaseUntil: 0 });
  }
  async function release(key: string): Promise<void> {
    await aws.roundTrips(1);
    if (claims.get(key)?.status === 'in_progress') claims.delete(key);
  }
  async function unlock(id: string): Promise<void> {
    await aws.roundTrips(1);
    sessions.set(id, { ...session(id), lockedUntil: null });
  }
  return {
    claimEvent: async (id, leaseMs) => (await claim(`EVENT#${id}`, leaseMs)).result,
    completeEvent: (id) => complete(`EVENT#${id}`),
    releaseEvent: (id) => release(`EVENT#${id}`),
    claimEffect: (key, leaseMs) => claim(`EFFECT#${key}`, leaseMs),
    completeEffect: (key) => complete(`EFFECT#${key}`),
    releaseEffect: (key) => release(`EFFECT#${key}`),
    async lockSession(id, leaseMs, seen) {
      await aws.roundTrips(1);
      const s = session(id);
      if (s.lockedUntil !== null && s.lockedUntil >= clock.now()) return { locked: false, lastApplied: null, reachedLive: false };
      sessions.set(id, { ...s, lockedUntil: clock.now() + leaseMs });
      // As the adapter: a live version makes it live for good, an ended one only fills it.
      if (seen === 'live' || (seen && !firstSeen.has(id))) firstSeen.set(id, seen);
      return { locked: true, lastApplied: s.occurredAt, reachedLive: firstSeen.get(id) === 'live' };
    },
    async markApplied(id, occurredAt) {
      await aws.roundTrips(1);
      const s = session(id);
      if (s.occurredAt === null || s.occurredAt <= occurredAt) sessions.set(id, { lockedUntil: null, occurredAt });
      else await unlock(id);
    },
    unlockSession: unlock,
  };
}

/**
 * The circuit breaker's HEALTH# items (one BatchGetItem per 100 orgs; one PutItem, UpdateItem or
 * DeleteItem per pause, failure, probe claim or recovery), in memory.
 */
export function memoryPauses(clock: SimClock, aws: AwsMeter): OrgPauses & { paused: number } {
  const items = new Map<string, OrgHealth & { probeUntil?: number }>();
  const health = async (orgIds: string[]) => {
    const unique = [...new Set(orgIds)];
    await aws.roundTrips(Math.ceil(unique.length / 100));
    return new Map(unique.flatMap((id) => (items.has(id) ? [[id, { pause: items.get(id)!.pause, failures: items.get(id)!.failures }] as const] : [])));
  };
  const port = {
    paused: 0,
    health,
    async pausedOrgs(orgIds: string[]) {
      const result = new Map<string, OrgPause>();
      for (const [id, h] of await health(orgIds)) if (h.pause && Date.parse(h.pause.until) > clock.now()) result.set(id, h.pause);
      return result;
    },
    async pause(orgId: string, pause: OrgPause) {
      await aws.roundTrips(1);
      items.set(orgId, { ...(items.get(orgId) ?? { failures: 0 }), pause, probeUntil: undefined });
      port.paused++;
    },
    async recordFailure(orgId: string) {
      await aws.roundTrips(1);
      const item = items.get(orgId) ?? { pause: null, failures: 0 };
      items.set(orgId, { ...item, failures: item.failures + 1 });
      return { failures: item.failures + 1, since: new Date(clock.now()).toISOString() };
    },
    async recover(orgId: string) {
      await aws.roundTrips(1);
      items.delete(orgId);
    },
    async claimProbe(orgId: string, leaseMs: number) {
      await aws.roundTrips(1);
      const item = items.get(orgId);
      if (!item?.pause || Date.parse(item.pause.until) > clock.now() || (item.probeUntil ?? 0) >= clock.now()) return false;
      item.probeUntil = clock.now() + leaseMs;
      return true;
    },
  };
  return port;
}

/** Debug traces: one BatchWriteItem per 25. The bench orgs keep Debug Mode off, so none are written. */
export function memoryTraces(aws: AwsMeter): TraceStore {
  return {
    async put(traces) {
      await aws.roundTrips(Math.ceil(traces.length / 25));
    },
    async list() {
      return [];
    },
  };
}
