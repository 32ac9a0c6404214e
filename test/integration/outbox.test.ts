import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { flushOutboxes, flusherDeps } from '../../functions/outbox-flusher/handler.ts';
import { flushOrg } from '../../shared/processing/flush.ts';
import type { OutboxStore } from '../../shared/processing/outbox.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { exportResourceEnv } from '../../local/aws-resources.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { dynamoOutboxStore } from '../../shared/adapters/outbox-store.ts';
import { dynamoOrgPauses } from '../../shared/adapters/org-pauses.ts';
import { parseDeadLetter } from '../../shared/dead-letter.ts';
import type { GlanceSession, SessionEvent } from '../../shared/session.ts';
import type { OrgSettings } from '../../shared/org.ts';
import type { OutboxEntry } from '../../shared/processing/outbox.ts';
import type { SQSEvent } from 'aws-lambda';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../../shared/adapters/aws-clients.ts';
import { DEMO_GROUP, PROD_ORG, SANDBOX_ORG, sampleSession } from '../support/fixtures.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { queuedRun } from '../../shared/sync/sync-history.ts';

/*
 * The outbox against moto_server (real conditional writes and the due index) and the Salesforce
 * simulator. The record budget is the deployed 5 minutes; nothing waits: the flusher is invoked
 * directly, or with the flush threshold set low.
 */

let p: TestPipeline;
beforeAll(async () => {
  p = await startTestPipeline();
}, 60_000);
afterAll(async () => {
  await p?.stop();
});

let seq = 0;
function event(session: GlanceSession, type: SessionEvent['type'] = 'session.started', occurredAt = '2026-11-22T13:15:00Z'): SessionEvent {
  return { eventId: `outbox-test:${++seq}`, source: 'webhook', type, occurredAt, session };
}
async function deliver(...events: SessionEvent[]): Promise<void> {
  await sqsEventsQueue(p.resources.eventsQueueUrl).sendMany(events);
  await drainQueue(p.resources.eventsQueueUrl, (e) => processEvents(e), { retryImmediately: true });
}
async function setUp(prod: Partial<OrgSettings>, env: { flushRecords?: number } = {}): Promise<void> {
  await p.reset();
  exportResourceEnv(p.resources, { recordBudgetSeconds: '300', outboxFlushRecords: String(env.flushRecords ?? 1000) });
  await p.registerGroup(DEMO_GROUP);
  await p.addOrg(PROD_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true, ...prod });
}
const store = () => dynamoOutboxStore(p.resources.outboxTable);
const sessionRecords = (orgId = PROD_ORG) => p.sobjects(orgId, 'Glance_Session__c');
const session = (n: number, extra: Partial<GlanceSession> = {}) => sampleSession({ id: `12345.70${n}.1`, sessionKey: `70${n}`, ...extra });

describe('an org outbox gathers shares and writes them together', () => {
  beforeEach(() => setUp({}));

  it('holds the shares (no Salesforce call) until a flush writes them all with one collection call', async () => {
    await deliver(...[0, 1, 2, 3, 4].map((n) => event(session(n))));
    expect(await sessionRecords()).toHaveLength(0);
    expect(p.sim.apiCalls(PROD_ORG)).toBe(0);
    expect((await store().list(PROD_ORG, 100)).map((e) => e.sessionId).sort()).toHaveLength(5);

    await flushOutboxes({ orgId: PROD_ORG });
    expect(await sessionRecords()).toHaveLength(5);
    expect(p.sim.callLog(PROD_ORG).filter((c) => c.path.includes('Glance_Session__c'))).toHaveLength(1);
    expect(await store().list(PROD_ORG, 100)).toHaveLength(0);
    expect(await store().dueOrgs(Date.now() + 3600_000, 10)).toEqual([]);
  });

  it('the one-minute sweep flushes only outboxes whose oldest share waited the record budget', async () => {
    await deliver(event(session(1)));
    expect(await store().dueOrgs(Date.now(), 10)).toEqual([]);
    const due = await store().dueOrgs(Date.now() + 300_000, 10);
    expect(due).toEqual([PROD_ORG]);
    // A newer version of the session does not push the due time back.
    await deliver(event(session(1, { status: 'C' }), 'session.ended', '2026-11-22T13:40:00Z'));
    expect(await store().dueOrgs(Date.now() + 300_000, 10)).toEqual([PROD_ORG]);
    expect(await flushOutboxes({})).toEqual({});
    expect(await sessionRecords()).toHaveLength(0);
  });

  it('a newer version waits in place of the older; an older event never replaces it, before or during a flush', async () => {
    await deliver(event(session(1, { status: 'C' }), 'session.ended', '2026-11-22T13:40:00Z'));
    const older: OutboxEntry = (await store().list(PROD_ORG, 10))[0]!;
    await store().put(PROD_ORG, [{ ...older, occurredAt: '2026-11-22T13:15:00.000Z', event: { ...older.event, session: session(1) } }], 300_000);
    expect((await store().list(PROD_ORG, 10))[0]!.occurredAt).toBe('2026-11-22T13:40:00.000Z');

    // A flush that read version 13:40 must not remove 13:50, which arrived while it wrote.
    await store().put(PROD_ORG, [{ ...older, occurredAt: '2026-11-22T13:50:00.000Z' }], 300_000);
    expect(await store().remove(PROD_ORG, [older])).toBe(0);
    expect((await store().list(PROD_ORG, 10))[0]!.occurredAt).toBe('2026-11-22T13:50:00.000Z');
    await flushOutboxes({ orgId: PROD_ORG });
    expect(await sessionRecords()).toEqual([expect.objectContaining({ Status__c: 'C' })]);
  });

  it('is flushed by the processor itself once the threshold of records has gathered', async () => {
    await setUp({}, { flushRecords: 3 });
    await deliver(event(session(1)), event(session(2)));
    expect(await sessionRecords()).toHaveLength(0);
    await deliver(event(session(3)));
    expect(await sessionRecords()).toHaveLength(3);
    expect(await store().list(PROD_ORG, 10)).toHaveLength(0);
  });

  it('two flushers of one org: one writes, the other finds the lease taken; every record once', async () => {
    await deliver(...[0, 1, 2, 3].map((n) => event(session(n))));
    const token = (await store().acquireLease(PROD_ORG, 60_000))!;
    expect((await flushOutboxes({ orgId: PROD_ORG }))[PROD_ORG]).toEqual({ kind: 'busy' });
    expect(await sessionRecords()).toHaveLength(0);
    await store().releaseLease(PROD_ORG, token);
    // Racing for real: whatever the order, every record is written once. (Not asserted: that one of
    // them finds the lease taken. moto_server was seen letting both conditional lease writes succeed
    // under load, which DynamoDB's single-item conditional writes do not; the upserts keep the
    // records single all the same.)
    await Promise.all([flushOutboxes({ orgId: PROD_ORG }), flushOutboxes({ orgId: PROD_ORG })]);
    expect(await sessionRecords()).toHaveLength(4);
  });

  it('a paused org’s outbox simply waits, due again when the pause ends', async () => {
    await deliver(event(session(1)));
    const until = new Date(Date.now() + 3600_000).toISOString();
    await dynamoOrgPauses(p.resources.orgsTable).pause(PROD_ORG, { until, reason: 'test' });
    expect((await flushOutboxes({ orgId: PROD_ORG }))[PROD_ORG]).toEqual({ kind: 'paused', until });
    expect(p.sim.apiCalls(PROD_ORG)).toBe(0);
    expect(await store().list(PROD_ORG, 10)).toHaveLength(1);
    expect(await store().dueOrgs(Date.parse(until) - 1000, 10)).toEqual([]);
    expect(await store().dueOrgs(Date.parse(until), 10)).toEqual([PROD_ORG]);
  });

  it('a share Salesforce refuses at flush time is dead-lettered alone, as its org’s share; the others are written', async () => {
    await setUp({});
    // The org's duplicate rule refuses the second session's record (DUPLICATES_DETECTED, for good).
    // (A refused guest Lead no longer does: the session is recorded without it, as on the queue.)
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'DUPLICATES_DETECTED', pathIncludes: 'Glance_Session__c', times: Infinity, recordMatch: { Glance_Session_Id__c: session(2).id } });
    await deliver(event(session(1)), event(session(2)));
    await flushOutboxes({ orgId: PROD_ORG });
    const letters = (await p.receiveAll(p.resources.eventsDlqUrl)).map((m) => parseDeadLetter(m.body)!);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.orgIds).toEqual([PROD_ORG]);
    expect(letters[0]!.reason).toMatch(/DUPLICATES_DETECTED/);
    expect(JSON.parse(letters[0]!.body)).toMatchObject({ onlyOrgId: PROD_ORG, session: { id: session(2).id } });
    expect((await sessionRecords()).map((r) => r.Glance_Session_Id__c)).toContain(session(1).id);
    expect(await store().list(PROD_ORG, 10)).toHaveLength(0);
  });

  it('a flush that fails for a passing reason keeps the shares and backs off', async () => {
    await deliver(event(session(1)));
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'SERVICE_UNAVAILABLE', times: Infinity });
    await flushOutboxes({ orgId: PROD_ORG });
    p.sim.clearFaults();
    expect(await sessionRecords()).toHaveLength(0);
    const [waiting] = await store().list(PROD_ORG, 10);
    expect(waiting!.attempts).toBe(1);
    expect(await store().dueOrgs(Date.now() + 30_000, 10)).toEqual([]);
    await flushOutboxes({ orgId: PROD_ORG });
    expect(await sessionRecords()).toHaveLength(1);
  });
});

describe("the admin's view in the org goes with the flush", () => {
  it("a flush writes its Debug Mode logs and the final Glance_Sync_Run__c of the run it completes, together in one Composite call", async () => {
    await setUp({ debugMode: true });
    const history = dynamoSyncHistory(p.resources.orgsTable);
    const run = { ...queuedRun(PROD_ORG, 'run-outbox-1', 'sync_now', new Date()), status: 'succeeded' as const, startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), counts: { fetched: 2, queued: 2, alreadyKnown: 0, failed: 0 } };
    await history.createRun(run);
    const tagged = (n: number) => ({ ...event(session(n, { status: 'C', endedAt: '2026-11-22T13:30:00Z' }), 'session.ended'), source: 'sync' as const, syncRun: { orgId: PROD_ORG, runId: run.runId } });
    await deliver(tagged(1), tagged(2));
    expect(p.sim.apiCalls(PROD_ORG)).toBe(0);

    await flushOutboxes({ orgId: PROD_ORG });
    expect(await sessionRecords()).toHaveLength(2);
    expect((await p.sobjects(PROD_ORG, 'Glance_Log__c')).map((l) => l.Session_Id__c).sort()).toEqual(['12345.701.1', '12345.702.1']);
    expect(await p.sobjects(PROD_ORG, 'Glance_Sync_Run__c')).toEqual([
      expect.objectContaining({ Run_Id__c: run.runId, Status__c: 'complete', Sessions_Queued__c: 2, Records_Created__c: 2 }),
    ]);
    const composite = p.sim.callLog(PROD_ORG).filter((c) => c.method === 'POST' && /\/composite$/.test(c.path));
    expect(composite).toHaveLength(1);
    expect(p.sim.callLog(PROD_ORG).filter((c) => /Glance_Log__c|Glance_Sync_Run__c/.test(c.path))).toEqual([]);
  });
});

describe('Chatter goes on a path of its own', () => {
  /** The org's Chatter pool timer firing: its delayed message, handed to the processor as SQS would. */
  const chatterTimer = (orgId: string) =>
    processEvents({ Records: [{ messageId: `timer-${++seq}`, body: JSON.stringify({ chatterFlush: { orgId } }), attributes: { ApproximateReceiveCount: '1' } }] } as unknown as SQSEvent);
  const chatterCalls = () => p.sim.callLog(PROD_ORG).filter((c) => c.path.includes('/chatter/'));

  it('pools the posts ahead of the records: the pool timer posts every post that gathered in one batch call; the flush does not post again', async () => {
    await setUp({ chatterOnSessionStart: true });
    const caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Help' });
    const s1 = session(1, { origin: { salesforceOrgId: PROD_ORG, recordId: caseId } });
    const s2 = session(2, { origin: { salesforceOrgId: PROD_ORG, recordId: caseId } });
    await deliver(event(s1));
    await deliver(event(s2));
    expect(await p.sobjects(PROD_ORG, 'FeedItem')).toHaveLength(0);
    // The first post opened the pool and set its timer: a message on the events queue, delayed by the pool time.
    const queued = await sqs().send(new GetQueueAttributesCommand({ QueueUrl: p.resources.eventsQueueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(Number(queued.Attributes?.ApproximateNumberOfMessagesDelayed)).toBe(1);
    await chatterTimer(PROD_ORG);
    expect(await p.sobjects(PROD_ORG, 'FeedItem')).toHaveLength(2);
    expect(chatterCalls()).toHaveLength(1);
    expect(await sessionRecords()).toHaveLength(0);
    await deliver(event(s1, 'session.updated', '2026-11-22T13:20:00Z'));
    await flushOutboxes({ orgId: PROD_ORG });
    expect(await p.sobjects(PROD_ORG, 'FeedItem')).toHaveLength(2);
    expect(chatterCalls()).toHaveLength(1);
    expect((await sessionRecords()).map((r) => r.Glance_Session_Id__c).sort()).toEqual([s1.id, s2.id].sort());
    // A timer that finds the pool empty costs no call.
    await chatterTimer(PROD_ORG);
    expect(chatterCalls()).toHaveLength(1);
  });

  it('a post the pool could not make (Salesforce unavailable) stays pooled; while the failed call’s claim holds, a timer posts nothing blind', async () => {
    await setUp({ chatterOnSessionStart: true });
    const caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Help' });
    await deliver(event(session(3, { origin: { salesforceOrgId: PROD_ORG, recordId: caseId } })));
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'SERVICE_UNAVAILABLE', pathIncludes: '/chatter/', times: Infinity });
    await chatterTimer(PROD_ORG);
    expect(await p.sobjects(PROD_ORG, 'FeedItem')).toHaveLength(0);
    p.sim.clearFaults(PROD_ORG);
    const calls = chatterCalls().length;
    // The failed call may have gone through: its claim holds the post until its lease ends (chatter-once.ts).
    await chatterTimer(PROD_ORG);
    expect(chatterCalls()).toHaveLength(calls);
    expect(await p.sobjects(PROD_ORG, 'FeedItem')).toHaveLength(0);
    expect(await store().takeChatter(PROD_ORG, 10)).toEqual([expect.objectContaining({ sessionId: session(3).id })]);
  });
});

describe('several orgs', () => {
  it('each org paired with the group has its own outbox', async () => {
    await setUp({});
    await p.addOrg(SANDBOX_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
    await deliver(event(session(1)));
    expect((await store().dueOrgs(Date.now() + 300_000, 10)).sort()).toEqual([PROD_ORG, SANDBOX_ORG].sort());
    await flushOutboxes({ orgId: SANDBOX_ORG });
    expect(await sessionRecords(SANDBOX_ORG)).toHaveLength(1);
    expect(await sessionRecords(PROD_ORG)).toHaveLength(0);
  });
});

class Crash extends Error {}

/** The store of a flusher that dies at its first `op`: that call and every later one throw, as for a dead process. */
function dyingAt(op: keyof OutboxStore, store: OutboxStore): OutboxStore {
  let dead = false;
  return Object.fromEntries(
    Object.entries(store).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        if (dead || name === op) {
          dead = true;
          throw new Crash(`died at ${op}`);
        }
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as OutboxStore;
}

describe('crashes around the outbox', () => {
  beforeEach(() => setUp({ createLeadsForGuests: 'new_email', chatterOnSessionStart: true }));

  it('a processor that dies after the outbox write and before marking its event done: the redelivery changes nothing, one flush writes once', async () => {
    const e = event(session(1));
    await sqsEventsQueue(p.resources.eventsQueueUrl).sendMany([e]);
    // First delivery dies after the put: the event's claim stays in progress until its lease runs out.
    const put = dynamoOutboxStore(p.resources.outboxTable).put;
    let died = false;
    await drainQueue(
      p.resources.eventsQueueUrl,
      async (sqsEvent) => {
        if (!died) {
          died = true;
          await put(PROD_ORG, (await store().list(PROD_ORG, 10)).length ? [] : [{ orgId: PROD_ORG, sessionId: e.session.id, event: e, occurredAt: '2026-11-22T13:15:00.000Z', launchedHere: false, routeReason: 'test', enqueuedAt: Date.now(), attempts: 0 }], 300_000);
          throw new Crash('died after the outbox write');
        }
        return processEvents(sqsEvent);
      },
      { retryImmediately: true },
    );
    expect(await store().list(PROD_ORG, 10)).toHaveLength(1);
    await flushOutboxes({ orgId: PROD_ORG });
    expect(await sessionRecords()).toHaveLength(1);
    expect(await p.sobjects(PROD_ORG, 'Lead')).toHaveLength(1);
  });

  it('a flusher that dies after Salesforce took the records and before removing them: the next flush (after its lease) writes them again without a second Lead', async () => {
    const caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Help' });
    await deliver(event(session(1, { origin: { salesforceOrgId: PROD_ORG, recordId: caseId } })), event(session(2, { guests: [] })));
    const deps = flusherDeps(() => Date.now() + 30_000);
    await expect(flushOrg(PROD_ORG, { ...deps, outbox: dyingAt('remove', deps.outbox) })).rejects.toThrow(Crash);
    expect(await sessionRecords()).toHaveLength(2);
    expect(await store().list(PROD_ORG, 10)).toHaveLength(2);
    // Its lease holds off other flushers until it runs out.
    expect((await flushOutboxes({ orgId: PROD_ORG }))[PROD_ORG]).toEqual({ kind: 'busy' });
    const later = dynamoOutboxStore(p.resources.outboxTable, () => Date.now() + 6 * 60_000);
    expect(await flushOrg(PROD_ORG, { ...deps, outbox: later })).toMatchObject({ kind: 'flushed', written: 2, waiting: 0 });
    expect(await sessionRecords()).toHaveLength(2);
    expect(await p.sobjects(PROD_ORG, 'Lead')).toHaveLength(1);
    expect(await p.sobjects(PROD_ORG, 'FeedItem')).toHaveLength(1);
    expect(await store().list(PROD_ORG, 10)).toHaveLength(0);
  });

  it('a flusher that dies after taking its lease, before writing: nothing is lost, the org stays due', async () => {
    await deliver(event(session(1)));
    const deps = flusherDeps(() => Date.now() + 30_000);
    await expect(flushOrg(PROD_ORG, { ...deps, outbox: dyingAt('list', deps.outbox) })).rejects.toThrow(Crash);
    expect(await store().dueOrgs(Date.now() + 300_000, 10)).toEqual([PROD_ORG]);
    const later = dynamoOutboxStore(p.resources.outboxTable, () => Date.now() + 6 * 60_000);
    await flushOrg(PROD_ORG, { ...deps, outbox: later });
    expect(await sessionRecords()).toHaveLength(1);
  });
});
