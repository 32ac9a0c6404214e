import type { Connection } from 'jsforce';
import type { SessionEvent } from '../shared/session.ts';
import { chatterDecision, chatterPost } from '../shared/chatter.ts';
import { toGlanceSessionRecord } from '../shared/glance-session-record.ts';
import { leadDecisions, leadRecord } from '../shared/guest-leads.ts';
import type { Org } from '../shared/org.ts';
import { routeSessionToOrg } from '../shared/processing/org-routing.ts';
import { linkFromOrigin, type OrgShape } from '../shared/record-links.ts';
import { soqlString } from '../shared/soql.ts';

export interface OrgLink {
  org: Org;
  conn: Connection;
  shape: OrgShape;
}

/**
 * The obvious way, for comparison: every event processed on its own, one jsforce call per record
 * (a query per guest email, a create per new Lead, a single-record upsert per session, a post per
 * Chatter item). Same rule functions as the pipeline, so the orgs end up the same; no dedupe
 * ledger: the webhook and the sync copy of a session are both processed. bench/sim/run.ts runs it
 * on the same simulated queue, latencies and simulator as ours.
 */
export async function processForOrg(event: SessionEvent, { org, conn, shape }: OrgLink): Promise<void> {
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
