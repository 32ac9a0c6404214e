import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingest } from '../../functions/webhook-ingest/handler.ts';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { startLocalHttpApi } from '../../local/http-api.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { sendWebhook } from '../../local/glance-sim/webhook-sender.ts';
import { parseDeadLetter } from '../../shared/dead-letter.ts';
import { DEMO_GROUP, OTHER_ORG, PROD_ORG, SANDBOX_ORG, sampleWebhookEvent } from '../support/fixtures.ts';
import { startTestPipeline, WEBHOOK_SECRET, type TestPipeline } from '../support/pipeline.ts';

let p: TestPipeline;
let api: Awaited<ReturnType<typeof startLocalHttpApi>>;
const webhookUrl = (groupId: number | string = DEMO_GROUP) => `${api.url}/webhooks/glance/${groupId}`;
const drain = () => drainQueue(p.resources.eventsQueueUrl, (event) => processEvents(event), { retryImmediately: true });
const sessions = (orgId: string) => p.sobjects(orgId, 'Glance_Session__c');

beforeAll(async () => {
  p = await startTestPipeline();
  api = await startLocalHttpApi(ingest);
});
afterAll(async () => {
  await api?.stop();
  await p?.stop();
});
beforeEach(async () => {
  await p.reset();
  await p.registerGroup(DEMO_GROUP);
  await p.registerGroup(999);
  await p.addOrg(PROD_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await p.addOrg(SANDBOX_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await p.addOrg(OTHER_ORG, [999], { logSessionsStartedOutside: true });
});

describe('a signed webhook becomes a Glance Session record', () => {
  it('lands as exactly one record in each org paired with the group, and in no other org', async () => {
    const answer = await sendWebhook(webhookUrl(), sampleWebhookEvent(), { secret: WEBHOOK_SECRET });
    expect(answer.status).toBe(202);
    await drain();

    for (const orgId of [PROD_ORG, SANDBOX_ORG]) {
      const records = await sessions(orgId);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        Glance_Session_Id__c: '12345.4821.918273',
        Session_Key__c: '4821',
        Session_Type__c: 'Screen Share',
        Status__c: 'A',
        Host_Name__c: 'Ana Agent',
        Guest_Count__c: 1,
      });
    }
    expect(await sessions(OTHER_ORG)).toHaveLength(0);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
  });

  it('writes each org with one collection call for a whole batch', async () => {
    for (let i = 0; i < 8; i++) {
      const event = sampleWebhookEvent({ id: `12345.50${i}.1`, sessionKey: `50${i}` });
      expect((await sendWebhook(webhookUrl(), event, { secret: WEBHOOK_SECRET })).status).toBe(202);
    }
    const before = p.sim.apiCalls(PROD_ORG);
    await drain();
    expect(await sessions(PROD_ORG)).toHaveLength(8);
    const upserts = p.sim.callLog(PROD_ORG).slice(before).filter((c) => c.path.includes('/composite/sobjects/Glance_Session__c'));
    expect(upserts.length).toBe(1);
  });
});

describe('redelivery and updates', () => {
  it('the same event delivered twice gives one record', async () => {
    const event = sampleWebhookEvent();
    expect((await sendWebhook(webhookUrl(), event, { secret: WEBHOOK_SECRET, id: 'msg_same' })).status).toBe(202);
    await drain();
    const callsAfterFirst = p.sim.apiCalls(PROD_ORG);
    expect((await sendWebhook(webhookUrl(), event, { secret: WEBHOOK_SECRET, id: 'msg_same' })).status).toBe(202);
    await drain();
    expect(await sessions(PROD_ORG)).toHaveLength(1);
    // The duplicate was recognised before Salesforce was called at all.
    expect(p.sim.apiCalls(PROD_ORG)).toBe(callsAfterFirst);
  });

  it('the same session arriving again with a later status updates the one record', async () => {
    await sendWebhook(webhookUrl(), sampleWebhookEvent(), { secret: WEBHOOK_SECRET });
    await drain();
    const ended = { ...sampleWebhookEvent({ status: 'C', endedAt: '2026-11-22T13:40:00Z' }, 'session.ended'), occurredAt: '2026-11-22T13:40:01Z' };
    await sendWebhook(webhookUrl(), ended, { secret: WEBHOOK_SECRET });
    await drain();
    const records = await sessions(PROD_ORG);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ Status__c: 'C' });
    expect(String(records[0]!.End_Time__c)).toMatch(/^2026-11-22T13:40:00/);
  });

  it('a late, older event does not overwrite a newer status', async () => {
    const ended = { ...sampleWebhookEvent({ status: 'C', endedAt: '2026-11-22T13:40:00Z' }, 'session.ended'), occurredAt: '2026-11-22T13:40:01Z' };
    await sendWebhook(webhookUrl(), ended, { secret: WEBHOOK_SECRET });
    await drain();
    await sendWebhook(webhookUrl(), sampleWebhookEvent(), { secret: WEBHOOK_SECRET });
    await drain();
    const records = await sessions(PROD_ORG);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ Status__c: 'C' });
  });

  it('a reused session key with a new session id is a new record', async () => {
    await sendWebhook(webhookUrl(), sampleWebhookEvent(), { secret: WEBHOOK_SECRET });
    await sendWebhook(webhookUrl(), sampleWebhookEvent({ id: '12345.4821.999999' }), { secret: WEBHOOK_SECRET });
    await drain();
    const records = await sessions(PROD_ORG);
    expect(records.map((r) => r.Session_Key__c)).toEqual(['4821', '4821']);
  });
});

describe('the webhook contract over HTTP', () => {
  const body = () => JSON.stringify(sampleWebhookEvent());
  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ['bad signature', 401, () => ({ event: body(), opts: { signature: 'v1,Zm9yZ2VkIHNpZ25hdHVyZQ==' } }), /does not match/],
    ['timestamp 6 minutes old', 401, () => ({ event: body(), opts: { timestamp: now() - 360 } }), /old/],
    ['timestamp 6 minutes ahead', 401, () => ({ event: body(), opts: { timestamp: now() + 360 } }), /future/],
    ['malformed JSON', 400, () => ({ event: '{"type":"session.started",', opts: {} }), /not valid JSON/],
    ['a schema-invalid session', 400, () => ({ event: JSON.stringify(sampleWebhookEvent({ type: 'Q' as 'G' })), opts: {} }), /session\.type/],
    ['an oversize body', 413, () => ({ event: JSON.stringify({ ...sampleWebhookEvent(), pad: 'x'.repeat(300 * 1024) }), opts: {} }), /larger/],
  ])('%s answers %i and queues nothing', async (_name, status, make, message) => {
    const { event, opts } = make();
    const answer = await sendWebhook(webhookUrl(), event, { secret: WEBHOOK_SECRET, ...opts });
    expect(answer.status).toBe(status);
    expect((answer.body as { error: string }).error).toMatch(message);
    expect(await p.queueDepth(p.resources.eventsQueueUrl)).toBe(0);
  });

  it('a missing signature header answers 401 and an unknown group 404, queueing nothing', async () => {
    const res = await fetch(webhookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'webhook-timestamp': String(now()) },
      body: body(),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(/missing webhook-signature/);
    const unknown = await sendWebhook(webhookUrl(424242), sampleWebhookEvent({ groupId: 424242 }), { secret: WEBHOOK_SECRET });
    expect(unknown.status).toBe(404);
    expect(await p.queueDepth(p.resources.eventsQueueUrl)).toBe(0);
  });
});

describe('Salesforce refusals', () => {
  it('a record Salesforce refuses ends on the DLQ with its reason; its batch neighbours succeed', async () => {
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'DUPLICATES_DETECTED', recordMatch: { Glance_Session_Id__c: '12345.bad.1' }, times: Infinity });
    await sendWebhook(webhookUrl(), sampleWebhookEvent({ id: '12345.good.1' }), { secret: WEBHOOK_SECRET });
    await sendWebhook(webhookUrl(), sampleWebhookEvent({ id: '12345.bad.1' }), { secret: WEBHOOK_SECRET });
    await sendWebhook(webhookUrl(), sampleWebhookEvent({ id: '12345.good.2' }), { secret: WEBHOOK_SECRET });
    await drain();

    expect((await sessions(PROD_ORG)).map((r) => r.Glance_Session_Id__c).sort()).toEqual(['12345.good.1', '12345.good.2']);
    expect(await sessions(SANDBOX_ORG)).toHaveLength(3);
    const dead = await p.receiveAll(p.resources.eventsDlqUrl);
    expect(dead).toHaveLength(1);
    const envelope = parseDeadLetter(dead[0]!.body);
    expect(envelope).toMatchObject({ sessionId: '12345.bad.1', orgIds: [PROD_ORG] });
    expect(envelope!.reason).toMatch(/DUPLICATES_DETECTED/);
    expect(dead[0]!.attributes.reason).toMatch(/DUPLICATES_DETECTED/);
  });

  it('a row lock is retried within the invocation and the session is recorded', async () => {
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'UNABLE_TO_LOCK_ROW', times: 1 });
    await sendWebhook(webhookUrl(), sampleWebhookEvent(), { secret: WEBHOOK_SECRET });
    await drain();
    expect(await sessions(PROD_ORG)).toHaveLength(1);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
  });

  it('a message that is not a session event is dead-lettered with the reason, not retried', async () => {
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    const { sqs } = await import('../../shared/adapters/aws-clients.ts');
    await sqs().send(new SendMessageCommand({ QueueUrl: p.resources.eventsQueueUrl, MessageBody: '{"eventId":"x"}' }));
    await drain();
    const dead = await p.receiveAll(p.resources.eventsDlqUrl);
    expect(dead).toHaveLength(1);
    expect(parseDeadLetter(dead[0]!.body)!.reason).toMatch(/not a session event/);
  });
});
