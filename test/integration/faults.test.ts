import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCampaign } from '../../faults/campaign.ts';
import { formatReport } from '../../faults/report.ts';
import { crashAtOp, type CrashPlan, type Observer } from '../../faults/crash.ts';
import { LEASE_MS, lambdaContainer, registerOrgs, startFaultEnv, type FaultEnv } from '../../faults/env.ts';
import { invoke, queueDepth, receiveBatch, settle } from '../../faults/lambda.ts';
import { CAMPAIGN_ORGS, OTHER_GROUP, SHARED_GROUP } from '../../faults/model.ts';
import { salesforceId } from '../../local/glance-sim/sample-sessions.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import type { SessionEvent } from '../../shared/session.ts';
import type { ProcessorDeps } from '../../shared/processing/session-processing.ts';

describe('fault campaign at test size', () => {
  it('meets the bar: every session recorded once where it belongs, one Lead per new email, one post per started session, only bad inputs dead-lettered', async () => {
    // Small (the full size is npm run faults), with an org down for 2 simulated hours across the waves.
    // One of the two containers is the real bundled handler in its own process, SIGKILLed at seeded writes.
    const result = await runCampaign({ seed: 20261122, events: 100, outageHours: 2, killRate: 0.5, wallClockMs: 1_800_000 }); // a net for a hang; the campaign ends by its rounds
    const report = formatReport(result);
    expect(result.verdict.failures, report).toEqual([]);
    expect(result.stats.finished).toBe(true);
    // The campaign is only a proof if the adversity actually happened.
    expect(result.stats.sent.duplicate + result.stats.sent.resend + result.stats.sent['late-resend']).toBeGreaterThan(30);
    expect(Object.values(result.stats.crashes).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Process-level kills happened, the killed process was replaced by a cold one, and two processors worked the queue at once.
    expect(Object.values(result.stats.kills).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(result.stats.processStarts).toBeGreaterThan(1);
    expect(result.stats.processInvocations).toBeGreaterThan(0);
    expect(result.stats.concurrentRounds).toBeGreaterThan(0);
    // Shares waited in org outboxes and the flusher (a real process too) wrote them; nothing is left waiting.
    expect(result.stats.sweeps).toBeGreaterThan(0);
    expect(result.stats.sweptRecords).toBeGreaterThan(0);
    expect(result.verdict.leftInOutboxes).toBe(0);
    expect(Object.values(result.stats.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(result.verdict.rows.reduce((n, r) => n + r.postsExpected, 0)).toBeGreaterThan(0);
    expect(result.verdict.rows.reduce((n, r) => n + r.leadsExpected, 0)).toBeGreaterThan(0);
    // The org was down for its full two hours while its shares waited (in its outbox), was paused
    // rather than dead-lettered, and leases outlived visibility.
    expect(result.stats.outage).toMatchObject({ hours: 2, ranItsHours: true });
    expect(Object.values(result.stats.pauses).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(result.stats.busyClaims).toBeGreaterThan(0);
  }, 2_000_000);
});

describe('the crash injector hits the points that would double a Lead or a post', () => {
  const org = { ...CAMPAIGN_ORGS[0]!, groups: [SHARED_GROUP] };
  let env: FaultEnv;
  beforeAll(async () => {
    env = await startFaultEnv();
    await registerOrgs(env, [org]);
  });
  afterAll(async () => {
    await env?.stop();
  });

  const queueUrl = () => env.resources.eventsQueueUrl;
  const count = (sobject: string) => env.sim.records(org.orgId, sobject).length;
  const caseId = salesforceId('500', () => 0.5);
  const startedEvent = (n: number): SessionEvent => ({
    eventId: `wh_crash_${n}`,
    source: 'webhook',
    type: 'session.started',
    occurredAt: '2026-11-22T13:14:05Z',
    session: {
      id: `${SHARED_GROUP}.4821.${n}`,
      sessionKey: '4821',
      groupId: SHARED_GROUP,
      site: 'production',
      type: 'G',
      status: 'A',
      startedAt: '2026-11-22T13:14:00Z',
      endedAt: null,
      host: { partnerUserId: 'agent-1', name: 'Ana Agent', email: 'ana@example.com' },
      guests: [{ name: 'Nora New', email: `Nora${n}@Example.net`, phone: null, joinedAt: '2026-11-22T13:14:30Z' }],
      origin: { salesforceOrgId: org.orgId, recordId: caseId },
      customData: {},
      joinUrl: 'https://www.glance.net/agentjoin/4821',
    },
  });
  /** One delivery by a fresh container (a dead Lambda's warm state does not survive it), then the visibility timeout passes. */
  const deliver = async (plan: CrashPlan | null, observer: Observer = {}, deps: ProcessorDeps = lambdaContainer(env)) => {
    const messages = await receiveBatch(queueUrl(), 10);
    expect(messages).toHaveLength(1);
    const result = await invoke(messages, deps, plan, observer);
    await settle(queueUrl(), messages, result);
    env.clock.advance(LEASE_MS + 1_000);
    return result;
  };
  const posts = (sessionId: string) => env.sim.records(org.orgId, 'FeedItem').filter((p) => String(p.Body).includes(`[Glance session ${sessionId}]`));

  it('dies just after the Lead upsert, then just after the Chatter post; the redeliveries leave one Lead and one post', async () => {
    env.sim.seed(org.orgId, 'Case', { Id: caseId, Subject: 'Printer on fire' });
    const event = startedEvent(1);
    await sqsEventsQueue(queueUrl()).send(event);

    const first = await deliver(crashAtOp('sf upsert Lead', 'after'));
    expect(first).toMatchObject({ crashed: true, point: 'after sf upsert Lead' });
    expect([count('Lead'), count('Glance_Session__c'), count('FeedItem')]).toEqual([1, 0, 0]);

    const second = await deliver(crashAtOp('sf postChatter', 'after'));
    expect(second).toMatchObject({ crashed: true, point: 'after sf postChatter' });
    // The post went through and its claim was never completed: a naive retry would post again.
    expect([count('Lead'), count('Glance_Session__c'), count('FeedItem')]).toEqual([1, 1, 1]);

    const recovered: string[] = [];
    const third = await deliver(null, { recoveredClaim: (key) => recovered.push(key) });
    expect(third.crashed).toBe(false);
    expect(recovered).toContain(`CHATTER#${org.orgId}#${event.session.id}`);

    // And a late duplicate of the same webhook changes nothing.
    await sqsEventsQueue(queueUrl()).send(event);
    expect((await deliver(null)).crashed).toBe(false);

    expect(env.sim.records(org.orgId, 'Lead').map((l) => String(l.Email))).toEqual(['nora1@example.net']); // Salesforce stores email fields lower-cased
    expect(posts(event.session.id)).toEqual([expect.objectContaining({ ParentId: caseId })]);
    expect(count('Glance_Session__c')).toBe(1);
    expect(await queueDepth(queueUrl())).toBe(0);
    expect(await queueDepth(env.resources.eventsDlqUrl)).toBe(0);
  });

  it('DUPLICATE_VALUE from a concurrent create is retried as the update it is: one Lead, one session, nothing dead-lettered', async () => {
    const event = startedEvent(3);
    env.sim.injectFault({ orgId: org.orgId, fault: 'DUPLICATE_VALUE', pathIncludes: '/composite/sobjects/Lead', times: 1 });
    env.sim.injectFault({ orgId: org.orgId, fault: 'DUPLICATE_VALUE', pathIncludes: '/composite/sobjects/Glance_Session__c', times: 1 });
    await sqsEventsQueue(queueUrl()).send(event);
    const result = await deliver(null);
    expect(result).toMatchObject({ crashed: false, retry: new Set() });
    expect(env.sim.pendingFaults().filter((f) => f.fault === 'DUPLICATE_VALUE')).toEqual([]);
    expect(env.sim.records(org.orgId, 'Lead').filter((l) => l.Email === 'nora3@example.net')).toHaveLength(1); // Salesforce stores email fields lower-cased
    expect(env.sim.records(org.orgId, 'Glance_Session__c').filter((r) => r.Glance_Session_Id__c === event.session.id)).toHaveLength(1);
    expect(await queueDepth(env.resources.eventsDlqUrl)).toBe(0);
  }, 120_000);

  it('a post whose first try failed is still made when the session has ended by the retry, once', async () => {
    const started = startedEvent(4);
    env.sim.injectFault({ orgId: org.orgId, fault: 'SERVICE_UNAVAILABLE', pathIncludes: '/chatter/', times: 3 });
    await sqsEventsQueue(queueUrl()).send(started);
    expect((await deliver(null)).crashed).toBe(false);
    expect(posts(started.session.id)).toEqual([]);
    // The session ends before the retry comes: the ended version overtakes the started one.
    const ended: SessionEvent = { ...started, eventId: 'wh_crash_4_end', type: 'session.ended', occurredAt: '2026-11-22T13:30:00Z', session: { ...started.session, status: 'C', endedAt: '2026-11-22T13:29:00Z' } };
    await sqsEventsQueue(queueUrl()).send(ended);
    // Whatever is on the queue (the started version's retry) is delivered too, then nothing changes.
    for (let i = 0; i < 5 && (await queueDepth(queueUrl())) > 0; i++) {
      const messages = await receiveBatch(queueUrl(), 10);
      for (const m of messages) env.clock.advanceTo(env.dueAt.get(JSON.parse(m.Body!).eventId) ?? 0);
      await settle(queueUrl(), messages, await invoke(messages, lambdaContainer(env), null));
      env.clock.advance(LEASE_MS + 1_000);
    }
    expect(posts(started.session.id)).toEqual([expect.objectContaining({ ParentId: caseId })]);
    expect(await queueDepth(env.resources.eventsDlqUrl)).toBe(0);
  }, 120_000);

  it('the same crash against a processor that forgets a claim was recovered posts twice: the point is a real hazard', async () => {
    const event = startedEvent(2);
    await sqsEventsQueue(queueUrl()).send(event);
    expect(await deliver(crashAtOp('sf postChatter', 'after'))).toMatchObject({ crashed: true });
    const naive = lambdaContainer(env);
    const ledger = naive.ledger;
    naive.ledger = { ...ledger, claimEffect: async (key, ms) => ({ ...(await ledger.claimEffect(key, ms)), recovered: false }) };
    expect((await deliver(null, {}, naive)).crashed).toBe(false);
    expect(posts(event.session.id)).toHaveLength(2);
  });
});

describe('shares of one session split off for different orgs', () => {
  // Two orgs of one group, each taking the session: prod-2 logs sessions from outside, prod-3 launched it.
  const orgs = [
    { ...CAMPAIGN_ORGS[2]!, groups: [OTHER_GROUP] },
    { ...CAMPAIGN_ORGS[3]!, groups: [OTHER_GROUP] },
  ];
  let env: FaultEnv;
  beforeAll(async () => {
    env = await startFaultEnv();
    await registerOrgs(env, orgs);
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('arriving in one batch, both are written: neither is acknowledged as the other’s duplicate', async () => {
    const session: SessionEvent['session'] = {
      id: `${OTHER_GROUP}.77.1`,
      sessionKey: '77',
      groupId: OTHER_GROUP,
      site: 'production',
      type: 'C',
      status: 'C',
      startedAt: '2026-11-22T13:14:00Z',
      endedAt: '2026-11-22T13:40:00Z',
      host: { partnerUserId: 'agent-1', name: 'Ana Agent', email: 'ana@example.com' },
      guests: [],
      origin: { salesforceOrgId: orgs[1]!.orgId, recordId: null },
      customData: {},
      joinUrl: null,
    };
    const share = (org: (typeof orgs)[number]): SessionEvent => ({
      eventId: `wh_split|org:${org.orgId}|1`,
      source: 'webhook',
      type: 'session.ended',
      occurredAt: '2026-11-22T13:40:05Z',
      session,
      onlyOrgId: org.orgId,
      attempt: 1,
    });
    await sqsEventsQueue(env.resources.eventsQueueUrl).sendMany(orgs.map(share));
    const messages = await receiveBatch(env.resources.eventsQueueUrl, 10);
    expect(messages).toHaveLength(2);
    const result = await invoke(messages, lambdaContainer(env), null);
    await settle(env.resources.eventsQueueUrl, messages, result);
    for (const org of orgs) expect(env.sim.records(org.orgId, 'Glance_Session__c').map((r) => r.Glance_Session_Id__c)).toEqual([session.id]);
  });
});
