import type { CampaignModel, OrgSpec, SessionPlan } from './model.ts';

/**
 * What the orgs must hold at the end, worked out from the model alone. Written apart from the
 * pipeline's own rule code on purpose: an oracle that called routeSessionToOrg or leadDecisions
 * would agree with any bug in them.
 */

export interface ExpectedRecord {
  /** The newest version's status and time: an older event must never overwrite a newer one. */
  status: string;
  lastEventAt: string;
  launchedHere: boolean;
}

export interface Expected {
  records: Map<string, Map<string, ExpectedRecord>>;
  leads: Map<string, Set<string>>;
  /** Session id to the record its one post sits on, per org. */
  posts: Map<string, Map<string, string>>;
  refused: Array<{ orgId: string; sessionId: string }>;
  malformed: string[];
}

const id15 = (id: string) => id.slice(0, 15);
const normal = (email: string | null) => email?.trim().toLowerCase() || null;
const plausible = (email: string) => /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(email);

export function launchedHere(plan: SessionPlan, org: OrgSpec): boolean {
  return !!plan.session.origin && id15(plan.session.origin.salesforceOrgId) === id15(org.orgId);
}

export function routedTo(plan: SessionPlan, org: OrgSpec): boolean {
  if (!org.groups.includes(plan.session.groupId)) return false;
  if (!org.settings.sites.includes(plan.session.site)) return false;
  return launchedHere(plan, org) || org.settings.logSessionsStartedOutside;
}

const newest = (plan: SessionPlan) => plan.versions.reduce((a, b) => (Date.parse(b.occurredAt) > Date.parse(a.occurredAt) ? b : a));

/** Emails that become Leads in the org: the rule's guests of routed screen shares, minus what the org already knows. */
function leadEmails(model: CampaignModel, org: OrgSpec): Set<string> {
  const rule = org.settings.createLeadsForGuests;
  const out = new Set<string>();
  if (rule === 'never') return out;
  for (const plan of model.sessions) {
    if (plan.session.type !== 'G' || !routedTo(plan, org)) continue;
    for (const guest of plan.session.guests) {
      const email = normal(guest.email);
      if (!email || !plausible(email) || email === normal(plan.session.host.email)) continue;
      if (rule === 'new_email_and_name' && !guest.name?.trim()) continue;
      out.add(email);
    }
  }
  for (const known of model.existingLeadEmails.get(org.orgId) ?? []) out.delete(normal(known)!);
  for (const refused of model.leadDuplicateRules.get(org.orgId) ?? []) out.delete(refused);
  return out;
}

export function expectedState(model: CampaignModel): Expected {
  const expected: Expected = { records: new Map(), leads: new Map(), posts: new Map(), refused: [], malformed: [...model.malformed] };
  for (const org of model.orgs) {
    const records = new Map<string, ExpectedRecord>();
    const posts = new Map<string, string>();
    for (const plan of model.sessions) {
      if (!routedTo(plan, org)) continue;
      if (plan.refusedBy === org.orgId) {
        expected.refused.push({ orgId: org.orgId, sessionId: plan.session.id });
        continue;
      }
      const last = newest(plan);
      const here = launchedHere(plan, org);
      records.set(plan.session.id, { status: last.status, lastEventAt: last.occurredAt, launchedHere: here });
      // Every seeded record's object has a lookup on Glance_Session__c, so an origin record here relates.
      const recordId = here ? plan.session.origin?.recordId : null;
      if (org.settings.chatterOnSessionStart && recordId && plan.lifecycle !== 'pulled') posts.set(plan.session.id, recordId);
    }
    expected.records.set(org.orgId, records);
    expected.posts.set(org.orgId, posts);
    expected.leads.set(org.orgId, leadEmails(model, org));
  }
  for (const plan of model.sessions) {
    if (plan.refusedBy && !expected.refused.some((r) => r.sessionId === plan.session.id)) {
      throw new Error(`model error: refused session ${plan.session.id} never reaches org ${plan.refusedBy}`);
    }
  }
  return expected;
}
