import type { Connection } from 'jsforce';
import { startSalesforceSim } from '../local/salesforce-sim/index.ts';
import { connectSalesforce } from '../shared/adapters/salesforce.ts';
import { chatterDecision, chatterPost } from '../shared/chatter.ts';
import { toGlanceSessionRecord } from '../shared/glance-session-record.ts';
import { leadDecisions, leadRecord } from '../shared/guest-leads.ts';
import type { Org } from '../shared/org.ts';
import { routeSessionToOrg } from '../shared/processing/org-routing.ts';
import { linkFromOrigin, type OrgShape } from '../shared/record-links.ts';
import type { SessionEvent, WebhookEvent } from '../shared/session.ts';
import { soqlString } from '../shared/soql.ts';
import { countCalls, type CallCounts } from './api-calls.ts';
import { startLatencyProxy } from './latency-proxy.ts';
import { BENCH_ORGS, orgsOfGroup, simCredentials, simOrgConfig } from './orgs.ts';
import { checkOrg, type OrgCheck } from './verify.ts';
import type { Workload } from './workload.ts';

export interface BaselineResult {
  wallMs: number;
  eventsProcessed: number;
  calls: Map<string, CallCounts>;
  checks: OrgCheck[];
}

interface OrgLink {
  org: Org;
  conn: Connection;
  shape: OrgShape;
}

/**
 * The obvious way, for comparison: every arrival processed on its own, in order, one jsforce call
 * per record (a query per guest email, a create per new Lead, a single-record upsert per session,
 * a post per Chatter item). Same rule functions as the pipeline, so the orgs end up the same; no
 * queue, no AWS, no dedupe ledger: the webhook and the sync copy of a session are both processed.
 */
export async function runBaseline(workload: Workload, salesforceLatencyMs = 0): Promise<BaselineResult> {
  const sim = await startSalesforceSim();
  const proxy = salesforceLatencyMs > 0 ? await startLatencyProxy(sim.url, salesforceLatencyMs) : null;
  try {
    for (const { org } of BENCH_ORGS) sim.addOrg(simOrgConfig(org.orgId));
    for (const seed of workload.seeds) sim.seed(seed.orgId, seed.sobject, seed.fields);

    const started = performance.now();
    const links = new Map<string, OrgLink>();
    for (const { org } of BENCH_ORGS) {
      const client = await connectSalesforce(simCredentials(org.orgId, proxy?.url ?? sim.url));
      links.set(org.orgId, { org, conn: client.connection, shape: await client.orgShape() });
    }
    let eventsProcessed = 0;
    for (const arrival of workload.feed) {
      const events: SessionEvent[] =
        arrival.kind === 'sync'
          ? arrival.events
          : [{ eventId: `webhook:${arrival.webhookId}`, source: 'webhook', ...(JSON.parse(arrival.body) as WebhookEvent) }];
      for (const event of events) {
        for (const org of orgsOfGroup(event.session.groupId)) await processForOrg(event, links.get(org.orgId)!);
        eventsProcessed++;
      }
    }
    const wallMs = performance.now() - started;
    return {
      wallMs,
      eventsProcessed,
      calls: new Map(BENCH_ORGS.map(({ org }) => [org.orgId, countCalls(sim, org.orgId)])),
      checks: [...workload.expected.values()].map((e) => checkOrg(sim, e)),
    };
  } finally {
    await proxy?.stop();
    await sim.stop();
  }
}

async function processForOrg(event: SessionEvent, { org, conn, shape }: OrgLink): Promise<void> {
  const session = event.session;
  const route = routeSessionToOrg(session, org);
  if (!route.record) return;
  const originRecord = route.launchedHere ? session.origin?.recordId : null;
  const link = originRecord ? linkFromOrigin(originRecord, shape) : null;

  let leadId: string | null = null;
  for (const decision of leadDecisions(session, org)) {
    if (decision.action !== 'candidate') continue;
    const found = await conn.query<{ Id: string }>(`SELECT Id FROM Lead WHERE Email = ${soqlString(decision.key)}`);
    if (found.records.length > 0) continue;
    const created = (await conn.sobject('Lead').create(leadRecord(session, decision.guest, decision.key))) as { id?: string };
    leadId ??= created.id ?? null;
  }

  const record: Record<string, unknown> = toGlanceSessionRecord(session, org.orgId, event.occurredAt);
  if (link?.linked) record[link.field] = link.recordId;
  const leadField = shape.lookupFieldByObject.get('Lead');
  if (leadId && leadField && !(link?.linked && link.sobject === 'Lead')) record[leadField] = leadId;
  // A single record, not an array: jsforce sends PATCH sobjects/Glance_Session__c/Glance_Session_Id__c/{id}.
  await conn.sobject('Glance_Session__c').upsert(record as never, 'Glance_Session_Id__c');

  const chatter = chatterDecision(session, org.settings.chatterOnSessionStart, link?.linked ? link.recordId : null);
  if (chatter.post) {
    const post = chatterPost(session, chatter.subjectId);
    await conn.request({
      method: 'POST',
      url: '/chatter/feed-elements',
      body: JSON.stringify({ feedElementType: 'FeedItem', subjectId: post.subjectId, body: { messageSegments: post.segments } }),
      headers: { 'content-type': 'application/json' },
    });
  }
}
