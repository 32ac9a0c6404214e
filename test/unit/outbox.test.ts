import { describe, expect, it } from 'vitest';
import { flushIsDue, retryDelayMs, type OutboxEntry, type OutboxState } from '../../shared/processing/outbox.ts';
import { flushOrg, type FlushDeps } from '../../shared/processing/flush.ts';
import type { RecordResult } from '../../shared/processing/org-batch.ts';
import type { OrgPause } from '../../shared/processing/session-processing.ts';
import { silentLog } from '../../shared/log.ts';
import { PROD_ORG, sampleSession } from '../support/fixtures.ts';
import { fakeProcessor, memoryLedger, memoryOutbox, memoryPauses, memoryTraces, message, org } from './fakes/ports.ts';
import { processSessionBatch } from '../../shared/processing/session-processing.ts';
import { TRIP_AFTER_FAILURES } from '../../shared/processing/circuit-breaker.ts';
import { noRunEffects, type RunEffects } from '../../shared/sync/run-effects.ts';
import type { OrgSettings } from '../../shared/org.ts';
import type { SessionEvent } from '../../shared/session.ts';

/*
 * The outbox's rules with in-memory fakes of our own ports (the DynamoDB store is tested against
 * moto_server in test/outbox.test.ts).
 */

const policy = { recordBudgetMs: 300_000, flushRecords: 1000 };

describe('when an org outbox is due', () => {
  it.each<[string, OutboxState, number, boolean]>([
    ['nothing waits', { pending: 0, dueAt: null }, 0, false],
    ['waiting less than the budget', { pending: 10, dueAt: 1_000 }, 999, false],
    ['the oldest has waited the budget', { pending: 1, dueAt: 1_000 }, 1_000, true],
    ['about 1,000 records gathered', { pending: 1000, dueAt: 9_999_999 }, 0, true],
  ])('%s', (_, state, now, due) => {
    expect(flushIsDue(state, now, policy)).toBe(due);
  });

  it('backs off 60 s, 120 s, … up to 15 minutes after failed flushes', () => {
    expect([1, 2, 3, 4, 5].map(retryDelayMs)).toEqual([60_000, 120_000, 240_000, 480_000, 900_000]);
  });
});

const prod = org(PROD_ORG, { logSessionsStartedOutside: true });

function entry(n: number, occurredAt = '2026-11-22T13:15:00.000Z'): OutboxEntry {
  const session = sampleSession({ id: `12345.80${n}.1`, sessionKey: `80${n}` });
  return {
    orgId: PROD_ORG,
    sessionId: session.id,
    event: { eventId: `e${n}`, source: 'webhook', type: 'session.started', occurredAt, session },
    occurredAt,
    launchedHere: false,
    routeReason: 'test',
    enqueuedAt: 0,
    attempts: 0,
  };
}

function harness(answer: (record: Record<string, unknown>) => RecordResult, pause: OrgPause | null = null) {
  const outbox = memoryOutbox();
  const pauses = memoryPauses(() => 1_000_000);
  if (pause) pauses.paused.set(PROD_ORG, pause);
  const upserts: number[] = [];
  const deadLetters: Array<{ body: string; reason: string }> = [];
  const deps: FlushDeps = {
    outbox,
    policy,
    getOrg: async () => prod,
    deadLetter: async (message, reason) => void deadLetters.push({ body: message.body, reason: reason.reason }),
    maxReceiveCount: 3,
    flushLeaseMs: 300_000,
    deadline: () => Number.MAX_SAFE_INTEGER,
    now: () => 1_000_000,
    salesforceFor: async () => ({
      orgShape: async () => ({ objectByKeyPrefix: new Map(), lookupFieldByObject: new Map() }),
      query: async () => [],
      upsertRecords: async (_sobject: string, _externalId: string, records: Array<Record<string, unknown>>) => {
        upserts.push(records.length);
        return records.map(answer);
      },
      postChatter: async () => [],
      apiUsage: () => null,
    }),
    ledger: memoryLedger(() => 1_000_000),
    traces: memoryTraces(),
    apiUsageShareLimit: 0.9,
    pauses,
    log: silentLog,
    chatterLeaseMs: 60_000,
    leaseMs: 60_000,
  };
  return { outbox, upserts, deadLetters, deps };
}

const ok = (): RecordResult => ({ ok: true, id: 'a0X000000000001AAA', created: true });

describe('flushing an org outbox', () => {
  it('writes every waiting share with one upsert and empties the outbox', async () => {
    const h = harness(ok);
    await h.outbox.put(PROD_ORG, [entry(1), entry(2), entry(3)], policy.recordBudgetMs);
    expect(await flushOrg(PROD_ORG, h.deps)).toEqual({ kind: 'flushed', written: 3, deadLettered: 0, waiting: 0 });
    expect(h.upserts).toEqual([3]);
    expect(h.outbox.entries.size).toBe(0);
    expect(h.outbox.dueAt).toBeNull();
  });

  it('keeps only the newest version of a session; an older event never replaces it', async () => {
    const h = harness(ok);
    await h.outbox.put(PROD_ORG, [entry(1, '2026-11-22T13:40:00.000Z')], policy.recordBudgetMs);
    await h.outbox.put(PROD_ORG, [entry(1, '2026-11-22T13:15:00.000Z')], policy.recordBudgetMs);
    expect(h.outbox.entries.get(entry(1).sessionId)!.occurredAt).toBe('2026-11-22T13:40:00.000Z');
  });

  it('a paused org is not written: its outbox waits and is due when the pause ends', async () => {
    const until = new Date(5_000_000).toISOString();
    const h = harness(ok, { until, reason: 'allowance' });
    await h.outbox.put(PROD_ORG, [entry(1)], policy.recordBudgetMs);
    expect(await flushOrg(PROD_ORG, h.deps)).toEqual({ kind: 'paused', until });
    expect(h.upserts).toEqual([]);
    expect(h.outbox.dueAt).toBe(5_000_000);
  });

  it('a second flusher of the same org finds it busy', async () => {
    const h = harness(ok);
    await h.outbox.acquireLease(PROD_ORG, 1);
    expect(await flushOrg(PROD_ORG, h.deps)).toEqual({ kind: 'busy' });
  });

  it('a share refused for good is dead-lettered as its org’s share alone; its neighbours are written', async () => {
    const h = harness((r) => (r.Session_Key__c === '802' ? { ok: false, faults: [{ code: 'STRING_TOO_LONG', message: 'too long', fields: ['X'] }] } : ok()));
    await h.outbox.put(PROD_ORG, [entry(1), entry(2)], policy.recordBudgetMs);
    const result = await flushOrg(PROD_ORG, h.deps);
    expect(result).toMatchObject({ written: 1, deadLettered: 1, waiting: 0 });
    expect(JSON.parse(h.deadLetters[0]!.body)).toMatchObject({ eventId: `e2|org:${PROD_ORG}|0`, onlyOrgId: PROD_ORG });
    expect(h.deadLetters[0]!.reason).toMatch(/STRING_TOO_LONG/);
  });

  it('a passing failure stays with a back-off, and is dead-lettered at the maxReceiveCount-th flush', async () => {
    const h = harness(() => ({ ok: false, faults: [{ code: 'UNABLE_TO_LOCK_ROW', message: 'locked', fields: [] }] }));
    await h.outbox.put(PROD_ORG, [entry(1)], policy.recordBudgetMs);
    await flushOrg(PROD_ORG, h.deps);
    expect(h.outbox.entries.get(entry(1).sessionId)!.attempts).toBe(1);
    expect(h.outbox.dueAt).toBe(1_000_000 + retryDelayMs(1));
    await flushOrg(PROD_ORG, h.deps);
    expect(h.deadLetters).toHaveLength(0);
    await flushOrg(PROD_ORG, h.deps);
    expect(h.deadLetters).toHaveLength(1);
    expect(h.outbox.entries.size).toBe(0);
  });

  it('writes in chunks of the flush threshold', async () => {
    const h = harness(ok);
    h.deps.policy = { ...policy, flushRecords: 2 };
    await h.outbox.put(PROD_ORG, [1, 2, 3, 4, 5].map((n) => entry(n)), policy.recordBudgetMs);
    await flushOrg(PROD_ORG, h.deps);
    expect(h.upserts).toEqual([2, 2, 1]);
  });
});

describe('the flush writes an org under the same rules as the queue', () => {
  const RUN = { orgId: PROD_ORG, runId: 'run-7' };
  function outboxProcessor(settings: Partial<OrgSettings>) {
    const added: Array<{ orgId: string; runId: string; effects: RunEffects }> = [];
    const o = org(PROD_ORG, { logSessionsStartedOutside: true, ...settings });
    const p = fakeProcessor([o], { runEffects: { add: async (orgId, runId, effects) => void added.push({ orgId, runId, effects: { ...effects } }) } });
    const outbox = memoryOutbox();
    const flush: FlushDeps = { ...p.deps, outbox, policy, getOrg: async (id) => (id === o.orgId ? o : null), flushLeaseMs: 300_000, deadline: () => Number.MAX_SAFE_INTEGER };
    return { ...p, added, outbox, flush, deps: { ...p.deps, outboxFlush: flush } };
  }
  const syncEvent = (n: number, extra: Partial<SessionEvent> = {}): SessionEvent => ({
    eventId: `sync-${n}`,
    source: 'sync',
    type: 'session.started',
    occurredAt: '2026-11-22T13:55:00.000Z',
    session: sampleSession({ id: `12345.90${n}.1`, sessionKey: `90${n}`, origin: { salesforceOrgId: PROD_ORG, recordId: '5005g00000XyZ12AAB' } }),
    syncRun: RUN,
    ...extra,
  });
  const total = (added: Array<{ effects: RunEffects }>) =>
    added.reduce((a, { effects }) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + effects[k as keyof RunEffects]])) as unknown as RunEffects, noRunEffects());

  it("tells a sync run what its event did when the flush writes it (the Chatter post made ahead counts at once)", async () => {
    const h = outboxProcessor({ chatterOnSessionStart: true });
    await processSessionBatch([message(syncEvent(1))], h.deps);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(1);
    expect(h.salesforce(PROD_ORG).rows('Glance_Session__c')).toHaveLength(0);
    expect(total(h.added)).toEqual({ ...noRunEffects(), chatterPosts: 1 });
    await flushOrg(PROD_ORG, h.flush);
    expect(h.salesforce(PROD_ORG).rows('Glance_Session__c')).toHaveLength(1);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(1);
    expect(total(h.added)).toEqual({ ...noRunEffects(), processed: 1, recordsCreated: 1, chatterPosts: 1 });
  });

  it('a version the outbox replaces before its flush counts as unchanged for its run', async () => {
    const h = outboxProcessor({});
    await processSessionBatch([message(syncEvent(2))], h.deps);
    await processSessionBatch([message(syncEvent(2, { eventId: 'webhook-2', source: 'webhook', syncRun: undefined, type: 'session.updated', occurredAt: '2026-11-22T13:56:00.000Z' }))], h.deps);
    await flushOrg(PROD_ORG, h.flush);
    expect(total(h.added)).toEqual({ ...noRunEffects(), processed: 1, unchanged: 1 });
  });

  it('flushes that keep failing trip the org breaker; the entry waits (no attempt burnt) and the probe after the pause writes it and resumes the org', async () => {
    const h = outboxProcessor({ chatterOnSessionStart: false });
    h.salesforce(PROD_ORG).failCalls('upsert', 'SERVER_UNAVAILABLE', TRIP_AFTER_FAILURES);
    await processSessionBatch([message(syncEvent(3))], h.deps);
    for (let n = 0; n < TRIP_AFTER_FAILURES; n++) await flushOrg(PROD_ORG, h.flush);
    const pause = h.pauses.paused.get(PROD_ORG);
    expect(pause).toMatchObject({ kind: 'outage' });
    expect(h.outbox.entries.size).toBe(1);
    expect(h.outbox.dueAt).toBeGreaterThanOrEqual(Date.parse(pause!.until));
    expect(await flushOrg(PROD_ORG, h.flush)).toEqual({ kind: 'paused', until: pause!.until });
    h.clock.advance(Date.parse(pause!.until) - h.clock.now());
    expect(await flushOrg(PROD_ORG, h.flush)).toMatchObject({ kind: 'flushed', written: 1 });
    expect(h.pauses.paused.has(PROD_ORG)).toBe(false);
    expect(h.deadLetters).toEqual([]);
    expect(h.salesforce(PROD_ORG).rows('Glance_Session__c')).toHaveLength(1);
  });

  it('a session that reached the pipeline live gets its Chatter post even if it ended before its flush', async () => {
    const h = outboxProcessor({ chatterOnSessionStart: true });
    h.salesforce(PROD_ORG).failCalls('chatter', 'SERVER_UNAVAILABLE', 3);
    await processSessionBatch([message(syncEvent(4, { syncRun: undefined }))], h.deps);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(0);
    // The failed call keeps its claim (the post may have gone through) until the lease ends; then a retry looks first.
    h.clock.advance(61_000);
    const ended = syncEvent(4, { eventId: 'ended-4', syncRun: undefined, type: 'session.ended', occurredAt: '2026-11-22T13:57:00.000Z' });
    ended.session = { ...ended.session, status: 'C', endedAt: '2026-11-22T13:57:00.000Z' };
    await processSessionBatch([message(ended)], h.deps);
    await flushOrg(PROD_ORG, h.flush);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(1);
  });

  // A backlog puts a session's started and ended events in concurrent batches: the ended one can
  // take the session's lock first. The started one then comes late (stale for the record) but the
  // session reached us live, so it still gets exactly one post.
  const endedVersion = (n: number) => {
    const ended = syncEvent(n, { eventId: `ended-${n}`, syncRun: undefined, type: 'session.ended', occurredAt: '2026-11-22T13:57:00.000Z' });
    ended.session = { ...ended.session, status: 'C', endedAt: '2026-11-22T13:57:00.000Z' };
    return ended;
  };

  it('a session whose ended version took the lock before its started one still gets exactly one Chatter post', async () => {
    const h = outboxProcessor({ chatterOnSessionStart: true });
    await processSessionBatch([message(endedVersion(5))], h.deps);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(0);
    await processSessionBatch([message(syncEvent(5, { eventId: 'started-5', source: 'webhook', syncRun: undefined }))], h.deps);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(1);
    // Another late live copy (a redelivered webhook) does not post again; the record shows the end.
    await processSessionBatch([message(syncEvent(5, { eventId: 'updated-5', source: 'webhook', syncRun: undefined, type: 'session.updated', occurredAt: '2026-11-22T13:56:00.000Z' }))], h.deps);
    await flushOrg(PROD_ORG, h.flush);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(1);
    expect(h.salesforce(PROD_ORG).rows('Glance_Session__c')).toEqual([expect.objectContaining({ Glance_Session_Id__c: '12345.905.1', Status__c: 'C' })]);
  });

  it('a session only ever seen ended gets no Chatter post', async () => {
    const h = outboxProcessor({ chatterOnSessionStart: true });
    await processSessionBatch([message(endedVersion(6))], h.deps);
    await flushOrg(PROD_ORG, h.flush);
    expect(h.salesforce(PROD_ORG).rows('Glance_Session__c')).toHaveLength(1);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(0);
  });

  it('a late live version whose post fails is handed back, and posts on its retry', async () => {
    const h = outboxProcessor({ chatterOnSessionStart: true });
    await processSessionBatch([message(endedVersion(7))], h.deps);
    h.salesforce(PROD_ORG).failCalls('chatter', 'SERVER_UNAVAILABLE', 3);
    const late = message(syncEvent(7, { eventId: 'started-7', source: 'webhook', syncRun: undefined }));
    expect((await processSessionBatch([late], h.deps)).retry).toEqual([late.messageId]);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(0);
    h.clock.advance(61_000);
    expect((await processSessionBatch([late], h.deps)).retry).toEqual([]);
    expect(h.salesforce(PROD_ORG).rows('FeedItem')).toHaveLength(1);
  });
});
