import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingest } from '../../functions/webhook-ingest/handler.ts';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { startLocalHttpApi } from '../../local/http-api.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { sendWebhook } from '../../local/glance-sim/webhook-sender.ts';
import { dynamoOrgPauses } from '../../shared/adapters/org-pauses.ts';
import { dynamoTraceStore } from '../../shared/adapters/trace-store.ts';
import { sqsSafeJson } from '../../shared/adapters/events-queue.ts';
import { connectSalesforce } from '../../shared/adapters/salesforce.ts';
import type { GlanceSession } from '../../shared/session.ts';
import { DEMO_GROUP, PROD_ORG, sampleWebhookEvent } from '../support/fixtures.ts';
import { startTestPipeline, WEBHOOK_SECRET, type TestPipeline } from '../support/pipeline.ts';

/**
 * Issue 10's failing inputs, tried as a new user would against a simulator as strict as a real
 * org: each value a real org refuses is fitted or left out (with a Debug Mode note), and the
 * session is still recorded; nothing is dead-lettered for it.
 */
let p: TestPipeline;
let api: Awaited<ReturnType<typeof startLocalHttpApi>>;
const webhookUrl = () => `${api.url}/webhooks/glance/${DEMO_GROUP}`;
const drain = () => drainQueue(p.resources.eventsQueueUrl, (event) => processEvents(event), { retryImmediately: true });
const send = (session: Partial<GlanceSession>, id?: string) => sendWebhook(webhookUrl(), sampleWebhookEvent(session), { secret: WEBHOOK_SECRET, ...(id ? { id } : {}) });
const guest = (name: string | null, email: string | null) => ({ name, email, phone: null, joinedAt: '2026-11-22T13:15:02Z' });
const traces = (sessionId: string) => dynamoTraceStore(p.resources.tracesTable).list(PROD_ORG, { sessionId });

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
  await p.addOrg(PROD_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true, createLeadsForGuests: 'new_email', debugMode: true });
});

describe('guest Leads', () => {
  it("an apostrophe in the local part gets a Lead (Salesforce accepts o'neil@...)", async () => {
    expect((await send({ guests: [guest('Pat O\'Neil', "o'neil@example.com")] })).status).toBe(202);
    await drain();
    expect((await p.sobjects(PROD_ORG, 'Lead')).map((l) => l.Email)).toEqual(["o'neil@example.com"]);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
  });

  it('_ in the guest email domain: no Lead, a note says why, the session is recorded and nothing is dead-lettered', async () => {
    await send({ guests: [guest('Gil Guest', 'gil@exa_mple.org')] });
    await drain();
    expect(await p.sobjects(PROD_ORG, 'Glance_Session__c')).toHaveLength(1);
    expect(await p.sobjects(PROD_ORG, 'Lead')).toHaveLength(0);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
    const [trace] = await traces('12345.4821.918273');
    expect(trace!.leads).toEqual(['guest 1: no Lead, guest email is not an address Salesforce accepts']);
  });

  it('39 letters, an emoji and a last name: FirstName is cut before the emoji, never through it', async () => {
    const first = `${'A'.repeat(39)}😀`;
    await send({ guests: [guest(`${first} Guest`, 'emoji@example.org')] });
    await drain();
    const [lead] = await p.sobjects(PROD_ORG, 'Lead');
    expect(lead).toMatchObject({ FirstName: 'A'.repeat(39), LastName: 'Guest' });
    expect(String(lead!.FirstName)).not.toMatch(/[\uD800-\uDFFF]/);
  });
});

describe('session values a real org refuses', () => {
  it('a host email of 97 valid characters is left out of Host_Email__c; the session is recorded, with a note', async () => {
    const email = `${'h'.repeat(85)}@example.com`;
    expect(email).toHaveLength(97);
    expect((await send({ host: { partnerUserId: 'agent-17', name: 'Ana Agent', email } })).status).toBe(202);
    await drain();
    const [record] = await p.sobjects(PROD_ORG, 'Glance_Session__c');
    expect(record).toMatchObject({ Host_Name__c: 'Ana Agent', Host_Email__c: null });
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
    const [trace] = await traces('12345.4821.918273');
    expect(trace!.values).toEqual(['Host_Email__c left out: 97 characters, the field holds 80']);
  });

  it('a join URL over 255 characters is left out of Join_URL__c, with a note', async () => {
    await send({ joinUrl: `https://www.glance.net/agentjoin/${'x'.repeat(300)}` });
    await drain();
    const [record] = await p.sobjects(PROD_ORG, 'Glance_Session__c');
    expect(record!.Join_URL__c).toBeNull();
    expect((await traces('12345.4821.918273'))[0]!.values).toEqual(['Join_URL__c left out: 333 characters, a URL field holds 255']);
  });

  it('startedAt in the year 0050 is refused at intake with a 400 naming the field; nothing is queued', async () => {
    const answer = await send({ startedAt: '0050-11-22T13:14:00Z' });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('session.startedAt');
    expect(await p.queueDepth(p.resources.eventsQueueUrl)).toBe(0);
  });

  it('characters SQS cannot carry are replaced before queueing, never a 500', async () => {
    const answer = await send({ host: { partnerUserId: 'agent-17', name: 'Ana \uFFFF Agent', email: 'ana@example.com' } });
    expect(answer.status).toBe(202);
    await drain();
    expect((await p.sobjects(PROD_ORG, 'Glance_Session__c'))[0]!.Host_Name__c).toBe('Ana \uFFFD Agent');
    expect(sqsSafeJson({ a: '\uFFFE\u0001\uD800' })).toBe('{"a":"\uFFFD\\u0001\\ud800"}');
  });

  it('a burst of 30 in which every tenth session carries a value a real org refuses records every session', async () => {
    const bad: Array<Partial<GlanceSession>> = [
      { host: { partnerUserId: 'agent-17', name: 'Ana Agent', email: `${'h'.repeat(85)}@example.com` } },
      { guests: [guest('Gil Guest', 'gil@exa_mple.org')] },
      { joinUrl: `https://www.glance.net/agentjoin/${'x'.repeat(300)}` },
    ];
    for (let i = 0; i < 30; i++) {
      const extra = i % 10 === 9 ? bad[(i - 9) / 10]! : {};
      expect((await send({ id: `12345.60${i}.1`, sessionKey: `60${i}`, guests: [], ...extra })).status).toBe(202);
    }
    await drain();
    const ids = (await p.sobjects(PROD_ORG, 'Glance_Session__c')).map((r) => r.Glance_Session_Id__c).sort();
    expect(ids).toHaveLength(30);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
  });
});

describe('an org not set up as the package declares', () => {
  it('is paused with the reason visible, instead of retrying and dead-lettering its sessions', async () => {
    const BROKEN = '00D5g000000BrKnEAK';
    await p.addOrg(BROKEN, [DEMO_GROUP], { logSessionsStartedOutside: true }, { schema: { missingFields: ['Glance_Session__c.Host_Name__c'] } });
    await send({});
    await drain();
    expect(await p.sobjects(PROD_ORG, 'Glance_Session__c')).toHaveLength(1);
    expect(await p.sobjects(BROKEN, 'Glance_Session__c')).toHaveLength(0);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
    const pause = (await dynamoOrgPauses(p.resources.orgsTable).pausedOrgs([BROKEN])).get(BROKEN);
    expect(pause?.reason).toMatch(/not set up as the package declares: .*INVALID_FIELD.*Host_Name__c.*glance-sync orgs check 00D5g000000BrKnEAK/);
  });
});

describe('one record refused never fails its neighbours', () => {
  it('a whole collection call refused for one record (JSON_PARSER_ERROR) is split until only that record fails', async () => {
    const client = await connectSalesforce({ authType: 'refresh_token', loginUrl: p.sim.url, clientId: `client-${PROD_ORG}`, refreshToken: `refresh-${PROD_ORG}` });
    const records = Array.from({ length: 30 }, (_, i) => ({ Glance_Session_Id__c: `12345.70${i}.1`, Start_Time__c: i === 17 ? 'the year 50' : '2026-11-22T13:14:00Z' }));
    const results = await client.upsertRecords('Glance_Session__c', 'Glance_Session_Id__c', records);
    expect(results.filter((r) => !r.ok).length).toBe(1);
    expect(results[17]).toMatchObject({ ok: false, faults: [{ code: 'JSON_PARSER_ERROR' }] });
    expect(await p.sobjects(PROD_ORG, 'Glance_Session__c')).toHaveLength(29);
  });
});
