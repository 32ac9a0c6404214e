import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { dynamoTraceStore } from '../../shared/adapters/trace-store.ts';
import type { GlanceSession, SessionEvent } from '../../shared/session.ts';
import type { OrgSettings } from '../../shared/org.ts';
import { DEMO_GROUP, PROD_ORG, SANDBOX_ORG, sampleSession } from '../support/fixtures.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

let p: TestPipeline;
beforeAll(async () => {
  p = await startTestPipeline();
});
afterAll(async () => {
  await p?.stop();
});

let eventSeq = 0;
function event(session: GlanceSession, type: SessionEvent['type'] = 'session.started', occurredAt = '2026-11-22T13:15:00Z'): SessionEvent {
  return { eventId: `test:${++eventSeq}`, source: 'webhook', type, occurredAt, session };
}
async function deliver(...events: SessionEvent[]): Promise<void> {
  await sqsEventsQueue(p.resources.eventsQueueUrl).sendMany(events);
  await drainQueue(p.resources.eventsQueueUrl, (e) => processEvents(e), { retryImmediately: true });
}
async function setUp(prod: Partial<OrgSettings>, sandbox: Partial<OrgSettings> | null = null): Promise<void> {
  await p.reset();
  await p.registerGroup(DEMO_GROUP);
  await p.addOrg(PROD_ORG, [DEMO_GROUP], prod);
  if (sandbox) await p.addOrg(SANDBOX_ORG, [DEMO_GROUP], sandbox);
}
const records = (orgId: string, sobject: string) => p.sobjects(orgId, sobject);
const callsTo = (orgId: string, from: number, fragment: string) =>
  p.sim.callLog(orgId).slice(from).filter((c) => c.path.includes(fragment)).length;
const guest = (name: string | null, email: string | null) => ({ name, email, phone: null, joinedAt: '2026-11-22T13:15:02Z' });

describe('full list, matched per org', () => {
  it('a session launched from the sandbox is linked there, and recorded in production only with Log Outside on', async () => {
    for (const logOutside of [false, true]) {
      await setUp({ logSessionsStartedOutside: logOutside }, { logSessionsStartedOutside: false });
      const caseId = p.sim.seed(SANDBOX_ORG, 'Case', { Subject: 'Printer on fire' });
      await deliver(event(sampleSession({ origin: { salesforceOrgId: SANDBOX_ORG, recordId: caseId } })));

      const sandbox = await records(SANDBOX_ORG, 'Glance_Session__c');
      expect(sandbox).toHaveLength(1);
      expect(sandbox[0]).toMatchObject({ Case__c: caseId, Launched_From_This_Org__c: true, Launched_From_Org_Id__c: SANDBOX_ORG });
      const production = await records(PROD_ORG, 'Glance_Session__c');
      if (logOutside) {
        expect(production).toHaveLength(1);
        // The sandbox's record id means nothing in production: never linked there.
        expect(production[0]).toMatchObject({ Case__c: null, Launched_From_This_Org__c: false, Launched_From_Org_Id__c: SANDBOX_ORG });
      } else expect(production).toHaveLength(0);
    }
  });

  it('a session started outside Salesforce is recorded only where Log Outside is on', async () => {
    await setUp({ logSessionsStartedOutside: false }, { logSessionsStartedOutside: true });
    await deliver(event(sampleSession({ origin: null })));
    expect(await records(PROD_ORG, 'Glance_Session__c')).toHaveLength(0);
    expect(await records(SANDBOX_ORG, 'Glance_Session__c')).toHaveLength(1);
  });

  it('an org set to staging only skips production sessions', async () => {
    await setUp({ logSessionsStartedOutside: true, sites: ['staging'] });
    await deliver(event(sampleSession({ id: '1.p.1', site: 'production' })), event(sampleSession({ id: '1.s.1', site: 'staging' })));
    expect((await records(PROD_ORG, 'Glance_Session__c')).map((r) => r.Glance_Session_Id__c)).toEqual(['1.s.1']);
  });

  it('links by the id prefix the org describes, for Contact, Lead and Opportunity too', async () => {
    await setUp({});
    const contactId = p.sim.seed(PROD_ORG, 'Contact', { LastName: 'Guest', Email: 'gil@example.org' });
    const leadId = p.sim.seed(PROD_ORG, 'Lead', { LastName: 'Lee', Company: 'Acme' });
    const accountId = p.sim.seed(PROD_ORG, 'Account', { Name: 'Acme' });
    const oppId = p.sim.seed(PROD_ORG, 'Opportunity', { Name: 'Deal', StageName: 'Prospecting', CloseDate: '2026-12-31', AccountId: accountId });
    const origin = (recordId: string) => ({ salesforceOrgId: PROD_ORG, recordId });
    await deliver(
      event(sampleSession({ id: '1.c.1', origin: origin(contactId) })),
      event(sampleSession({ id: '1.l.1', origin: origin(leadId) })),
      event(sampleSession({ id: '1.o.1', origin: origin(oppId) })),
    );
    const byId = Object.fromEntries((await records(PROD_ORG, 'Glance_Session__c')).map((r) => [r.Glance_Session_Id__c, r]));
    expect(byId['1.c.1']).toMatchObject({ Contact__c: contactId });
    expect(byId['1.l.1']).toMatchObject({ Lead__c: leadId });
    expect(byId['1.o.1']).toMatchObject({ Opportunity__c: oppId });
  });
});

describe('Leads for session guests', () => {
  it('new_email: no Lead when one exists with other casing; a new email becomes one Lead, related to the session', async () => {
    await setUp({ logSessionsStartedOutside: true, createLeadsForGuests: 'new_email' });
    p.sim.seed(PROD_ORG, 'Lead', { LastName: 'Known', Company: 'Acme', Email: 'gil@example.org' });
    await deliver(event(sampleSession({ guests: [guest('Gil Guest', ' GIL@Example.ORG '), guest('Nora New', 'nora@example.net')] })));

    const leads = await records(PROD_ORG, 'Lead');
    expect(leads).toHaveLength(2);
    const nora = leads.find((l) => l.Email === 'nora@example.net')!;
    expect(nora).toMatchObject({ FirstName: 'Nora', LastName: 'New', LeadSource: 'Glance', Company: '[not provided via Glance]' });
    expect((await records(PROD_ORG, 'Glance_Session__c'))[0]).toMatchObject({ Lead__c: nora.Id });
  });

  it('the same new email on two guests and two sessions of one batch makes one Lead', async () => {
    await setUp({ logSessionsStartedOutside: true, createLeadsForGuests: 'new_email' });
    await deliver(
      event(sampleSession({ id: '1.a.1', guests: [guest('Sam Same', 'sam@example.com'), guest('Sam Again', 'SAM@example.com')] })),
      event(sampleSession({ id: '1.b.1', guests: [guest('Sam Same', 'sam@example.com')] })),
    );
    expect((await records(PROD_ORG, 'Lead')).map((l) => l.Email)).toEqual(['sam@example.com']);
    expect(await records(PROD_ORG, 'Glance_Session__c')).toHaveLength(2);
  });

  it('no Lead for cobrowse or video guests, for the host, or under never', async () => {
    await setUp({ logSessionsStartedOutside: true, createLeadsForGuests: 'new_email' });
    await deliver(
      event(sampleSession({ id: '1.c.1', type: 'C', guests: [guest('Cora Cobrowse', 'cora@example.com')] })),
      event(sampleSession({ id: '1.v.1', type: 'V', guests: [guest('Vic Video', 'vic@example.com')] })),
      event(sampleSession({ id: '1.h.1', guests: [guest('Ana Agent', 'ANA@example.com')] })),
    );
    expect(await records(PROD_ORG, 'Lead')).toHaveLength(0);
    await setUp({ logSessionsStartedOutside: true, createLeadsForGuests: 'never' });
    await deliver(event(sampleSession({ guests: [guest('Nora New', 'nora@example.net')] })));
    expect(await records(PROD_ORG, 'Lead')).toHaveLength(0);
  });

  it('new_email_and_name needs the name; new_email takes a nameless guest with a placeholder', async () => {
    await setUp({ logSessionsStartedOutside: true, createLeadsForGuests: 'new_email_and_name' });
    await deliver(event(sampleSession({ guests: [guest(null, 'anon@example.com'), guest('Ned Named', 'ned@example.com')] })));
    expect((await records(PROD_ORG, 'Lead')).map((l) => l.Email)).toEqual(['ned@example.com']);
    await setUp({ logSessionsStartedOutside: true, createLeadsForGuests: 'new_email' });
    await deliver(event(sampleSession({ guests: [guest(null, 'anon@example.com')] })));
    expect(await records(PROD_ORG, 'Lead')).toEqual([expect.objectContaining({ Email: 'anon@example.com', LastName: '[Glance guest]' })]);
  });

  it("a duplicate rule's answer means no Lead, not a failure", async () => {
    await setUp({ logSessionsStartedOutside: true, createLeadsForGuests: 'new_email', debugMode: true });
    p.sim.injectFault({ orgId: PROD_ORG, fault: 'DUPLICATES_DETECTED', recordMatch: { Email: 'dup@example.com' }, times: Infinity });
    await deliver(event(sampleSession({ guests: [guest('Dee Dup', 'dup@example.com')] })));
    expect(await records(PROD_ORG, 'Lead')).toHaveLength(0);
    expect(await records(PROD_ORG, 'Glance_Session__c')).toHaveLength(1);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
    const [trace] = await dynamoTraceStore(p.resources.tracesTable).list(PROD_ORG);
    expect(trace!.leads.join(' ')).toMatch(/duplicate rule/);
  });
});

describe('Chatter on session start', () => {
  it('posts once on the related record with who, what and the join link, whatever the deliveries', async () => {
    await setUp({ chatterOnSessionStart: true });
    const caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Help' });
    const session = sampleSession({ origin: { salesforceOrgId: PROD_ORG, recordId: caseId } });
    const started = event(session);
    await deliver(started);
    await deliver({ ...started }); // the same event redelivered
    await deliver(event(session)); // the same start sent again under another event id
    await deliver(event({ ...session, status: 'A' }, 'session.updated', '2026-11-22T13:20:00Z'));

    const posts = await records(PROD_ORG, 'FeedItem');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ ParentId: caseId });
    expect(String(posts[0]!.Body)).toContain('Ana Agent started a Glance screen share session (key 4821)');
    expect(String(posts[0]!.Body)).toContain('https://www.glance.net/agentjoin/4821');
  });

  it('posts nothing for a session without a related record, or with the setting off', async () => {
    await setUp({ chatterOnSessionStart: true, logSessionsStartedOutside: true });
    await deliver(event(sampleSession({ origin: null })));
    await setUp({ chatterOnSessionStart: false });
    const caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Help' });
    await deliver(event(sampleSession({ origin: { salesforceOrgId: PROD_ORG, recordId: caseId } })));
    expect(await records(PROD_ORG, 'FeedItem')).toHaveLength(0);
  });
});

describe('record mapping', () => {
  it('relates a session without an origin record by custom data; an ambiguous match relates nothing and says so', async () => {
    await setUp({ logSessionsStartedOutside: true, debugMode: true, recordMapping: { Contact: { Email: 'user_email' } } });
    const contactId = p.sim.seed(PROD_ORG, 'Contact', { LastName: 'One', Email: 'one@example.com' });
    p.sim.seed(PROD_ORG, 'Contact', { LastName: 'Twin', Email: 'twin@example.com' });
    p.sim.seed(PROD_ORG, 'Contact', { LastName: 'Twin', Email: 'TWIN@example.com' });
    await deliver(
      event(sampleSession({ id: '1.one.1', customData: { user_email: 'One@Example.com' } })),
      event(sampleSession({ id: '1.twin.1', customData: { user_email: 'twin@example.com' } })),
    );
    const byId = Object.fromEntries((await records(PROD_ORG, 'Glance_Session__c')).map((r) => [r.Glance_Session_Id__c, r]));
    expect(byId['1.one.1']).toMatchObject({ Contact__c: contactId });
    expect(byId['1.twin.1']).toMatchObject({ Contact__c: null });
    const traces = await dynamoTraceStore(p.resources.tracesTable).list(PROD_ORG, { sessionId: '1.twin.1' });
    expect(traces[0]!.link).toMatch(/2 Contact records .* ambiguous/);
  });
});

describe('batching and Debug Mode', () => {
  it('a batch costs one Lead query, one Composite call for the new Leads and the sessions relating to them, and one Chatter batch', async () => {
    await setUp({ createLeadsForGuests: 'new_email', chatterOnSessionStart: true });
    const cases = Array.from({ length: 8 }, (_, i) => p.sim.seed(PROD_ORG, 'Case', { Subject: `Case ${i}` }));
    p.sim.seed(PROD_ORG, 'Lead', { LastName: 'Known', Company: 'Acme', Email: 'guest0@example.com' });
    const before = p.sim.apiCalls(PROD_ORG);
    await deliver(
      ...cases.map((caseId, i) =>
        event(sampleSession({ id: `1.batch.${i}`, origin: { salesforceOrgId: PROD_ORG, recordId: caseId }, guests: [guest(`Guest ${i}`, `guest${i}@example.com`)] })),
      ),
    );
    expect(await records(PROD_ORG, 'Glance_Session__c')).toHaveLength(8);
    expect(await records(PROD_ORG, 'Lead')).toHaveLength(8); // 1 known + 7 new
    expect(await records(PROD_ORG, 'FeedItem')).toHaveLength(8);
    expect(callsTo(PROD_ORG, before, '/query')).toBe(1);
    // The Lead upsert and the session upsert travel in one Composite request (one API call).
    expect(p.sim.callLog(PROD_ORG).slice(before).filter((c) => /\/composite$/.test(c.path))).toHaveLength(1);
    expect(callsTo(PROD_ORG, before, '/composite/sobjects/')).toBe(0);
    expect(callsTo(PROD_ORG, before, '/chatter/feed-elements/batch')).toBe(1);
    // Each new guest's session points at the Lead made for it.
    const leads = new Map((await records(PROD_ORG, 'Lead')).map((l) => [l.Id, l.Email]));
    const sessions = await records(PROD_ORG, 'Glance_Session__c');
    expect(sessions.filter((r) => r.Glance_Session_Id__c !== '1.batch.0').map((r) => leads.get(r.Lead__c)).sort()).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((i) => `guest${i}@example.com`).sort(),
    );
    // Plus the org's describe, read once per warm Lambda: at most 2 more calls in all.
    expect(p.sim.apiCalls(PROD_ORG) - before).toBeLessThanOrEqual(5);
  });

  it('Debug Mode on stores a readable trace per session; off stores none', async () => {
    await setUp({ logSessionsStartedOutside: true, createLeadsForGuests: 'new_email', debugMode: true });
    await deliver(event(sampleSession({ type: 'C' })));
    const [trace] = await dynamoTraceStore(p.resources.tracesTable).list(PROD_ORG);
    expect(trace).toMatchObject({ orgId: PROD_ORG, sessionId: '12345.4821.918273', recorded: true, outcome: 'recorded' });
    expect(trace!.route).toMatch(/Log Sessions Started Outside of Salesforce is on/);
    expect(trace!.leads[0]).toMatch(/screen share sessions only/);
    expect(trace!.salesforceCalls.some((c) => c.startsWith('upsert 1 Glance_Session__c'))).toBe(true);
    expect(JSON.stringify(trace)).not.toMatch(/refresh-|access_token|Bearer/);

    await setUp({ logSessionsStartedOutside: true, debugMode: false });
    await deliver(event(sampleSession()));
    expect(await dynamoTraceStore(p.resources.tracesTable).list(PROD_ORG)).toHaveLength(0);
  });
});

describe('a related record that no longer exists', () => {
  it('records the session without the link instead of losing it, and says so in the trace', async () => {
    await setUp({ debugMode: true });
    const goneCase = '5005g00000GoNe1AAA';
    await deliver(event(sampleSession({ origin: { salesforceOrgId: PROD_ORG, recordId: goneCase } })));
    const [record] = await records(PROD_ORG, 'Glance_Session__c');
    expect(record).toMatchObject({ Case__c: null, Launched_From_Record_Id__c: goneCase });
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
    const [trace] = await dynamoTraceStore(p.resources.tracesTable).list(PROD_ORG);
    expect(trace!.link).toMatch(/does not exist in this org/);
  });
});
