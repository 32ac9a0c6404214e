import { chatterDecision } from '../shared/chatter.ts';
import { leadDecisions } from '../shared/guest-leads.ts';
import { routeSessionToOrg } from '../shared/processing/org-routing.ts';
import type { GlanceSession } from '../shared/session.ts';
import { BENCH_ORGS } from './orgs.ts';

/** What each org must hold after the run, derived from the same rule functions the pipeline uses. */
export interface OrgExpectation {
  orgId: string;
  label: string;
  /** Glance_Session__c records: one per session routed to the org. */
  records: number;
  /** Of those, the ones the sync pulled again after they ended: their record must show the end. */
  endedRecords: number;
  /** Distinct (lower-cased) guest emails that the org's Lead rule lets through: each must be checked once. */
  candidateEmails: string[];
  newLeads: number;
  chatterPosts: number;
}

export function expectationsFor(sessions: GlanceSession[], overlapping: boolean[], knownEmails: Set<string>): Map<string, OrgExpectation> {
  const out = new Map<string, OrgExpectation>();
  for (const { org, label } of BENCH_ORGS) {
    const candidates = new Set<string>();
    let records = 0;
    let endedRecords = 0;
    let chatterPosts = 0;
    sessions.forEach((session, i) => {
      if (session.groupId !== org.groups[0]) return;
      const route = routeSessionToOrg(session, org);
      if (!route.record) return;
      records++;
      if (overlapping[i]) endedRecords++;
      for (const d of leadDecisions(session, org)) if (d.action === 'candidate') candidates.add(d.key);
      // Every seeded origin record is a Case or Contact, both of which Glance_Session__c looks up.
      const related = route.launchedHere ? (session.origin?.recordId ?? null) : null;
      if (chatterDecision(session, org.settings.chatterOnSessionStart, related).post) chatterPosts++;
    });
    const candidateEmails = [...candidates].sort();
    out.set(org.orgId, {
      orgId: org.orgId,
      label,
      records,
      endedRecords,
      candidateEmails,
      newLeads: candidateEmails.filter((e) => !knownEmails.has(e)).length,
      chatterPosts,
    });
  }
  return out;
}
