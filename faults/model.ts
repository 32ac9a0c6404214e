import type { OrgSettings } from '../shared/org.ts';
import type { GlanceSession, SessionEvent } from '../shared/session.ts';

/** The world the campaign builds: orgs and groups, records to launch from, sessions and the messages that carry them. */

export const SHARED_GROUP = 71001;
export const OTHER_GROUP = 71002;
/** Launches sessions but is not registered: its sessions land only where Log Outside is on. */
export const UNREGISTERED_ORG = '00DFA00000000092AA';

export type OrgRules = Pick<OrgSettings, 'createLeadsForGuests' | 'logSessionsStartedOutside' | 'chatterOnSessionStart' | 'debugMode' | 'sites'>;

export interface OrgSpec {
  orgId: string;
  label: string;
  environment: 'production' | 'sandbox';
  groups: number[];
  settings: OrgRules;
}

/**
 * The shared group pairs a production org and its sandbox with opposite rules, plus an org that
 * sits in both groups and takes production sessions only, so every routing branch is hit.
 */
export const CAMPAIGN_ORGS: OrgSpec[] = [
  {
    orgId: '00DFA00000000012AA',
    label: 'prod-1',
    environment: 'production',
    groups: [SHARED_GROUP],
    settings: { createLeadsForGuests: 'new_email', logSessionsStartedOutside: false, chatterOnSessionStart: true, debugMode: false, sites: ['production', 'staging'] },
  },
  {
    orgId: '00DFA00000000022AA',
    label: 'sandbox-1',
    environment: 'sandbox',
    groups: [SHARED_GROUP],
    settings: { createLeadsForGuests: 'new_email_and_name', logSessionsStartedOutside: true, chatterOnSessionStart: false, debugMode: true, sites: ['production', 'staging'] },
  },
  {
    orgId: '00DFA00000000032AA',
    label: 'prod-2',
    environment: 'production',
    groups: [OTHER_GROUP],
    settings: { createLeadsForGuests: 'never', logSessionsStartedOutside: true, chatterOnSessionStart: true, debugMode: false, sites: ['production', 'staging'] },
  },
  {
    orgId: '00DFA00000000042AA',
    label: 'prod-3',
    environment: 'production',
    groups: [SHARED_GROUP, OTHER_GROUP],
    settings: { createLeadsForGuests: 'new_email', logSessionsStartedOutside: false, chatterOnSessionStart: true, debugMode: false, sites: ['production'] },
  },
];

export type SeededObject = 'Case' | 'Contact' | 'Opportunity' | 'Lead';

export interface SeededRecord {
  sobject: SeededObject;
  id: string;
  fields: Record<string, unknown>;
}

/**
 * live: only active versions, all in wave 1 (exactly one Chatter post where one is due).
 * full: active versions in wave 1, the ended one in wave 2 (the post is made in wave 1).
 * pulled: only an ended version, found by the sync in wave 2 (never a post).
 */
export type Lifecycle = 'live' | 'full' | 'pulled';

export interface SessionVersion {
  type: SessionEvent['type'];
  occurredAt: string;
  status: string;
  endedAt: string | null;
  wave: 1 | 2;
}

export interface SessionPlan {
  session: GlanceSession;
  lifecycle: Lifecycle;
  versions: SessionVersion[];
  /** The org whose Salesforce refuses this session's record (a duplicate rule): a permanently bad input. */
  refusedBy: string | null;
}

export type MessageKind = 'original' | 'duplicate' | 'resend' | 'late-resend' | 'malformed';

export interface CampaignMessage {
  body: string;
  kind: MessageKind;
  sessionId?: string;
}

export interface CampaignModel {
  seed: number;
  orgs: OrgSpec[];
  records: Map<string, SeededRecord[]>;
  /** Leads that exist before the campaign, by org, with the emails as stored (any casing). */
  existingLeadEmails: Map<string, string[]>;
  /** Emails an org's duplicate rule refuses as new Leads (normalised), by org. */
  leadDuplicateRules: Map<string, string[]>;
  sessions: SessionPlan[];
  /** Wave 2 is sent once wave 1 has drained: ended versions, sync pulls and late re-sends. */
  waves: [CampaignMessage[], CampaignMessage[]];
  malformed: string[];
}

export const sessionVersion = (plan: SessionPlan, v: SessionVersion): GlanceSession => ({ ...plan.session, status: v.status, endedAt: v.endedAt });
