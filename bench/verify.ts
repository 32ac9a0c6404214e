import type { SalesforceSim } from '../local/salesforce-sim/index.ts';
import { sessionMarker } from '../shared/chatter.ts';
import { LEAD_SOURCE } from '../shared/guest-leads.ts';
import type { OrgExpectation } from './expectations.ts';

export interface OrgCheck {
  orgId: string;
  label: string;
  records: { actual: number; expected: number };
  endedRecords: { actual: number; expected: number };
  newLeads: { actual: number; expected: number };
  chatterPosts: { actual: number; expected: number };
  duplicateRecords: number;
  duplicateLeads: number;
  duplicatePosts: number;
  ok: boolean;
}

const duplicates = (keys: string[]) => keys.length - new Set(keys).size;

/** The session a Chatter post is about, read back from the marker every post carries. */
function markerOf(body: unknown): string {
  const [open = '', close = ''] = sessionMarker('\u0000').split('\u0000');
  const text = String(body ?? '');
  const start = text.lastIndexOf(open);
  return start < 0 ? text : text.slice(start + open.length, text.indexOf(close, start + open.length));
}

/** What a run left in one org, against what the rules say it must hold; counts only, never timings. */
export function checkOrg(sim: SalesforceSim, e: OrgExpectation): OrgCheck {
  const records = sim.records(e.orgId, 'Glance_Session__c');
  const leads = sim.records(e.orgId, 'Lead');
  const posts = sim.records(e.orgId, 'FeedItem');
  const check: Omit<OrgCheck, 'ok'> = {
    orgId: e.orgId,
    label: e.label,
    records: { actual: records.length, expected: e.records },
    endedRecords: { actual: records.filter((r) => r.Status__c === 'C' && r.End_Time__c).length, expected: e.endedRecords },
    newLeads: { actual: leads.filter((l) => l.LeadSource === LEAD_SOURCE).length, expected: e.newLeads },
    chatterPosts: { actual: posts.length, expected: e.chatterPosts },
    duplicateRecords: duplicates(records.map((r) => String(r.Glance_Session_Id__c))),
    duplicateLeads: duplicates(leads.map((l) => String(l.Email ?? '').trim().toLowerCase())),
    duplicatePosts: duplicates(posts.map((p) => markerOf(p.Body))),
  };
  const same = (x: { actual: number; expected: number }) => x.actual === x.expected;
  const ok =
    same(check.records) && same(check.endedRecords) && same(check.newLeads) && same(check.chatterPosts) &&
    check.duplicateRecords + check.duplicateLeads + check.duplicatePosts === 0;
  return { ...check, ok };
}
