import { describe, expect, it } from 'vitest';
import { processSessionBatch } from '../../shared/processing/session-processing.ts';
import { applyOrgBatch } from '../../shared/processing/org-batch.ts';
import type { GlanceSession, SessionEvent } from '../../shared/session.ts';
import { silentLog } from '../../shared/log.ts';
import { sampleSession } from '../support/fixtures.ts';
import { noRunEffects, type RunEffects } from '../../shared/sync/run-effects.ts';
import { fakeProcessor, fakeSalesforce, memoryLedger, manualClock, message, org } from './fakes/ports.ts';

const PROD = '00D5g000000AbCdEAK';
const SANDBOX = '00D5g000000SbXyEAK';
const CASE_ID = '5005g00000XyZ12AAB';

let eventSeq = 0;
function event(session: Partial<GlanceSession> = {}, extra: Partial<SessionEvent> = {}): SessionEvent {
  return { eventId: `evt-${++eventSeq}`, source: 'webhook', type: 'session.started', occurredAt: '2026-11-22T13:14:05Z', session: sampleSession(session), ...extra };
}
const fromCase = { origin: { salesforceOrgId: PROD, recordId: CASE_ID } };

describe('processSessionBatch', () => {
  it('records a session in the org it was launched from and not in a paired sandbox that logs only its own', async () => {
    const p = fakeProcessor([org(PROD), org(SANDBOX)]);
    const outcome = await processSessionBatch([message(event(fromCase))], p.deps);
    expect(outcome.retry).toEqual([]);
    expect(outcome.counts).toMatchObject({ applied: 1, skippedOrgs: 1, deadLettered: 0 });
    expect(p.salesforce(PROD).rows('Glance_Session__c')).toEqual([
      expect.objectContaining({ Glance_Session_Id__c: '12345.4821.918273', Case__c: CASE_ID, Launched_From_This_Org__c: true }),
    ]);
    expect(p.salesforce(SANDBOX).rows('Glance_Session__c')).toEqual([]);
  });

  it('acknowledges a redelivered event without writing again', async () => {
    const p = fakeProcessor([org(PROD)]);
    const e = event(fromCase);
    await processSessionBatch([message(e)], p.deps);
    const calls = p.salesforce(PROD).calls.length;
    const again = await processSessionBatch([message(e, 2)], p.deps);
    expect(again.counts).toMatchObject({ duplicate: 1, applied: 0 });
    expect(p.salesforce(PROD).calls).toHaveLength(calls);
  });

  it('keeps the newer status when an older event arrives late, in the same batch or after', async () => {
    const p = fakeProcessor([org(PROD)]);
    const ended = event({ ...fromCase, status: 'C', endedAt: '2026-11-22T13:40:00Z' }, { type: 'session.ended', occurredAt: '2026-11-22T13:40:00Z' });
    const started = event(fromCase);
    const first = await processSessionBatch([message(ended), message(started)], p.deps);
    expect(first.counts).toMatchObject({ applied: 1 });
    const late = await processSessionBatch([message(event(fromCase, { occurredAt: '2026-11-22T13:20:00Z' }))], p.deps);
    expect(late.counts).toMatchObject({ stale: 1, applied: 0 });
    expect(p.salesforce(PROD).rows('Glance_Session__c').map((r) => r.Status__c)).toEqual(['C']);
  });

  it('makes one Lead per new guest email across the batch, none when a Lead has that email in any case', async () => {
    const p = fakeProcessor([org(PROD, { createLeadsForGuests: 'new_email' })]);
    p.salesforce(PROD).add('Lead', { Email: 'Known@Example.org', LastName: 'Known' });
    const guests = (email: string) => [{ name: 'Gil Guest', email, phone: null, joinedAt: '2026-11-22T13:15:02Z' }];
    await processSessionBatch(
      [
        message(event({ ...fromCase, id: '1.1.1', guests: guests('new@example.org') })),
        message(event({ ...fromCase, id: '1.1.2', guests: guests('NEW@example.org') })),
        message(event({ ...fromCase, id: '1.1.3', guests: guests('known@example.org') })),
      ],
      p.deps,
    );
    expect(p.salesforce(PROD).rows('Lead').map((l) => l.Email)).toEqual(['Known@Example.org', 'new@example.org']);
  });

  it('posts to Chatter once per session, however often its events arrive', async () => {
    const p = fakeProcessor([org(PROD, { chatterOnSessionStart: true })]);
    await processSessionBatch([message(event(fromCase))], p.deps);
    await processSessionBatch([message(event(fromCase, { type: 'session.updated', occurredAt: '2026-11-22T13:16:00Z' }))], p.deps);
    expect(p.salesforce(PROD).rows('FeedItem')).toEqual([expect.objectContaining({ ParentId: CASE_ID, Body: expect.stringContaining('[Glance session 12345.4821.918273]') })]);
  });

  it('after an attempt died between posting and recording it, finds the post instead of posting again', async () => {
    const p = fakeProcessor([org(PROD, { chatterOnSessionStart: true })]);
    const sf = p.salesforce(PROD);
    // What the dead attempt left: its post on the feed and its claim, still in progress.
    sf.add('FeedItem', { ParentId: CASE_ID, Body: 'Ana Agent started … [Glance session 12345.4821.918273]' });
    await p.ledger.claimEffect(`CHATTER#${PROD}#12345.4821.918273`, 60_000);
    p.clock.advance(61_000);
    const outcome = await processSessionBatch([message(event(fromCase))], p.deps);
    expect(outcome.counts.applied).toBe(1);
    expect(sf.rows('FeedItem')).toHaveLength(1);
    expect(sf.calls.filter((c) => c.startsWith('chatter'))).toEqual([]);
  });

  it('dead-letters only the org that refused the session; the other org keeps it and is not written again', async () => {
    const p = fakeProcessor([org(PROD), org(SANDBOX, { logSessionsStartedOutside: true })]);
    p.salesforce(SANDBOX).refuse((sobject) => (sobject === 'Glance_Session__c' ? 'FIELD_CUSTOM_VALIDATION_EXCEPTION' : null));
    const outcome = await processSessionBatch([message(event(fromCase))], p.deps);
    expect(outcome.retry).toEqual([]);
    expect(p.deadLetters).toEqual([
      {
        message: expect.objectContaining({ body: expect.stringContaining(`"onlyOrgId":"${SANDBOX}"`) }),
        reason: expect.objectContaining({ orgIds: [SANDBOX], reason: expect.stringContaining('FIELD_CUSTOM_VALIDATION_EXCEPTION') }),
      },
    ]);
    expect(p.salesforce(PROD).rows('Glance_Session__c')).toHaveLength(1);
  });

  it('hands the message back to SQS when every org failed for a passing reason', async () => {
    const p = fakeProcessor([org(PROD)]);
    p.salesforce(PROD).failCalls('upsert', 'SERVER_UNAVAILABLE');
    const m = message(event(fromCase));
    const outcome = await processSessionBatch([m], p.deps);
    expect(outcome.retry).toEqual([m.messageId]);
    expect(p.deadLetters).toEqual([]);
  });

  it('dead-letters a message that is not a session event, naming the field, and goes on with the rest', async () => {
    const p = fakeProcessor([org(PROD)]);
    const bad = event(fromCase) as unknown as Record<string, unknown>;
    delete bad.occurredAt;
    const outcome = await processSessionBatch([message('not json'), message(JSON.stringify(bad)), message(event(fromCase))], p.deps);
    expect(p.deadLetters.map((d) => d.reason.reason)).toEqual(['message body is not JSON', expect.stringContaining('occurredAt')]);
    expect(outcome.counts).toMatchObject({ deadLettered: 2, applied: 1 });
  });

  it('pauses an org near its daily API allowance; its next sessions wait on the queue instead of failing', async () => {
    const p = fakeProcessor([org(PROD)]);
    p.salesforce(PROD).usage = { used: 95_000, limit: 100_000 };
    await processSessionBatch([message(event(fromCase))], p.deps);
    expect(p.pauses.paused.get(PROD)?.reason).toMatch(/95%|allowance|95000/);
    const next = await processSessionBatch([message(event({ ...fromCase, id: '1.2.3' }))], p.deps);
    expect(next.counts).toMatchObject({ deferred: 1, deadLettered: 0 });
    expect(p.requeued).toEqual([{ event: expect.objectContaining({ onlyOrgId: PROD }), delaySeconds: 900 }]);
    expect(p.salesforce(PROD).rows('Glance_Session__c')).toHaveLength(1);
  });
});

describe('what a sync run brought into its org', () => {
  const RUN = { orgId: PROD, runId: 'run-1' };
  function counting() {
    const added: Array<{ orgId: string; runId: string; effects: RunEffects }> = [];
    return { added, writer: { add: async (orgId: string, runId: string, effects: RunEffects) => void added.push({ orgId, runId, effects: { ...effects } }) } };
  }
  const sum = (list: Array<{ effects: RunEffects }>) =>
    list.reduce((a, { effects }) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v + effects[k as keyof RunEffects]])) as unknown as RunEffects, noRunEffects());

  it("counts each event once for the run that queued it, in the run's org only: written, superseded, duplicate, failed", async () => {
    const c = counting();
    const p = fakeProcessor([org(PROD, { createLeadsForGuests: 'new_email', chatterOnSessionStart: true }), org(SANDBOX, { logSessionsStartedOutside: true })], { runEffects: c.writer });
    p.salesforce(SANDBOX).refuse((sobject) => (sobject === 'Glance_Session__c' ? 'FIELD_CUSTOM_VALIDATION_EXCEPTION' : null));
    const older = event({ ...fromCase, id: '1.2.1' }, { source: 'sync', syncRun: RUN, occurredAt: '2026-11-22T13:14:05Z' });
    const newer = event({ ...fromCase, id: '1.2.1' }, { source: 'sync', syncRun: RUN, type: 'session.updated', occurredAt: '2026-11-22T13:15:05Z' });
    const webhook = event({ ...fromCase, id: '1.2.2' });
    await processSessionBatch([message(older), message(newer), message(webhook)], p.deps);
    // The sandbox's refusal is dead-lettered alone and not counted for the production org's run.
    expect(p.deadLetters).toHaveLength(2);
    expect(p.deadLetters.every((d) => !d.message.body.includes('syncRun'))).toBe(true);
    await processSessionBatch([message(newer, 2)], p.deps);
    expect(c.added.every((a) => a.orgId === PROD && a.runId === 'run-1')).toBe(true);
    expect(sum(c.added)).toEqual({ ...noRunEffects(), processed: 3, recordsCreated: 1, leadsCreated: 1, chatterPosts: 1, unchanged: 2 });
  });

  it("counts a session the run's org refused as failed, and one retried for it only when it settles", async () => {
    const c = counting();
    const p = fakeProcessor([org(PROD)], { runEffects: c.writer });
    p.salesforce(PROD).failCalls('upsert', 'SERVER_UNAVAILABLE', 1);
    const e = event(fromCase, { source: 'sync', syncRun: RUN });
    const first = await processSessionBatch([message(e)], p.deps);
    expect(first.retry).toHaveLength(1);
    expect(c.added).toEqual([]);
    p.salesforce(PROD).refuse((sobject) => (sobject === 'Glance_Session__c' ? 'FIELD_CUSTOM_VALIDATION_EXCEPTION' : null));
    await processSessionBatch([message(e, 2)], p.deps);
    expect(sum(c.added)).toEqual({ ...noRunEffects(), processed: 1, failed: 1 });
  });
});

describe('applyOrgBatch', () => {
  const deps = () => ({ ledger: memoryLedger(manualClock().now), log: silentLog, chatterLeaseMs: 60_000 });
  const item = (session: Partial<GlanceSession>, launchedHere = false) => ({
    event: event(session),
    occurredAt: '2026-11-22T13:14:05.000Z',
    launchedHere,
    routeReason: 'test',
  });

  it('relates a session launched outside Salesforce by the record mapping, with one query for the batch', async () => {
    const sf = fakeSalesforce();
    const contact = sf.add('Contact', { Email: 'gil@example.org' });
    const o = org(PROD, { recordMapping: { Contact: { Email: 'user_email' } }, logSessionsStartedOutside: true });
    const { outcomes } = await applyOrgBatch(o, [item({ id: '1.1.1' }), item({ id: '1.1.2', customData: { user_email: 'GIL@example.org' } })], sf, deps());
    expect(outcomes).toEqual([expect.objectContaining({ kind: 'ok' }), expect.objectContaining({ kind: 'ok' })]);
    expect(sf.rows('Glance_Session__c').map((r) => r.Contact__c)).toEqual([contact, contact]);
    expect(sf.calls.filter((c) => c.includes('FROM Contact'))).toHaveLength(1);
  });

  it('with Debug Mode on, traces why each session was or was not related and what happened to its guests', async () => {
    const sf = fakeSalesforce();
    const o = org(PROD, { debugMode: true, createLeadsForGuests: 'new_email' });
    const { traces } = await applyOrgBatch(o, [item(fromCase, true)], sf, deps());
    expect(traces).toEqual([
      expect.objectContaining({
        orgId: PROD,
        recorded: true,
        link: `related to Case ${CASE_ID} (launched from Case ${CASE_ID})`,
        leads: [expect.stringMatching(/^guest 1: Lead 00Q\w+ created$/)],
        outcome: 'recorded',
      }),
    ]);
  });

  it('a refused record fails alone; its neighbours are recorded', async () => {
    const sf = fakeSalesforce();
    sf.refuse((sobject, r) => (sobject === 'Glance_Session__c' && r.Glance_Session_Id__c === '1.1.2' ? 'STRING_TOO_LONG' : null));
    const { outcomes } = await applyOrgBatch(org(PROD), [item({ id: '1.1.1' }), item({ id: '1.1.2' }), item({ id: '1.1.3' })], sf, deps());
    expect(outcomes.map((o) => o.kind)).toEqual(['ok', 'permanent', 'ok']);
    expect(sf.rows('Glance_Session__c').map((r) => r.Glance_Session_Id__c)).toEqual(['1.1.1', '1.1.3']);
  });
});

describe('planLeads: the Lead queries of a batch with many guest emails', () => {
  const deps = () => ({ ledger: memoryLedger(manualClock().now), log: silentLog, chatterLeaseMs: 60_000 });
  const guests = (from: number) => Array.from({ length: 400 }, (_, i) => ({ name: `Guest ${from + i}`, email: `guest${from + i}@example.org`, phone: null, joinedAt: '2026-11-22T13:15:02Z' }));
  const items = () =>
    [0, 400, 800].map((from, k) => ({ event: event({ id: `1.1.${k + 1}`, guests: guests(from) }), occurredAt: '2026-11-22T13:14:05.000Z', launchedHere: false, routeReason: 'test' }));
  const o = org(PROD, { createLeadsForGuests: 'new_email', debugMode: true });
  const seeded = () => {
    const sf = fakeSalesforce();
    for (let i = 0; i < 1200; i += 7) sf.add('Lead', { Email: `guest${i}@example.org` });
    return sf;
  };
  const leadQueries = (calls: string[]) => calls.filter((c) => c.includes('FROM Lead WHERE Email IN'));
  const leadEmails = (sf: ReturnType<typeof fakeSalesforce>) => sf.rows('Lead').map((r) => String(r.Email)).sort();

  it('without queryAll, one query per IN chunk; with it, all chunks handed over at once; the same Leads either way', async () => {
    const plain = seeded();
    await applyOrgBatch(o, items(), plain, deps());
    const chunks = leadQueries(plain.calls).length;
    expect(chunks).toBeGreaterThan(1);

    const together = seeded();
    const groups: string[][] = [];
    const withQueryAll = Object.assign(Object.create(null) as object, together, {
      async queryAll<T extends Record<string, unknown>>(soqls: string[]): Promise<T[][]> {
        groups.push(soqls);
        const out: T[][] = [];
        for (const soql of soqls) out.push(await together.query<T>(soql));
        return out;
      },
    }) as typeof together;
    const { traces } = await applyOrgBatch(o, items(), withQueryAll, deps());
    expect(groups.map((g) => g.length)).toEqual([chunks]);
    expect(groups[0]).toEqual(leadQueries(plain.calls));
    expect(leadEmails(together)).toEqual(leadEmails(plain));
    expect(leadEmails(together)).toHaveLength(1200);
    // 1,200 guests, every 7th already a Lead: one Lead made per other guest, none for those.
    expect(together.rows('Lead').filter((r) => r.Glance_Guest_Key__c)).toHaveLength(1200 - Math.ceil(1200 / 7));
    expect(traces[0]!.salesforceCalls).toContain(`queries together: ${chunks} Lead (Composite, up to 5 a call)`);
  });
});
