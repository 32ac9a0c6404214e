import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { drainQueue, pollOnce } from '../../local/queue-poller.ts';
import { dynamo, sqs } from '../../shared/adapters/aws-clients.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { parseDeadLetter } from '../../shared/dead-letter.ts';
import { updateSettings } from '../../shared/org-admin.ts';
import type { GlanceSession, SessionEvent } from '../../shared/session.ts';
import { DEMO_GROUP, OTHER_ORG, PROD_ORG, SANDBOX_ORG, sampleSession } from '../support/fixtures.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';
import { captureLogs, type LogCapture } from '../support/log-capture.ts';
import { orgHealthKey } from '../../shared/adapters/org-pauses.ts';

const OTHER_GROUP = 999;
/** Orgs of their own for tests that leave a warm client in a state the others must not inherit. */
const LOOPING_ORG = '00D5g000000LoOpEAK';
const LOOPING_GROUP = 777;

let p: TestPipeline;
let logs: LogCapture;
let tokenRequests: string[];
const realFetch = globalThis.fetch;

beforeAll(async () => {
  p = await startTestPipeline();
  // Token requests go through fetch (jsforce's data calls do not): count logins and refreshes per org.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/services/oauth2/token')) tokenRequests.push(new URLSearchParams(String(init?.body ?? '')).get('client_id') ?? '');
    return realFetch(input, init);
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await p?.stop();
});
beforeEach(async () => {
  logs = captureLogs();
  tokenRequests = [];
  await p.reset();
  await p.registerGroup(DEMO_GROUP);
  await p.registerGroup(OTHER_GROUP);
  await p.addOrg(PROD_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await p.addOrg(SANDBOX_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await p.addOrg(OTHER_ORG, [OTHER_GROUP], { logSessionsStartedOutside: true });
});
afterEach(() => logs.stop());

let seq = 0;
function event(overrides: Partial<GlanceSession> = {}): SessionEvent {
  const n = ++seq;
  return {
    eventId: `webhook:msg_fault_${n}`,
    source: 'webhook',
    type: 'session.started',
    occurredAt: '2026-11-22T13:14:05Z',
    session: sampleSession({ id: `${overrides.groupId ?? DEMO_GROUP}.${n}.1`, sessionKey: String(n), ...overrides }),
  };
}
/** Launched from a record of this org, so an org with Log Outside off skips it: the session concerns one org. */
const launchedIn = (orgId: string, recordId: string) => ({ origin: { salesforceOrgId: orgId, recordId } });

const queue = () => p.resources.eventsQueueUrl;
const send = (...events: SessionEvent[]) => sqsEventsQueue(queue()).sendMany(events);
const drain = () => drainQueue(queue(), (e) => processEvents(e), { retryImmediately: true });
const once = (handler: (e: SQSEvent) => ReturnType<typeof processEvents> = (e) => processEvents(e)) =>
  pollOnce(queue(), handler, { retryImmediately: true });
const sessionIds = async (orgId: string) => (await p.sobjects(orgId, 'Glance_Session__c')).map((r) => r.Glance_Session_Id__c).sort();
const consumed = (times: number) => times - (p.sim.pendingFaults()[0]?.times ?? 0);
const upserts = (orgId: string, from = 0) => p.sim.callLog(orgId).slice(from).filter((c) => c.path.includes('/composite/sobjects/Glance_Session__c')).length;
const tokenRequestsOf = (orgId: string) => tokenRequests.filter((c) => c === `client-${orgId}`).length;
async function deadLetters() {
  return (await p.receiveAll(p.resources.eventsDlqUrl)).map((m) => parseDeadLetter(m.body)!);
}
async function delayedMessages(): Promise<number> {
  const out = await sqs().send(new GetQueueAttributesCommand({ QueueUrl: queue(), AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
  return Number(out.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
}
/** What Lambda hands the handler: its remaining time counts down from the invocation's start. */
function lambdaContext(remainingMs: number): Pick<Context, 'getRemainingTimeInMillis'> {
  const end = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - Date.now() };
}

describe('expired session (401)', () => {
  it('refreshes the token once and the same invocation records the session', async () => {
    await send(event());
    await drain(); // a warm client, as in a Lambda that has run before
    const logins = tokenRequestsOf(PROD_ORG);

    p.sim.injectFault({ orgId: PROD_ORG, fault: 'EXPIRED_SESSION', times: 1 });
    const e = event();
    await send(e);
    const outcome = await once();
    expect(outcome).toBe(1);
    expect(p.sim.pendingFaults()).toEqual([]);
    expect(tokenRequestsOf(PROD_ORG) - logins).toBe(1);
    expect(await sessionIds(PROD_ORG)).toContain(e.session.id);
    expect(await p.queueDepth(queue())).toBe(0);
  });

  it('a token Salesforce keeps refusing does not loop: the call fails fast, the message is retried, and after 3 failures in a row the org is paused, the session waiting rather than dead-lettered', async () => {
    await p.registerGroup(LOOPING_GROUP);
    await p.addOrg(LOOPING_ORG, [LOOPING_GROUP], { logSessionsStartedOutside: true });
    const TIMES = 1000;
    p.sim.injectFault({ orgId: LOOPING_ORG, fault: 'EXPIRED_SESSION', times: TIMES });
    await send(event({ groupId: LOOPING_GROUP }));

    const started = Date.now();
    expect(await once()).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    // One 401, one refresh, one more 401, and the call gives up.
    expect(consumed(TIMES)).toBe(2);
    expect(tokenRequestsOf(LOOPING_ORG)).toBe(2);
    expect(await p.queueDepth(queue())).toBe(1);
    expect(logs.text()).toMatch(/INVALID_SESSION_ID/);

    await drain();
    expect(await deadLetters()).toEqual([]);
    const health = (await dynamo().send(new GetCommand({ TableName: p.resources.orgsTable, Key: orgHealthKey(LOOPING_ORG) }))).Item!;
    expect(health).toMatchObject({ pauseKind: 'outage', probes: 0 });
    expect(String(health.reason)).toMatch(/3 writes in a row failed; last: .*INVALID_SESSION_ID/);
    // Three deliveries, never more than two refused calls and one refresh each; then it waits, delayed.
    expect(consumed(TIMES)).toBeLessThanOrEqual(6);
    expect(tokenRequestsOf(LOOPING_ORG)).toBeLessThanOrEqual(4);
    expect(await delayedMessages()).toBe(1);
    expect(await sessionIds(LOOPING_ORG)).toEqual([]);
  });
});

describe('503 and UNABLE_TO_LOCK_ROW', () => {
  beforeEach(async () => {
    // Production alone takes sessions launched outside Salesforce: the failing org is the only one concerned.
    await updateSettings(p.admin, SANDBOX_ORG, { logSessionsStartedOutside: false });
  });

  it('a 503 is retried with back-off inside the invocation, then the message goes back to the queue, and is recorded once Salesforce answers', async () => {
    const TIMES = 100;
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'SERVICE_UNAVAILABLE', times: TIMES });
    const e = event();
    await send(e);

    // Pinned jitter: the two waits are 0.99 × 250 ms and 0.99 × 500 ms.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.99);
    const started = Date.now();
    let answer: Awaited<ReturnType<typeof processEvents>> | undefined;
    await once(async (sqsEvent) => (answer = await processEvents(sqsEvent)));
    const elapsed = Date.now() - started;
    random.mockRestore();

    expect(consumed(TIMES)).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(answer!.batchItemFailures).toHaveLength(1);
    expect(await p.queueDepth(queue())).toBe(1);
    expect(await sessionIds(PROD_ORG)).toEqual([]);

    p.sim.clearFaults();
    await drain();
    expect(await sessionIds(PROD_ORG)).toEqual([e.session.id]);
    expect(await deadLetters()).toEqual([]);
  });

  it('retries stop at the Lambda deadline: a short invocation gives the message back instead of waiting', async () => {
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'SERVICE_UNAVAILABLE', times: 100 });
    await send(event());
    const { processEvents: fresh } = await freshHandler();
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.99);
    let answer: Awaited<ReturnType<typeof processEvents>> | undefined;
    // 10.1 s left, 10 s kept for reporting: no room for even the first 247 ms wait.
    await once(async (sqsEvent) => (answer = await fresh(sqsEvent, lambdaContext(10_100))));
    random.mockRestore();
    expect(consumed(100)).toBe(1);
    expect(answer!.batchItemFailures).toHaveLength(1);
  });

  it('a warm Lambda retries within its own invocation’s time, not the time left to the invocation that made the client', async () => {
    const { processEvents: fresh } = await freshHandler();
    await send(event());
    // The first invocation had little time left; its client is cached for the next ones.
    await once((sqsEvent) => fresh(sqsEvent, lambdaContext(10_400)));
    expect(await sessionIds(PROD_ORG)).toHaveLength(1);

    p.sim.injectFault({ orgId: PROD_ORG, fault: 'SERVICE_UNAVAILABLE', times: 1 });
    const e = event();
    await send(e);
    let answer: Awaited<ReturnType<typeof processEvents>> | undefined;
    await once(async (sqsEvent) => (answer = await fresh(sqsEvent, lambdaContext(120_000))));
    expect(answer!.batchItemFailures).toEqual([]);
    expect(await sessionIds(PROD_ORG)).toContain(e.session.id);
  });

  it('a locked row is retried for that record only; still locked, the message goes back and finally to the DLQ with the reason', async () => {
    const locked = event();
    const free = event();
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'UNABLE_TO_LOCK_ROW', recordMatch: { Glance_Session_Id__c: locked.session.id }, times: Infinity });
    await send(locked, free);

    const before = p.sim.callLog(PROD_ORG).length;
    let answer: Awaited<ReturnType<typeof processEvents>> | undefined;
    await once(async (sqsEvent) => (answer = await processEvents(sqsEvent)));
    // Three attempts in the invocation; the free neighbour was written by the first.
    expect(upserts(PROD_ORG, before)).toBe(3);
    expect(await sessionIds(PROD_ORG)).toEqual([free.session.id]);
    expect(answer!.batchItemFailures).toHaveLength(1);

    await drain();
    const [dead, ...more] = await deadLetters();
    expect(more).toEqual([]);
    expect(dead).toMatchObject({ orgIds: [PROD_ORG], sessionId: locked.session.id, receiveCount: 5 });
    expect(dead!.reason).toMatch(/gave up after 5 attempts: .*UNABLE_TO_LOCK_ROW/);
  });

  it('a row locked twice is recorded on the third attempt within the invocation', async () => {
    const e = event();
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'UNABLE_TO_LOCK_ROW', times: 2 });
    await send(e);
    let answer: Awaited<ReturnType<typeof processEvents>> | undefined;
    await once(async (sqsEvent) => (answer = await processEvents(sqsEvent)));
    expect(answer!.batchItemFailures).toEqual([]);
    expect(await sessionIds(PROD_ORG)).toEqual([e.session.id]);
  });
});

describe('the daily API allowance', () => {
  async function pausedUntil(orgId: string): Promise<string | undefined> {
    const out = await dynamo().send(new GetCommand({ TableName: p.resources.orgsTable, Key: orgHealthKey(orgId) }));
    return out.Item?.until as string | undefined;
  }

  async function expectPausedAndIsolated(reason: RegExp) {
    // Paused for about an hour, and it says so in a warning and a metric.
    const until = await pausedUntil(PROD_ORG);
    expect(Date.parse(until!)).toBeGreaterThan(Date.now() + 50 * 60_000);
    const warning = logs.records().find((r) => r.message === 'org paused: its sessions wait until it answers again');
    expect(warning).toMatchObject({ level: 'WARN', orgId: PROD_ORG });
    expect(String(warning!.reason)).toMatch(reason);
    const metric = logs.records().find((r) => 'org_paused' in r);
    expect(metric).toMatchObject({ orgId: PROD_ORG, org_paused: 1 });

    // While paused: no Salesforce call for it; its share waits on the queue; the others go on at once.
    const sendSpy = vi.spyOn(sqs(), 'send');
    const prodCalls = p.sim.apiCalls(PROD_ORG);
    const inGroup = event();
    const elsewhere = event({ groupId: OTHER_GROUP });
    await send(inGroup, elsewhere);
    await drain();
    const requeued = (sendSpy.mock.calls as unknown[][]).flatMap(([c]) =>
      c instanceof SendMessageCommand && c.input.QueueUrl === queue() ? [{ delay: c.input.DelaySeconds, event: JSON.parse(c.input.MessageBody!) as SessionEvent }] : [],
    );
    sendSpy.mockRestore();

    expect(p.sim.apiCalls(PROD_ORG)).toBe(prodCalls);
    expect(await sessionIds(PROD_ORG)).not.toContain(inGroup.session.id);
    expect(await sessionIds(SANDBOX_ORG)).toContain(inGroup.session.id);
    expect(await sessionIds(OTHER_ORG)).toContain(elsewhere.session.id);
    expect(requeued).toEqual([
      expect.objectContaining({ delay: 900, event: expect.objectContaining({ onlyOrgId: PROD_ORG, session: expect.objectContaining({ id: inGroup.session.id }) }) }),
    ]);
    expect(await delayedMessages()).toBeGreaterThanOrEqual(1);
    expect(await deadLetters()).toEqual([]);
    return inGroup;
  }

  it('REQUEST_LIMIT_EXCEEDED pauses that org; its sessions wait while the other org of the group and other groups go on', async () => {
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'REQUEST_LIMIT_EXCEEDED', times: 1 });
    const first = event();
    await send(first);
    await drain();
    // Its share of the first session waits too; the sandbox's share was written.
    expect(await sessionIds(PROD_ORG)).toEqual([]);
    expect(await sessionIds(SANDBOX_ORG)).toEqual([first.session.id]);
    await expectPausedAndIsolated(/REQUEST_LIMIT_EXCEEDED/);
  });

  it('usage above 90% of the allowance pauses the org after the batch that saw it; once the pause ends its sessions flow again', async () => {
    p.sim.setApiUsage(PROD_ORG, 95_000);
    const first = event();
    await send(first);
    await drain();
    // The batch that saw the usage still went through.
    expect(await sessionIds(PROD_ORG)).toEqual([first.session.id]);
    await expectPausedAndIsolated(/95\d{3}\/100000 is at or above 90%/);

    // The allowance recovers and the pause runs out: the org's new sessions are written again.
    p.sim.setApiUsage(PROD_ORG, 10_000);
    await dynamo().send(
      new PutCommand({ TableName: p.resources.orgsTable, Item: { ...orgHealthKey(PROD_ORG), kind: 'pause', until: new Date(Date.now() - 1000).toISOString(), reason: 'test' } }),
    );
    const later = event();
    await send(later);
    await drain();
    expect(await sessionIds(PROD_ORG)).toContain(later.session.id);
  });
});

describe('permanent refusals', () => {
  it('DUPLICATES_DETECTED on the session record dead-letters it at once, Salesforce error attached; the other org records it', async () => {
    const e = event();
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'DUPLICATES_DETECTED', pathIncludes: 'Glance_Session__c', times: Infinity });
    await send(e);
    const before = p.sim.callLog(PROD_ORG).length;
    await drain();

    expect(upserts(PROD_ORG, before)).toBe(1);
    const [dead, ...more] = await deadLetters();
    expect(more).toEqual([]);
    expect(dead).toMatchObject({ orgIds: [PROD_ORG], sessionId: e.session.id, receiveCount: 1 });
    expect(dead!.reason).toContain('DUPLICATES_DETECTED: Use one of these records?');
    expect(await sessionIds(SANDBOX_ORG)).toEqual([e.session.id]);
    expect(await p.queueDepth(queue())).toBe(0);
  });

  it('an invalid field (a record mapping naming a field the org lacks) pauses that org at once with INVALID_FIELD, through the breaker, without retries or dead letters', async () => {
    await updateSettings(p.admin, PROD_ORG, { recordMapping: { Case: { No_Such_Field__c: 'user_email' } } });
    const e = event();
    await send(e);
    const before = p.sim.callLog(PROD_ORG).length;
    await drain();

    const queries = p.sim.callLog(PROD_ORG).slice(before).filter((c) => c.path.includes('/query'));
    expect(queries).toHaveLength(1);
    expect(queries[0]!.status).toBe(400);
    // A setup problem no retry can fix (issue 10): the org waits for its admin, nothing is lost.
    expect(await deadLetters()).toEqual([]);
    // One pause mechanism: the breaker's HEALTH# record, probed when it runs out.
    const pause = (await dynamo().send(new GetCommand({ TableName: p.resources.orgsTable, Key: orgHealthKey(PROD_ORG) }))).Item;
    expect(pause).toMatchObject({ pauseKind: 'setup', probes: 0 });
    expect(String(pause?.reason)).toMatch(/INVALID_FIELD/);
    expect(String(pause?.reason)).toMatch(/No_Such_Field__c/);
    expect(await sessionIds(SANDBOX_ORG)).toEqual([e.session.id]);
  });
});

/** A cold Lambda: a new module instance with no cached clients. */
async function freshHandler(): Promise<typeof import('../../functions/session-processor/handler.ts')> {
  vi.resetModules();
  return import('../../functions/session-processor/handler.ts');
}
