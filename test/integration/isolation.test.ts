import { GetCommand, ScanCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { drainQueue, pollOnce } from '../../local/queue-poller.ts';
import { dynamo, sqs } from '../../shared/adapters/aws-clients.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { parseDeadLetter } from '../../shared/dead-letter.ts';
import { setSalesforceCredentials, updateSettings } from '../../shared/org-admin.ts';
import type { GlanceSession, SessionEvent } from '../../shared/session.ts';
import { DEMO_GROUP, OTHER_ORG, PROD_ORG, SANDBOX_ORG, sampleSession } from '../support/fixtures.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';
import { dynamoCredentialsPauses, orgHealthKey } from '../../shared/adapters/org-pauses.ts';
import type { PipelineEvent } from '../../shared/pipeline-events.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

const OTHER_GROUP = 999;
/** Used by one test only: the processor caches each org's credentials and client, as a warm Lambda does. */
const BAD_CREDENTIALS_ORG = '00D5g000000BaDcEAK';

let p: TestPipeline;
beforeAll(async () => {
  p = await startTestPipeline();
});
afterAll(async () => {
  await p?.stop();
});
beforeEach(async () => {
  await p.reset();
  await p.registerGroup(DEMO_GROUP);
  await p.registerGroup(OTHER_GROUP);
  await p.addOrg(PROD_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await p.addOrg(SANDBOX_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await p.addOrg(OTHER_ORG, [OTHER_GROUP], { logSessionsStartedOutside: true });
});

let seq = 0;
function event(overrides: Partial<GlanceSession> = {}): SessionEvent {
  const n = ++seq;
  return {
    eventId: `webhook:msg_iso_${n}`,
    source: 'webhook',
    type: 'session.started',
    occurredAt: '2026-11-22T13:14:05Z',
    session: sampleSession({ id: `${overrides.groupId ?? DEMO_GROUP}.${n}.1`, sessionKey: String(n), ...overrides }),
  };
}
const queue = () => p.resources.eventsQueueUrl;
const drain = () => drainQueue(queue(), (e) => processEvents(e), { retryImmediately: true });
const records = (orgId: string, sobject = 'Glance_Session__c') => p.sobjects(orgId, sobject);
const sessionIds = async (orgId: string) => (await records(orgId)).map((r) => r.Glance_Session_Id__c).sort();

/** Session events the processor put back on the events queue, read from the SQS client's calls. */
function eventsSent(calls: unknown[][], options: { delayedOnly?: boolean } = {}): SessionEvent[] {
  return calls.flatMap(([command]) =>
    command instanceof SendMessageCommand && command.input.QueueUrl === queue() && (!options.delayedOnly || command.input.DelaySeconds !== undefined)
      ? [JSON.parse(command.input.MessageBody!) as SessionEvent]
      : [],
  );
}

/** One invocation's worth: what the processor sent back to the events queue meanwhile, and its answer. */
async function oneInvocation() {
  const spy = vi.spyOn(sqs(), 'send');
  let answer: Awaited<ReturnType<typeof processEvents>> | undefined;
  await pollOnce(queue(), async (e) => (answer = await processEvents(e)), { batchSize: 10 });
  const requeued = eventsSent(spy.mock.calls);
  spy.mockRestore();
  return { answer: answer!, requeued };
}

/** Delivers a split-off share now rather than after its back-off delay. */
async function deliverNow(events: SessionEvent[]) {
  await sqsEventsQueue(queue()).sendMany(events);
  await drain();
}

describe("one org's trouble never delays or touches another org", () => {
  it('bad credentials: the other org of the group and another group are written in the same invocation; the retry touches the bad org only', async () => {
    await p.addOrg(BAD_CREDENTIALS_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
    await setSalesforceCredentials(p.admin, BAD_CREDENTIALS_ORG, {
      authType: 'refresh_token',
      loginUrl: p.sim.url,
      clientId: `client-${BAD_CREDENTIALS_ORG}`,
      refreshToken: 'revoked-refresh-token',
    });
    const inGroup = event();
    const elsewhere = event({ groupId: OTHER_GROUP });
    await sqsEventsQueue(queue()).sendMany([inGroup, elsewhere]);

    const { answer, requeued } = await oneInvocation();
    expect(answer.batchItemFailures).toEqual([]);
    expect(await sessionIds(PROD_ORG)).toEqual([inGroup.session.id]);
    expect(await sessionIds(SANDBOX_ORG)).toEqual([inGroup.session.id]);
    expect(await sessionIds(OTHER_ORG)).toEqual([elsewhere.session.id]);
    expect(p.sim.apiCalls(BAD_CREDENTIALS_ORG)).toBe(0);
    expect(requeued).toEqual([expect.objectContaining({ onlyOrgId: BAD_CREDENTIALS_ORG, session: expect.objectContaining({ id: inGroup.session.id }) })]);

    const calls = () => [PROD_ORG, SANDBOX_ORG, OTHER_ORG].map((o) => p.sim.apiCalls(o));
    const before = calls();
    // invalid_grant pauses the org at once, with that reason; its share waits without using up attempts.
    const health = async () => (await dynamo().send(new GetCommand({ TableName: p.resources.orgsTable, Key: orgHealthKey(BAD_CREDENTIALS_ORG) }))).Item;
    expect(await health()).toMatchObject({ pauseKind: 'credentials' });
    expect(String((await health())!.reason)).toMatch(/expired access\/refresh token.*glance-sync orgs credentials/);
    let share = requeued;
    for (let delivery = 0; delivery < 3; delivery++) {
      const sent = vi.spyOn(sqs(), 'send');
      await deliverNow(share);
      share = eventsSent(sent.mock.calls, { delayedOnly: true });
      sent.mockRestore();
      expect(share).toEqual([expect.objectContaining({ onlyOrgId: BAD_CREDENTIALS_ORG, attempt: 0 })]);
    }
    expect(calls()).toEqual(before);
    expect(p.sim.apiCalls(BAD_CREDENTIALS_ORG)).toBe(0);
    expect(await p.receiveAll(p.resources.eventsDlqUrl)).toEqual([]);

    // The admin gives it working credentials: the pause ends at once (no waiting for the probe, up
    // to 30 minutes away), Org Resumed is announced, and the waiting session is written there only.
    const pausedUntil = String((await health())!.until);
    expect(Date.parse(pausedUntil)).toBeGreaterThan(Date.now());
    const announced: PipelineEvent[] = [];
    const { resumed } = await setSalesforceCredentials(
      { ...p.admin, pauses: dynamoCredentialsPauses(p.resources.orgsTable), announce: async (e) => void announced.push(e) },
      BAD_CREDENTIALS_ORG,
      { authType: 'refresh_token', loginUrl: p.sim.url, clientId: `client-${BAD_CREDENTIALS_ORG}`, refreshToken: `refresh-${BAD_CREDENTIALS_ORG}` },
    );
    expect(resumed).toMatchObject({ kind: 'credentials', until: pausedUntil });
    expect(await health()).toBeUndefined();
    expect(announced).toEqual([{ detailType: 'Org Resumed', detail: expect.objectContaining({ orgId: BAD_CREDENTIALS_ORG, pausedUntil, reason: expect.stringMatching(/refresh token/) }) }]);
    await deliverNow(share);
    expect(await sessionIds(BAD_CREDENTIALS_ORG)).toEqual([inGroup.session.id]);
    expect(await health()).toBeUndefined();
    expect(calls()).toEqual(before);
    expect(await p.receiveAll(p.resources.eventsDlqUrl)).toEqual([]);
  });

  it('a Salesforce outage in one org: the others are written in the same invocation and never again by its retries', async () => {
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'SERVICE_UNAVAILABLE', times: Infinity });
    const inGroup = event();
    const elsewhere = event({ groupId: OTHER_GROUP });
    await sqsEventsQueue(queue()).sendMany([inGroup, elsewhere]);

    const { requeued } = await oneInvocation();
    expect(await sessionIds(SANDBOX_ORG)).toEqual([inGroup.session.id]);
    expect(await sessionIds(OTHER_ORG)).toEqual([elsewhere.session.id]);
    expect(requeued.map((e) => e.onlyOrgId)).toEqual([PROD_ORG]);

    const sandboxCalls = p.sim.apiCalls(SANDBOX_ORG);
    p.sim.clearFaults();
    await deliverNow(requeued);
    expect(await sessionIds(PROD_ORG)).toEqual([inGroup.session.id]);
    expect(p.sim.apiCalls(SANDBOX_ORG)).toBe(sandboxCalls);
    expect(await sessionIds(SANDBOX_ORG)).toEqual([inGroup.session.id]);
  });

  it('a paused org costs the others nothing: they are written at once, it gets no call', async () => {
    await dynamo().send(
      new PutCommand({
        TableName: p.resources.orgsTable,
        Item: { ...orgHealthKey(PROD_ORG), kind: 'pause', until: new Date(Date.now() + 3600_000).toISOString(), reason: 'Salesforce answered REQUEST_LIMIT_EXCEEDED' },
      }),
    );
    const inGroup = event();
    const elsewhere = event({ groupId: OTHER_GROUP });
    await sqsEventsQueue(queue()).sendMany([inGroup, elsewhere]);
    const { answer, requeued } = await oneInvocation();
    expect(answer.batchItemFailures).toEqual([]);
    expect(p.sim.apiCalls(PROD_ORG)).toBe(0);
    expect(await sessionIds(SANDBOX_ORG)).toEqual([inGroup.session.id]);
    expect(await sessionIds(OTHER_ORG)).toEqual([elsewhere.session.id]);
    expect(requeued).toEqual([expect.objectContaining({ onlyOrgId: PROD_ORG })]);
  });

  it('new credentials end only a pause for refused credentials: an allowance or outage pause waits for its probe', async () => {
    const pauses = dynamoCredentialsPauses(p.resources.orgsTable);
    const until = new Date(Date.now() + 3600_000).toISOString();
    for (const pauseKind of ['allowance', 'outage', 'setup']) {
      await dynamo().send(new PutCommand({ TableName: p.resources.orgsTable, Item: { ...orgHealthKey(PROD_ORG), kind: 'pause', pauseKind, until, reason: 'Salesforce answered 503' } }));
      expect(await pauses.endCredentialsPause(PROD_ORG)).toBeNull();
      const item = (await dynamo().send(new GetCommand({ TableName: p.resources.orgsTable, Key: orgHealthKey(PROD_ORG) }))).Item;
      expect(item).toMatchObject({ pauseKind, until });
    }
    // An org that is not paused at all: nothing to end.
    expect(await pauses.endCredentialsPause(SANDBOX_ORG)).toBeNull();
  });
});

describe("one org's data never appears in another except by the group's full list", () => {
  it('a session launched from production: linked, posted and Lead-making there only; the sandbox has the bare record; another group nothing', async () => {
    await updateSettings(p.admin, PROD_ORG, { createLeadsForGuests: 'new_email', chatterOnSessionStart: true, debugMode: true });
    await updateSettings(p.admin, SANDBOX_ORG, { createLeadsForGuests: 'never', chatterOnSessionStart: true, debugMode: false });
    await updateSettings(p.admin, OTHER_ORG, { createLeadsForGuests: 'new_email', chatterOnSessionStart: true, debugMode: true });
    const caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Printer on fire' });
    const e = event({ origin: { salesforceOrgId: PROD_ORG, recordId: caseId } });
    await deliverNow([e]);

    const [prod] = await records(PROD_ORG);
    expect(prod).toMatchObject({ Glance_Session_Id__c: e.session.id, Case__c: caseId, Launched_From_This_Org__c: true });
    expect(await records(PROD_ORG, 'FeedItem')).toEqual([expect.objectContaining({ ParentId: caseId })]);
    expect((await records(PROD_ORG, 'Lead')).map((l) => l.Email)).toEqual(['gil@example.org']);

    const [sandbox, ...more] = await records(SANDBOX_ORG);
    expect(more).toEqual([]);
    // The session says where it was launched (that is part of the full list), but no lookup,
    // post or Lead in the sandbox is made from production's record.
    expect(sandbox).toMatchObject({
      Glance_Session_Id__c: e.session.id,
      Launched_From_This_Org__c: false,
      Launched_From_Org_Id__c: PROD_ORG,
      Case__c: null,
      Contact__c: null,
      Lead__c: null,
      Opportunity__c: null,
    });
    expect(await records(SANDBOX_ORG, 'FeedItem')).toEqual([]);
    expect(await records(SANDBOX_ORG, 'Lead')).toEqual([]);
    expect(await records(SANDBOX_ORG, 'Case')).toEqual([]);
    expect(await records(OTHER_ORG)).toEqual([]);
    expect(await records(OTHER_ORG, 'Lead')).toEqual([]);
    expect(p.sim.apiCalls(OTHER_ORG)).toBe(0);

    // Debug traces: production's only, and nothing of it under another org.
    const traces = (await dynamo().send(new ScanCommand({ TableName: p.resources.tracesTable }))).Items ?? [];
    expect(traces.map((t) => t.orgId)).toEqual([PROD_ORG]);
    expect(traces.map((t) => t.pk)).toEqual([`ORG#${PROD_ORG}`]);
  });

  it('guest Leads and mapped links: each org uses its own records, never another org’s', async () => {
    for (const orgId of [PROD_ORG, SANDBOX_ORG, OTHER_ORG]) {
      await updateSettings(p.admin, orgId, { createLeadsForGuests: orgId === SANDBOX_ORG ? 'never' : 'new_email', recordMapping: { Contact: { Email: 'user_email' } } });
    }
    const prodContact = p.sim.seed(PROD_ORG, 'Contact', { LastName: 'Guest', Email: 'gil@example.org' });
    const sandboxContact = p.sim.seed(SANDBOX_ORG, 'Contact', { LastName: 'Guest', Email: 'gil@example.org' });
    // The other group's org knows this guest already; that must not stop production making its Lead.
    p.sim.seed(OTHER_ORG, 'Lead', { LastName: 'Guest', Company: 'Acme', Email: 'gil@example.org' });
    const e = event();
    await deliverNow([e]);

    expect((await records(PROD_ORG))[0]).toMatchObject({ Contact__c: prodContact });
    expect((await records(SANDBOX_ORG))[0]).toMatchObject({ Contact__c: sandboxContact });
    expect((await records(PROD_ORG, 'Lead')).map((l) => l.Email)).toEqual(['gil@example.org']);
    expect(await records(SANDBOX_ORG, 'Lead')).toEqual([]);
    expect(await records(OTHER_ORG, 'Lead')).toHaveLength(1);
    expect(await records(OTHER_ORG)).toEqual([]);
  });

  it('a permanent refusal in one org is dead-lettered under that org only; the others keep their record', async () => {
    p.sim.injectFault({ orgId: SANDBOX_ORG, fault: 'DUPLICATES_DETECTED', pathIncludes: 'Glance_Session__c', times: Infinity });
    const e = event();
    await deliverNow([e]);
    const dead = (await p.receiveAll(p.resources.eventsDlqUrl)).map((m) => parseDeadLetter(m.body)!);
    expect(dead.map((d) => d.orgIds)).toEqual([[SANDBOX_ORG]]);
    expect(JSON.parse(dead[0]!.body)).toMatchObject({ onlyOrgId: SANDBOX_ORG });
    expect(await sessionIds(PROD_ORG)).toEqual([e.session.id]);
  });
});
