import { describe, expect, it } from 'vitest';
import { toGlanceSessionRecord, type GlanceSessionRecord } from '../../shared/glance-session-record.ts';
import { mergeSessionVersions, RECORD_FIELD_KNOWLEDGE, recordUpsertBody, type RecordVersion } from '../../shared/session-sources.ts';
import type { GlanceSession, SessionEvent } from '../../shared/session.ts';
import { processSessionBatch } from '../../shared/processing/session-processing.ts';
import { toSyncEvent } from '../../shared/sync/sync-events.ts';
import { fakeProcessor, memoryOutbox, message, org } from './fakes/ports.ts';
import { flushOrg, type FlushDeps } from '../../shared/processing/flush.ts';
import { sampleSession } from '../support/fixtures.ts';

const ORG = '00D5g000000AbCdEAK';
const CASE_ID = '5005g00000XyZ12AAB';

/** What a Glance webhook knows of the session while it runs. */
const webhookSession = sampleSession({ origin: { salesforceOrgId: ORG, recordId: CASE_ID } });
/** What the CRR pull makes of the same session once it ended (crr-session.ts): no origin, inferred site/type, stand-in custom data. */
const pulledSession: GlanceSession = {
  ...webhookSession,
  type: 'C',
  site: 'staging',
  status: 'X',
  endedAt: '2026-11-22T13:40:00Z',
  host: { partnerUserId: null, name: 'Ana Agent', email: null },
  guests: [
    { name: 'Gil Guest', email: 'gil@example.org', phone: '+1 555 0100', joinedAt: '2026-11-22T13:15:02Z' },
    { name: 'Gia Guest', email: null, phone: null, joinedAt: '2026-11-22T13:20:00Z' },
  ],
  origin: null,
  customData: { xid: 'case-00001026', agent_participant_id: '77777777' },
  joinUrl: null,
};

const record = (session: GlanceSession, occurredAt: string) => toGlanceSessionRecord(session, ORG, occurredAt);
const fromWebhook: RecordVersion = { source: 'webhook', firstVersion: false };
const fromPull: RecordVersion = { source: 'sync', firstVersion: false };
/** Salesforce's upsert of an existing record: fields in the body replace, fields left out stay. */
const upsert = (stored: Record<string, unknown>, body: GlanceSessionRecord) => ({ ...stored, ...body });

const WEBHOOK_ONLY = {
  Launched_From_Org_Id__c: ORG,
  Launched_From_Record_Id__c: CASE_ID,
  Launched_From_This_Org__c: true,
  Join_URL__c: 'https://www.glance.net/agentjoin/4821',
  Host_Partner_User_Id__c: 'agent-17',
};

describe('recordUpsertBody: which source writes which field of Glance_Session__c', () => {
  it('has a rule for every field the record builder writes, and none for a field it does not', () => {
    expect(Object.keys(record(webhookSession, '2026-11-22T13:14:05Z')).sort()).toEqual(Object.keys(RECORD_FIELD_KNOWLEDGE).sort());
  });

  it('refuses a field no rule covers, rather than writing it unruled', () => {
    const withNew = { ...record(webhookSession, '2026-11-22T13:14:05Z'), Brand_New__c: 'x' };
    expect(() => recordUpsertBody(withNew, fromWebhook)).toThrow(/Brand_New__c: no rule/);
  });

  it('a later pull leaves the webhook-only fields and the webhook\'s site, type and custom data alone, and never blanks a field', () => {
    const body = recordUpsertBody(record(pulledSession, '2026-11-22T13:40:00Z'), fromPull);
    for (const field of [...Object.keys(WEBHOOK_ONLY), 'Site__c', 'Session_Type__c', 'Custom_Data__c', 'Host_Email__c']) {
      expect(body).not.toHaveProperty(field);
    }
    // What the pull reports as fact and is newer: it wins.
    expect(body).toMatchObject({ Glance_Session_Id__c: webhookSession.id, Status__c: 'X', End_Time__c: '2026-11-22T13:40:00Z', Guest_Count__c: 2, Host_Name__c: 'Ana Agent' });
  });

  it('a pull that is the session\'s first version writes its inferred site, type and custom data, still none of the webhook-only fields', () => {
    const body = recordUpsertBody(record(pulledSession, '2026-11-22T13:40:00Z'), { source: 'sync', firstVersion: true });
    expect(body).toMatchObject({ Site__c: 'staging', Session_Type__c: 'Cobrowse', Custom_Data__c: JSON.stringify(pulledSession.customData) });
    for (const field of Object.keys(WEBHOOK_ONLY)) expect(body).not.toHaveProperty(field);
  });

  it('a guest count of 0 is written on the first version only: a later copy without guests keeps the count another saw', () => {
    const nobody = record({ ...pulledSession, guests: [] }, '2026-11-22T13:40:00Z');
    expect(recordUpsertBody(nobody, { source: 'sync', firstVersion: true })).toMatchObject({ Guest_Count__c: 0 });
    expect(recordUpsertBody(nobody, fromPull)).not.toHaveProperty('Guest_Count__c');
    expect(recordUpsertBody(nobody, fromPull)).not.toHaveProperty('Guest_Names__c');
  });

  it('a pull that does carry an origin (a relay, or a field Glance may document) writes it; one without never writes the checkbox', () => {
    const withOrigin = recordUpsertBody(record({ ...pulledSession, origin: webhookSession.origin }, '2026-11-22T13:40:00Z'), fromPull);
    expect(withOrigin).toMatchObject({ Launched_From_Org_Id__c: ORG, Launched_From_Record_Id__c: CASE_ID, Launched_From_This_Org__c: true });
    expect(withOrigin).not.toHaveProperty('Join_URL__c');
    expect(recordUpsertBody(record(pulledSession, '2026-11-22T13:40:00Z'), fromPull)).not.toHaveProperty('Launched_From_This_Org__c');
  });

  it('a webhook writes the fields only it knows, a null origin included (launched outside Salesforce is a fact), but no blank of a shared field', () => {
    const outside = recordUpsertBody(record({ ...webhookSession, origin: null, customData: {}, host: { ...webhookSession.host, email: null } }, '2026-11-22T13:14:05Z'), fromWebhook);
    expect(outside).toMatchObject({ Launched_From_Org_Id__c: null, Launched_From_Record_Id__c: null, Launched_From_This_Org__c: false, Join_URL__c: webhookSession.joinUrl });
    expect(outside).not.toHaveProperty('End_Time__c'); // still running: null, which must not blank a pulled end time
    expect(outside).not.toHaveProperty('Host_Email__c');
    expect(outside).not.toHaveProperty('Custom_Data__c');
  });

  it('webhook then a later pull: the record keeps the origin, join link, PartnerUserId and custom data, and takes the newer status', () => {
    let stored: Record<string, unknown> = upsert({}, recordUpsertBody(record(webhookSession, '2026-11-22T13:14:05Z'), { source: 'webhook', firstVersion: true }));
    stored = upsert(stored, recordUpsertBody(record(pulledSession, '2026-11-22T13:40:00Z'), fromPull));
    expect(stored).toMatchObject({
      ...WEBHOOK_ONLY,
      Site__c: 'production',
      Session_Type__c: 'Screen Share',
      Custom_Data__c: JSON.stringify(webhookSession.customData),
      Host_Email__c: 'ana@example.com',
      Status__c: 'X',
      End_Time__c: '2026-11-22T13:40:00Z',
      Guest_Count__c: 2,
    });
  });

  it('pull then a webhook: the webhook fills the origin fields and keeps what the pull alone knew', () => {
    let stored: Record<string, unknown> = upsert({}, recordUpsertBody(record(pulledSession, '2026-11-22T13:40:00Z'), { source: 'sync', firstVersion: true }));
    expect(stored).not.toHaveProperty('Launched_From_Org_Id__c');
    const ended = { ...webhookSession, status: 'C', endedAt: '2026-11-22T13:40:00Z', host: { ...webhookSession.host, name: null } };
    stored = upsert(stored, recordUpsertBody(record(ended, '2026-11-22T13:40:01Z'), fromWebhook));
    expect(stored).toMatchObject({ ...WEBHOOK_ONLY, Status__c: 'C', Site__c: 'production', Session_Type__c: 'Screen Share', Host_Name__c: 'Ana Agent', Custom_Data__c: JSON.stringify(webhookSession.customData) });
  });
});

describe('mergeSessionVersions: two versions of one session that met', () => {
  it('a newer pull over a webhook: the webhook\'s origin, link, PartnerUserId, site and type; the pull\'s status, end and guests; blanks filled from the older', () => {
    const merged = mergeSessionVersions({ source: 'webhook', session: webhookSession }, { source: 'sync', session: pulledSession });
    expect(merged).toMatchObject({
      origin: webhookSession.origin,
      joinUrl: webhookSession.joinUrl,
      site: 'production',
      type: 'G',
      status: 'X',
      endedAt: '2026-11-22T13:40:00Z',
      host: { partnerUserId: 'agent-17', name: 'Ana Agent', email: 'ana@example.com' },
      guests: pulledSession.guests,
    });
    // Both kinds of custom data, the customer's winning a clash.
    expect(merged.customData).toEqual({ xid: 'case-00001026', agent_participant_id: '77777777', user_email: 'gil@example.org' });
  });

  it('a newer webhook over a pull: the webhook\'s own values, the pull\'s guests where the webhook has none', () => {
    const ended = { ...webhookSession, status: 'C', endedAt: '2026-11-22T13:40:00Z', guests: [], customData: { user_email: 'x@example.org', xid: 'mine' } };
    const merged = mergeSessionVersions({ source: 'sync', session: pulledSession }, { source: 'webhook', session: ended });
    expect(merged).toMatchObject({ status: 'C', origin: webhookSession.origin, type: 'G', site: 'production', guests: pulledSession.guests });
    expect(merged.customData).toEqual({ xid: 'mine', agent_participant_id: '77777777', user_email: 'x@example.org' });
  });

  it('two webhooks: the newer wins, an empty value of the newer does not blank the older', () => {
    const newer = { ...webhookSession, status: 'C', endedAt: '2026-11-22T13:40:00Z', customData: {}, host: { ...webhookSession.host, email: null } };
    const merged = mergeSessionVersions({ source: 'webhook', session: webhookSession }, { source: 'webhook', session: newer });
    expect(merged).toMatchObject({ status: 'C', customData: webhookSession.customData, host: { email: 'ana@example.com' } });
  });

  it('refuses to merge two different sessions', () => {
    expect(() => mergeSessionVersions({ source: 'webhook', session: webhookSession }, { source: 'sync', session: { ...pulledSession, id: 'other' } })).toThrow(/two sessions/);
  });
});

describe('the processor with two sources of one session (in-memory ports)', () => {
  const webhookStarted = (): SessionEvent => ({ eventId: `wh-${++seq}`, source: 'webhook', type: 'session.started', occurredAt: '2026-11-22T13:14:05Z', session: webhookSession });
  const pulled = (): SessionEvent => toSyncEvent(pulledSession);
  let seq = 0;

  it('a webhook and a later pull in one batch: the record is written once, with the webhook\'s origin and Case and the pull\'s end, even where only sessions launched here are logged', async () => {
    const p = fakeProcessor([org(ORG, { logSessionsStartedOutside: false })]);
    p.salesforce(ORG).add('Case', { Id: CASE_ID });
    const outcome = await processSessionBatch([message(pulled()), message(webhookStarted())], p.deps);
    expect(outcome.counts).toMatchObject({ applied: 1, skippedOrgs: 0, deadLettered: 0 });
    const rows = p.salesforce(ORG).rows('Glance_Session__c');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ...WEBHOOK_ONLY, Case__c: CASE_ID, Status__c: 'X', End_Time__c: '2026-11-22T13:40:00.000Z', Session_Type__c: 'Screen Share', Guest_Count__c: 2 });
  });

  it('a webhook, then a pull in a later batch: the pull updates the status and leaves the webhook\'s fields', async () => {
    const p = fakeProcessor([org(ORG, { logSessionsStartedOutside: true, debugMode: true })]);
    await processSessionBatch([message(webhookStarted())], p.deps);
    const later = await processSessionBatch([message(pulled())], p.deps);
    expect(later.counts).toMatchObject({ applied: 1 });
    const [row] = p.salesforce(ORG).rows('Glance_Session__c');
    expect(row).toMatchObject({ ...WEBHOOK_ONLY, Status__c: 'X', Site__c: 'production', Custom_Data__c: JSON.stringify(webhookSession.customData), Host_Email__c: 'ana@example.com' });
    // Debug Mode says why the pull's own site, type and custom data were not written.
    expect(p.traces.all.at(-1)!.values).toContain("Site__c, Session_Type__c, Custom_Data__c not written: a pulled copy's inferred values never replace what a webhook of the session set");
  });

  it('an org that failed the merged version is retried with it: the share carries the webhook\'s origin', async () => {
    const SANDBOX = '00D5g000000SbXyEAK';
    const p = fakeProcessor([org(ORG, { logSessionsStartedOutside: true }), org(SANDBOX, { logSessionsStartedOutside: true })]);
    p.salesforce(SANDBOX).failCalls('upsert', 'UNABLE_TO_LOCK_ROW', 1);
    await processSessionBatch([message(pulled()), message(webhookStarted())], p.deps);
    expect(p.requeued).toHaveLength(1);
    const share = p.requeued[0]!.event;
    expect(share).toMatchObject({ onlyOrgId: SANDBOX, source: 'webhook', session: { origin: webhookSession.origin, status: 'X', joinUrl: webhookSession.joinUrl } });

    await processSessionBatch([message(share)], p.deps);
    expect(p.salesforce(SANDBOX).rows('Glance_Session__c')).toEqual([
      expect.objectContaining({ Launched_From_Org_Id__c: ORG, Launched_From_This_Org__c: false, Join_URL__c: webhookSession.joinUrl, Status__c: 'X', Site__c: 'production', Session_Type__c: 'Screen Share' }),
    ]);
  });

  it('a pull-only session whose first write failed in one org is retried there as the first version: site, type and custom data written', async () => {
    const SANDBOX = '00D5g000000SbXyEAK';
    const p = fakeProcessor([org(ORG, { logSessionsStartedOutside: true, sites: ['production', 'staging'] }), org(SANDBOX, { logSessionsStartedOutside: true, sites: ['production', 'staging'] })]);
    p.salesforce(SANDBOX).failCalls('upsert', 'UNABLE_TO_LOCK_ROW', 1);
    await processSessionBatch([message(pulled())], p.deps);
    const share = p.requeued[0]!.event;
    expect(share).toMatchObject({ onlyOrgId: SANDBOX, source: 'sync', firstVersion: true });
    await processSessionBatch([message(share)], p.deps);
    for (const orgId of [ORG, SANDBOX]) {
      expect(p.salesforce(orgId).rows('Glance_Session__c')).toEqual([
        expect.objectContaining({ Site__c: 'staging', Session_Type__c: 'Cobrowse', Custom_Data__c: JSON.stringify(pulledSession.customData), Status__c: 'X' }),
      ]);
    }
  });

  it('with the outbox: a pull that replaces a waiting webhook version before the flush carries the webhook\'s fields into the write', async () => {
    const o = org(ORG, { logSessionsStartedOutside: true });
    const p = fakeProcessor([o]);
    const outbox = memoryOutbox();
    const flush: FlushDeps = { ...p.deps, outbox, policy: { recordBudgetMs: 300_000, flushRecords: 1000 }, getOrg: async (id) => (id === ORG ? o : null), flushLeaseMs: 300_000, deadline: () => Number.MAX_SAFE_INTEGER };
    const deps = { ...p.deps, outboxFlush: flush };
    await processSessionBatch([message(webhookStarted())], deps);
    await processSessionBatch([message(pulled())], deps);
    expect(p.salesforce(ORG).rows('Glance_Session__c')).toHaveLength(0);
    await flushOrg(ORG, flush);
    expect(p.salesforce(ORG).rows('Glance_Session__c')).toEqual([
      expect.objectContaining({ ...WEBHOOK_ONLY, Status__c: 'X', Site__c: 'production', Session_Type__c: 'Screen Share', Custom_Data__c: expect.stringContaining('user_email') }),
    ]);
  });
});
