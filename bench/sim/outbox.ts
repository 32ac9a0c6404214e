import type { OutboxEntry, OutboxPut, OutboxState, OutboxStore } from '../../shared/processing/outbox.ts';
import type { DescribeCache, KnownLeads } from '../../shared/processing/org-caches.ts';
import type { OrgShape } from '../../shared/record-links.ts';
import type { AwsMeter } from './aws.ts';
import type { SimClock } from './clock.ts';

/**
 * The outbox table of shared/adapters/outbox-store.ts, in memory, for the benchmark: the same
 * answers (newest version wins, conditional removal, one flush lease per org, the due time, the
 * Chatter pool that opens once), and the same DynamoDB requests waited and counted: entry writes
 * are issued together (one latency for all of them), the META update after them.
 */
export function memoryOutboxStore(clock: SimClock, aws: AwsMeter): OutboxStore & { waiting(): number } {
  interface Org {
    entries: Map<string, OutboxEntry>;
    chatter: Map<string, OutboxEntry>;
    pending: number;
    dueAt: number | null;
    leaseUntil: number | null;
    leaseToken: string | null;
    chatterOpen: boolean;
  }
  const orgs = new Map<string, Org>();
  const of = (orgId: string): Org => {
    let o = orgs.get(orgId);
    if (!o) orgs.set(orgId, (o = { entries: new Map(), chatter: new Map(), pending: 0, dueAt: null, leaseUntil: null, leaseToken: null, chatterOpen: false }));
    return o;
  };
  const state = (o: Org): OutboxState => ({ pending: o.pending, dueAt: o.dueAt });
  let tokens = 0;
  const open = (o: Org) => {
    if (o.chatterOpen) return false;
    o.chatterOpen = true;
    return true;
  };
  return {
    waiting: () => [...orgs.values()].reduce((n, o) => n + o.entries.size + o.chatter.size, 0),
    async put(orgId, list, budget) {
      await aws.concurrent(list.length);
      const o = of(orgId);
      const puts: OutboxPut[] = list.map((e) => {
        const old = o.entries.get(e.sessionId);
        if (old && old.occurredAt > e.occurredAt) return { status: 'older' };
        o.entries.set(e.sessionId, { ...e, enqueuedAt: old?.enqueuedAt ?? e.enqueuedAt, attempts: 0 });
        return old ? { status: 'replaced', replaced: old.event } : { status: 'new' };
      });
      await aws.roundTrips(1);
      o.pending += puts.filter((p) => p.status === 'new').length;
      if (list.length) o.dueAt ??= Math.min(...list.map((e) => e.enqueuedAt)) + budget;
      return { ...state(o), puts };
    },
    async list(orgId, limit) {
      await aws.roundTrips(1);
      return [...of(orgId).entries.values()].slice(0, limit).map((e) => ({ ...e }));
    },
    async remove(orgId, flushed) {
      await aws.concurrent(flushed.length);
      const o = of(orgId);
      let n = 0;
      for (const f of flushed) if (o.entries.get(f.sessionId)?.occurredAt === f.occurredAt) n += +o.entries.delete(f.sessionId);
      if (n) {
        await aws.roundTrips(1);
        o.pending -= n;
      }
      return n;
    },
    async countAttempt(orgId, e) {
      await aws.roundTrips(1);
      const cur = of(orgId).entries.get(e.sessionId);
      if (cur?.occurredAt === e.occurredAt) cur.attempts = e.attempts + 1;
    },
    async reschedule(orgId, budget, notBefore) {
      await aws.roundTrips(3); // GetItem of META, Query of the entries, UpdateItem of META
      const o = of(orgId);
      const left = [...o.entries.values()];
      o.pending = left.length;
      o.dueAt = left.length ? Math.max(Math.min(...left.map((e) => e.enqueuedAt)) + budget, notBefore ?? 0) : null;
      return state(o);
    },
    async acquireLease(orgId, leaseMs) {
      await aws.roundTrips(1);
      const o = of(orgId);
      if (o.leaseUntil !== null && o.leaseUntil >= clock.now()) return null;
      o.leaseUntil = clock.now() + leaseMs;
      o.leaseToken = `t${++tokens}`;
      return o.leaseToken;
    },
    async releaseLease(orgId, token) {
      await aws.roundTrips(1);
      const o = of(orgId);
      if (o.leaseToken === token) {
        o.leaseUntil = null;
        o.leaseToken = null;
      }
    },
    async dueOrgs(at, limit) {
      await aws.roundTrips(1);
      return [...orgs]
        .filter(([, o]) => o.dueAt !== null && o.dueAt <= at)
        .sort((a, b) => a[1].dueAt! - b[1].dueAt!)
        .slice(0, limit)
        .map(([id]) => id);
    },
    async putChatter(orgId, list) {
      await aws.concurrent(list.length);
      const o = of(orgId);
      for (const e of list) o.chatter.set(e.sessionId, { ...e });
      await aws.roundTrips(1);
      return open(o);
    },
    async openChatter(orgId) {
      await aws.roundTrips(1);
      return open(of(orgId));
    },
    async takeChatter(orgId, limit) {
      await aws.roundTrips(2);
      const o = of(orgId);
      o.chatterOpen = false;
      return [...o.chatter.values()].slice(0, limit).map((e) => ({ ...e }));
    },
    async removeChatter(orgId, done) {
      await aws.concurrent(done.length);
      const o = of(orgId);
      for (const d of done) o.chatter.delete(d.sessionId);
    },
  };
}

/** The describe cache of shared/adapters/org-caches.ts (one GetItem, one PutItem), in memory. */
export function memoryDescribeCache(aws: AwsMeter): DescribeCache {
  const items = new Map<string, { shape: OrgShape; fetchedAt: number }>();
  return {
    async get(orgId) {
      await aws.roundTrips(1);
      return items.get(orgId) ?? null;
    },
    async put(orgId, shape, fetchedAt) {
      await aws.roundTrips(1);
      items.set(orgId, { shape, fetchedAt });
    },
    async forget(orgId) {
      await aws.roundTrips(1);
      items.delete(orgId);
    },
  };
}

/** The known-Leads cache (BatchGetItem per 100 emails, BatchWriteItem per 25), in memory. */
export function memoryKnownLeads(aws: AwsMeter): KnownLeads {
  const items = new Map<string, number>();
  return {
    async known(orgId, emails, now) {
      await aws.roundTrips(Math.ceil(new Set(emails).size / 100));
      return new Set(emails.filter((e) => (items.get(`${orgId}#${e}`) ?? 0) > now));
    },
    async remember(orgId, emails, expiresAt) {
      await aws.roundTrips(Math.ceil(emails.length / 25));
      for (const e of emails) items.set(`${orgId}#${e}`, expiresAt);
    },
  };
}
