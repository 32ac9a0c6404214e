import type { ApiUsage } from '../../../shared/api-allowance.ts';
import type { ChatterPost } from '../../../shared/chatter.ts';
import type { DeadLetterReason, QueuedMessage } from '../../../shared/dead-letter.ts';
import type { DebugTrace, TraceStore } from '../../../shared/debug-trace.ts';
import { silentLog } from '../../../shared/log.ts';
import { defaultSettings, type Org, type OrgSettings } from '../../../shared/org.ts';
import type { ClaimResult, DedupeLedger } from '../../../shared/processing/ledger.ts';
import type { OrgSalesforce, PostResult, RecordResult } from '../../../shared/processing/org-batch.ts';
import type { OrgPause, OrgPauses, ProcessorDeps } from '../../../shared/processing/session-processing.ts';
import type { OrgShape } from '../../../shared/record-links.ts';
import type { OutboxEntry, OutboxPut, OutboxStore } from '../../../shared/processing/outbox.ts';
import { SalesforceCallError } from '../../../shared/salesforce-errors.ts';
import type { SessionEvent } from '../../../shared/session.ts';

/*
 * In-memory fakes of our own ports, for fast unit tests of the rules. They keep the contracts the
 * DynamoDB adapters keep (conditional claims with leases, a session lock that never moves back);
 * the adapters themselves are tested against moto in test/integration.
 */

/** A clock the test moves by hand (ms since the epoch). */
export function manualClock(start = Date.parse('2026-11-22T14:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

type Entry = { status: 'in_progress' | 'done'; leaseUntil: number; detail?: string };

export function memoryLedger(now: () => number): DedupeLedger & { entries: Map<string, Entry> } {
  const entries = new Map<string, Entry>();
  const sessions = new Map<string, { lockedUntil: number | null; occurredAt: string | null }>();
  const claim = (key: string, leaseMs: number): { result: ClaimResult; recovered: boolean } => {
    const e = entries.get(key);
    if (e?.status === 'done') return { result: 'done', recovered: false };
    if (e && e.leaseUntil >= now()) return { result: 'busy', recovered: false };
    entries.set(key, { status: 'in_progress', leaseUntil: now() + leaseMs });
    return { result: 'claimed', recovered: e !== undefined };
  };
  const complete = (key: string, detail?: string) => entries.set(key, { status: 'done', leaseUntil: 0, detail });
  const release = (key: string) => {
    if (entries.get(key)?.status === 'in_progress') entries.delete(key);
  };
  const session = (id: string) => sessions.get(id) ?? sessions.set(id, { lockedUntil: null, occurredAt: null }).get(id)!;
  const firstSeen = new Map<string, 'live' | 'ended'>();
  return {
    entries,
    claimEvent: async (id, leaseMs) => claim(`EVENT#${id}`, leaseMs).result,
    completeEvent: async (id) => void complete(`EVENT#${id}`),
    releaseEvent: async (id) => release(`EVENT#${id}`),
    claimEffect: async (key, leaseMs) => claim(`EFFECT#${key}`, leaseMs),
    completeEffect: async (key, detail) => void complete(`EFFECT#${key}`, detail),
    releaseEffect: async (key) => release(`EFFECT#${key}`),
    async lockSession(id, leaseMs, seen) {
      const s = session(id);
      if (s.lockedUntil !== null && s.lockedUntil >= now()) return { locked: false, lastApplied: null, reachedLive: false };
      s.lockedUntil = now() + leaseMs;
      if (seen === 'live' || (seen && !firstSeen.has(id))) firstSeen.set(id, seen);
      return { locked: true, lastApplied: s.occurredAt, reachedLive: firstSeen.get(id) === 'live' };
    },
    async markApplied(id, occurredAt) {
      const s = session(id);
      if (!s.occurredAt || s.occurredAt <= occurredAt) s.occurredAt = occurredAt;
      s.lockedUntil = null;
    },
    async unlockSession(id) {
      session(id).lockedUntil = null;
    },
  };
}

export function memoryPauses(now: () => number): OrgPauses & { paused: Map<string, OrgPause> } {
  const paused = new Map<string, OrgPause>();
  const failures = new Map<string, number>();
  return {
    paused,
    async pausedOrgs(orgIds) {
      return new Map([...paused].filter(([id, p]) => orgIds.includes(id) && Date.parse(p.until) > now()));
    },
    async health(orgIds) {
      return new Map([...paused].filter(([id]) => orgIds.includes(id)).map(([id, pause]) => [id, { pause, failures: failures.get(id) ?? 0 }]));
    },
    async pause(orgId, pause) {
      paused.set(orgId, pause);
    },
    async recordFailure(orgId) {
      failures.set(orgId, (failures.get(orgId) ?? 0) + 1);
      return { failures: failures.get(orgId)!, since: new Date(now()).toISOString() };
    },
    async recover(orgId) {
      paused.delete(orgId);
      failures.delete(orgId);
    },
    async claimProbe(orgId) {
      const p = paused.get(orgId);
      return !!p && Date.parse(p.until) <= now();
    },
  };
}

export function memoryTraces(): TraceStore & { all: DebugTrace[] } {
  const all: DebugTrace[] = [];
  return {
    all,
    async put(traces) {
      all.push(...traces);
    },
    async list(orgId, options = {}) {
      return all.filter((t) => t.orgId === orgId && (!options.sessionId || t.sessionId === options.sessionId)).slice(0, options.limit ?? 50);
    },
  };
}

/** Id prefixes and Glance_Session__c lookup fields as a typical org describes them. */
export const ORG_SHAPE: OrgShape = {
  objectByKeyPrefix: new Map([
    ['500', 'Case'],
    ['003', 'Contact'],
    ['00Q', 'Lead'],
    ['006', 'Opportunity'],
  ]),
  lookupFieldByObject: new Map([
    ['Case', 'Case__c'],
    ['Contact', 'Contact__c'],
    ['Lead', 'Lead__c'],
    ['Opportunity', 'Opportunity__c'],
  ]),
};
const PREFIX: Record<string, string> = { Case: '500', Contact: '003', Lead: '00Q', Opportunity: '006', Glance_Session__c: 'a0G', FeedItem: '0D5' };

type Row = Record<string, unknown> & { Id: string };

/**
 * One org's Salesforce, in memory: records by object, upsert by external id, the three SELECT
 * shapes the rules send (`SELECT Id, F FROM O WHERE F IN (...)`, case-insensitive as Salesforce
 * compares text), and Chatter posts as FeedItems. `refuse` makes Salesforce refuse records,
 * `failCalls` makes whole calls fail with a code.
 */
export function fakeSalesforce(): OrgSalesforce & {
  apiUsage(): ApiUsage | null;
  rows(sobject: string): Row[];
  add(sobject: string, fields: Record<string, unknown>): string;
  refuse(rule: (sobject: string, record: Record<string, unknown>) => string | null): void;
  failCalls(kind: 'upsert' | 'chatter' | 'query', code: string, times?: number): void;
  usage: ApiUsage | null;
  calls: string[];
} {
  const store = new Map<string, Row[]>();
  let seq = 0;
  const rows = (sobject: string) => store.get(sobject) ?? store.set(sobject, []).get(sobject)!;
  const add = (sobject: string, fields: Record<string, unknown>) => {
    const Id = `${PREFIX[sobject] ?? 'a00'}${String(++seq).padStart(12, '0')}AAA`;
    rows(sobject).push({ ...fields, Id });
    return Id;
  };
  const refusals: Array<(sobject: string, record: Record<string, unknown>) => string | null> = [];
  const failures = new Map<string, { code: string; times: number }>();
  const maybeFail = (kind: string) => {
    const f = failures.get(kind);
    if (!f || f.times === 0) return;
    f.times--;
    throw new SalesforceCallError(f.code, `injected ${kind} failure`);
  };
  const calls: string[] = [];
  const fake = {
    usage: null as ApiUsage | null,
    calls,
    rows: (sobject: string) => [...rows(sobject)],
    add,
    refuse: (rule: (sobject: string, record: Record<string, unknown>) => string | null) => void refusals.push(rule),
    failCalls: (kind: 'upsert' | 'chatter' | 'query', code: string, times = Infinity) => void failures.set(kind, { code, times }),
    apiUsage: () => fake.usage,
    orgShape: async () => ORG_SHAPE,
    async query<T extends Record<string, unknown>>(soql: string): Promise<T[]> {
      calls.push(soql);
      maybeFail('query');
      const m = /^SELECT Id, (\w+) FROM (\w+) WHERE (\w+) IN \((.*)\)$/s.exec(soql);
      if (!m) throw new Error(`the fake does not read this SOQL: ${soql}`);
      const [, , sobject, field, list] = m;
      const values = new Set([...list!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((v) => v[1]!.replace(/\\(.)/g, '$1').toLowerCase()));
      return rows(sobject!).filter((r) => values.has(String(r[field!] ?? '').toLowerCase())) as unknown as T[];
    },
    async upsertRecords(sobject: string, externalId: string, records: Array<Record<string, unknown>>): Promise<RecordResult[]> {
      calls.push(`upsert ${sobject}`);
      maybeFail('upsert');
      return records.map((record): RecordResult => {
        for (const rule of refusals) {
          const code = rule(sobject, record);
          if (code) return { ok: false, faults: [{ code, message: `refused by the fake: ${code}` }] };
        }
        const existing = rows(sobject).find((r) => r[externalId] === record[externalId]);
        if (existing) {
          Object.assign(existing, record);
          return { ok: true, id: existing.Id, created: false };
        }
        return { ok: true, id: add(sobject, record), created: true };
      });
    },
    async postChatter(posts: ChatterPost[]): Promise<PostResult[]> {
      calls.push(`chatter ${posts.length}`);
      maybeFail('chatter');
      return posts.map((p) => ({
        ok: true,
        id: add('FeedItem', { ParentId: p.subjectId, Body: p.segments.map((s) => ('text' in s ? s.text : s.url)).join('') }),
      }));
    },
  };
  return fake;
}

let orgSeq = 0;
/** An org paired with `groupId`, settings patched over the defaults. */
export function org(orgId: string, settings: Partial<OrgSettings> = {}, groupId = 12345): Org {
  orgSeq++;
  return {
    orgId,
    name: `Org ${orgSeq}`,
    environment: 'production',
    loginUrl: 'https://login.salesforce.com',
    installedAt: '2026-11-01T13:14:00Z',
    groups: [groupId],
    settings: { ...defaultSettings(), ...settings },
    createdAt: '2026-11-01T13:14:00Z',
    updatedAt: '2026-11-01T13:14:00Z',
  };
}

/** A whole processor wired to fakes: orgs and their Salesforce, plus what went to the DLQ and back on the queue. */
export function fakeProcessor(orgs: Org[], overrides: Partial<ProcessorDeps> = {}) {
  const clock = manualClock();
  const salesforce = new Map(orgs.map((o) => [o.orgId, fakeSalesforce()]));
  const deadLetters: Array<{ message: QueuedMessage; reason: DeadLetterReason }> = [];
  const requeued: Array<{ event: SessionEvent; delaySeconds: number }> = [];
  const ledger = memoryLedger(clock.now);
  const pauses = memoryPauses(clock.now);
  const traces = memoryTraces();
  const deps: ProcessorDeps = {
    ledger,
    orgsForGroup: async (groupId) => orgs.filter((o) => o.groups.includes(groupId)),
    salesforceFor: async (o) => salesforce.get(o.orgId)!,
    traces,
    chatterLeaseMs: 60_000,
    leaseMs: 60_000,
    deadLetter: async (message, reason) => void deadLetters.push({ message, reason }),
    maxReceiveCount: 5,
    pauses,
    requeue: async (event, delaySeconds) => void requeued.push({ event, delaySeconds }),
    apiUsageShareLimit: 0.9,
    now: clock.now,
    log: silentLog,
    ...overrides,
  };
  return { deps, clock, salesforce: (orgId: string) => salesforce.get(orgId)!, deadLetters, requeued, ledger, pauses, traces };
}

let messageSeq = 0;
/** A queue message carrying `event`, as SQS would deliver it. */
export function message(event: SessionEvent | string, receiveCount = 1): QueuedMessage {
  return { messageId: `m-${++messageSeq}`, body: typeof event === 'string' ? event : JSON.stringify(event), receiveCount };
}

/** One org's outbox with the rules the DynamoDB store keeps (newest version wins, conditional removal, one lease). */
export function memoryOutbox(): OutboxStore & { entries: Map<string, OutboxEntry>; dueAt: number | null; chatter: Map<string, OutboxEntry>; chatterOpen: boolean } {
  const entries = new Map<string, OutboxEntry>();
  let lease: string | null = null;
  const self = {
    entries,
    dueAt: null as number | null,
    async put(_orgId: string, list: OutboxEntry[], budget: number) {
      const puts: OutboxPut[] = [];
      for (const e of list) {
        const old = entries.get(e.sessionId);
        if (old && old.occurredAt > e.occurredAt) {
          puts.push({ status: 'older' });
          continue;
        }
        entries.set(e.sessionId, { ...e, enqueuedAt: old?.enqueuedAt ?? e.enqueuedAt, attempts: 0 });
        puts.push(old ? { status: 'replaced', replaced: old.event } : { status: 'new' });
      }
      self.dueAt ??= Math.min(...list.map((e) => e.enqueuedAt)) + budget;
      return { pending: entries.size, dueAt: self.dueAt, puts };
    },
    async list(_orgId: string, limit: number) {
      return [...entries.values()].slice(0, limit).map((e) => ({ ...e }));
    },
    async remove(_orgId: string, flushed: Array<Pick<OutboxEntry, 'sessionId' | 'occurredAt'>>) {
      let n = 0;
      for (const f of flushed) if (entries.get(f.sessionId)?.occurredAt === f.occurredAt) n += +entries.delete(f.sessionId);
      return n;
    },
    async countAttempt(_orgId: string, e: Pick<OutboxEntry, 'sessionId' | 'occurredAt' | 'attempts'>) {
      const cur = entries.get(e.sessionId);
      if (cur?.occurredAt === e.occurredAt) cur.attempts = e.attempts + 1;
    },
    async reschedule(_orgId: string, budget: number, notBefore: number | null) {
      self.dueAt = entries.size ? Math.max(Math.min(...[...entries.values()].map((e) => e.enqueuedAt)) + budget, notBefore ?? 0) : null;
      return { pending: entries.size, dueAt: self.dueAt };
    },
    async acquireLease() {
      if (lease) return null;
      lease = 'token';
      return lease;
    },
    async releaseLease() {
      lease = null;
    },
    async dueOrgs() {
      return [];
    },
    chatter: new Map<string, OutboxEntry>(),
    chatterOpen: false,
    async putChatter(_orgId: string, list: OutboxEntry[]) {
      for (const e of list) self.chatter.set(e.sessionId, { ...e });
      return self.openChatter();
    },
    async openChatter() {
      if (self.chatterOpen) return false;
      self.chatterOpen = true;
      return true;
    },
    async takeChatter(_orgId: string, limit: number) {
      self.chatterOpen = false;
      return [...self.chatter.values()].slice(0, limit).map((e) => ({ ...e }));
    },
    async removeChatter(_orgId: string, done: Array<Pick<OutboxEntry, 'sessionId'>>) {
      for (const d of done) self.chatter.delete(d.sessionId);
    },
  };
  return self;
}
