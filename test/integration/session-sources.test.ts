import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingest } from '../../functions/webhook-ingest/handler.ts';
import { flushOutboxes } from '../../functions/outbox-flusher/handler.ts';
import { exportResourceEnv } from '../../local/aws-resources.ts';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { runSyncRequests } from '../../functions/sync-run/handler.ts';
import { syncNow } from '../../functions/sync-now/handler.ts';
import { startLocalHttpApi } from '../../local/http-api.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { startGlanceSim, type GlanceSim } from '../../local/glance-sim/index.ts';
import { makeSession } from '../../local/glance-sim/sample-sessions.ts';
import { sendWebhook } from '../../local/glance-sim/webhook-sender.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { ENV } from '../../shared/config.ts';
import type { GlanceSession, WebhookEvent } from '../../shared/session.ts';
import { DEMO_GROUP, PROD_ORG } from '../support/fixtures.ts';
import { startTestPipeline, WEBHOOK_SECRET, type TestPipeline } from '../support/pipeline.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

/**
 * One session reaching us both ways (session-sources.ts): a signed webhook over HTTP, and the
 * scheduled pull through Glance's CRR wire (the Glance simulator), whose sessions carry no origin.
 * Real handlers, moto_server and the Salesforce simulator: whichever comes first, the record ends
 * with the webhook's origin fields and the newest status.
 */
const API_KEY = 'glance-api-key-for-sources';
const CRR_USER = 'crr-service-sources';
const CRR_PASSWORD = 'crr-password-for-sources';

let p: TestPipeline;
let glance: GlanceSim;
let api: Awaited<ReturnType<typeof startLocalHttpApi>>;

const processAll = () => drainQueue(p.resources.eventsQueueUrl, (event) => processEvents(event), { retryImmediately: true });
async function pull(): Promise<void> {
  const answer = await syncNow({ orgId: PROD_ORG });
  expect(answer).not.toHaveProperty('error');
  await drainQueue(p.resources.syncQueueUrl, (event) => runSyncRequests(event), { batchSize: 1 });
  await processAll();
}
async function webhook(event: WebhookEvent): Promise<void> {
  expect((await sendWebhook(`${api.url}/webhooks/glance/${DEMO_GROUP}`, event, { secret: WEBHOOK_SECRET })).status).toBe(202);
  await processAll();
}
const records = () => p.sobjects(PROD_ORG, 'Glance_Session__c');

beforeAll(async () => {
  [p, glance] = await Promise.all([startTestPipeline(), startGlanceSim()]);
  api = await startLocalHttpApi(ingest);
}, 120_000);
afterAll(async () => {
  await api?.stop();
  await Promise.all([p?.stop(), glance?.stop()]);
});

let caseId: string;
let live: GlanceSession;
let ended: GlanceSession;

beforeEach(async () => {
  await p.reset();
  process.env[ENV.glanceApiUrl] = glance.url;
  glance.reset();
  glance.addGroup({ groupId: DEMO_GROUP, apiKey: API_KEY, username: CRR_USER, password: CRR_PASSWORD });
  await p.registerGroup(DEMO_GROUP);
  // Log Outside on: a pulled snapshot carries no origin, so only then is it routed to this org at all.
  await p.addOrg(PROD_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await secretsManagerWriter().write(secretNames.groupGlance('glance-sync/', DEMO_GROUP), JSON.stringify({ username: CRR_USER, password: CRR_PASSWORD, apiKey: API_KEY }));
  caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Printer on fire' });
  // Within the first sync's window (since the org's install); a cobrowse, the one channel CRR documents.
  const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();
  const startedAt = second(Date.now() - 3600_000);
  const endedAt = second(Date.now() - 1800_000);
  live = makeSession({
    id: `${DEMO_GROUP}.7001.1`,
    sessionKey: '7001',
    type: 'C',
    status: 'A',
    startedAt,
    guests: [{ name: 'Gil Guest', email: 'gil@example.org', phone: null, joinedAt: startedAt }],
    origin: { salesforceOrgId: PROD_ORG, recordId: caseId },
  });
  ended = { ...live, status: 'C', endedAt };
  // What Glance lists once the session ended; the simulator's CRR reply leaves the origin out, as CRR does.
  glance.addSession(ended);
});

/** What only the webhook knows, as the record holds it. */
const webhookFields = () => ({
  Launched_From_Org_Id__c: PROD_ORG,
  Launched_From_Record_Id__c: caseId,
  Launched_From_This_Org__c: true,
  Join_URL__c: live.joinUrl,
  Host_Partner_User_Id__c: 'agent-17',
  Custom_Data__c: JSON.stringify(live.customData),
  Case__c: caseId,
});

describe('a session arriving by webhook and by the scheduled pull', () => {
  it('webhook, then a later pull: the pull brings the end and leaves the webhook\'s origin fields on the record', async () => {
    await webhook({ type: 'session.started', occurredAt: new Date(Date.parse(live.startedAt) + 5000).toISOString(), session: live });
    expect(await records()).toEqual([expect.objectContaining({ ...webhookFields(), Status__c: 'A', End_Time__c: null })]);

    await pull();
    const after = await records();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ ...webhookFields(), Status__c: 'C', Session_Type__c: 'Cobrowse', Site__c: 'production' });
    expect(Date.parse(String(after[0]!.End_Time__c))).toBe(Date.parse(ended.endedAt!));
  });

  it('pull, then the webhook: the record made from the pull gets the webhook\'s origin fields', async () => {
    await pull();
    const pulled = await records();
    expect(pulled).toHaveLength(1);
    expect(pulled[0]).toMatchObject({ Status__c: 'C', Launched_From_Org_Id__c: null, Launched_From_This_Org__c: false, Join_URL__c: null, Case__c: null });
    // The pull's stand-in custom data is there while nothing better is known.
    expect(JSON.parse(String(pulled[0]!.Custom_Data__c))).toEqual({ agent_participant_id: 'agent-17' });

    // The relay was late: its session.ended arrives after the pull, stamped when the session ended.
    await webhook({ type: 'session.ended', occurredAt: new Date(Date.parse(ended.endedAt!) + 1000).toISOString(), session: ended });
    const after = await records();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ ...webhookFields(), Status__c: 'C' });
  });

  it('with the outbox: a pull that replaces the waiting webhook version before the flush still writes the webhook\'s origin fields', async () => {
    // The deployed record budget: shares wait in the org's outbox (DynamoDB) until the flusher runs.
    exportResourceEnv(p.resources, { recordBudgetSeconds: '300', outboxFlushRecords: '1000' });
    try {
      await webhook({ type: 'session.started', occurredAt: new Date(Date.parse(live.startedAt) + 5000).toISOString(), session: live });
      await pull();
      expect(await records()).toEqual([]);
      await flushOutboxes({ orgId: PROD_ORG });
      const after = await records();
      expect(after).toHaveLength(1);
      // The two versions met in the outbox: both kinds of custom data are kept, the customer's winning a clash.
      expect(after[0]).toMatchObject({ ...webhookFields(), Custom_Data__c: JSON.stringify({ agent_participant_id: 'agent-17', ...live.customData }), Status__c: 'C', Site__c: 'production' });
    } finally {
      exportResourceEnv(p.resources);
    }
  });
});
