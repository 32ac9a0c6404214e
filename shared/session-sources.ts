import { GLANCE_SESSION_EXTERNAL_ID, type GlanceSessionRecord } from './glance-session-record.ts';
import type { GlanceSession, SessionEvent } from './session.ts';

/*
 * One session, two sources: Glance webhooks (this project's contract, relayed live) and the
 * scheduled pull from Glance's Customer Records Retriever (glance/crr-session.ts), which lists
 * ended sessions only and documents much less. This module says which source knows which field of
 * the Glance Session record, and how two versions of one session meet. Pure functions; the
 * processor applies them where the record is built (processing/org-batch.ts), where two
 * versions of a session meet in one batch (processing/session-processing.ts) and where a newer
 * version replaces one still waiting in an org's outbox (processing/outbox-writes.ts).
 */

/** Where a version of a session came from: `SessionEvent.source`. */
export type SessionSource = SessionEvent['source'];

/**
 * How the sources know a field of Glance_Session__c:
 * - `both`: each source reports it as a fact. The version that wins the processor's ordering rule
 *   (an older event never overwrites a newer one: the stale check by `occurredAt`) writes it, but a
 *   blank (null, '') never overwrites: a version that lacks a value knows less, not that the value
 *   went away. Why newer wins: Glance's status only moves forward (W/A/J/L to an ended code, ended
 *   is final, session-status.ts), and a later snapshot has seen at least as much of the session
 *   (guests who joined since, the end time).
 * - `webhook-only`: CRR documents no such field (facts file §8; crr-session.ts maps them to null).
 *   A webhook writes them as they are, null included, because it is the source that knows them:
 *   its `origin: null` means "launched outside Salesforce", a fact, where a pull's null only means
 *   "not documented". A pull writes one only when it does carry a value (should Glance document an
 *   origin field, or a relay fill it), never a blank; Launched_From_This_Org__c, derived from the
 *   origin, goes with Launched_From_Org_Id__c (a pull without an origin would say false).
 * - `webhook-first`: both carry a value, but the pull's is inferred, not reported: the site from the
 *   group credentials' site (CRR documents none), the type from the only documented channel name
 *   (`cobrowse`), the custom data from stand-ins (`xid`, `agent_participant_id`, `crr_status`) where
 *   the webhook carries the customer's own custom data (the record mapping's input). A webhook
 *   writes them (blanks excepted); a pull writes them only on the session's first version, when
 *   nothing else can be on the record, so a pull-only deployment keeps them.
 */
export type FieldKnowledge = 'both' | 'webhook-only' | 'webhook-first';

/**
 * Every field toGlanceSessionRecord builds, with how the sources know it (see FieldKnowledge).
 * A field missing here is refused by `recordUpsertBody`, so a new field cannot slip past the rule
 * (test/unit/session-sources.test.ts builds a record and checks every key is listed).
 */
export const RECORD_FIELD_KNOWLEDGE: Readonly<Record<string, FieldKnowledge>> = {
  [GLANCE_SESSION_EXTERNAL_ID]: 'both',
  Session_Key__c: 'both',
  Group_Id__c: 'both',
  Site__c: 'webhook-first',
  Session_Type__c: 'webhook-first',
  Status__c: 'both',
  Start_Time__c: 'both',
  End_Time__c: 'both',
  Last_Event_At__c: 'both',
  Host_Name__c: 'both',
  Host_Email__c: 'both',
  Host_Partner_User_Id__c: 'webhook-only',
  Guest_Count__c: 'both',
  Guest_Names__c: 'both',
  Guest_Emails__c: 'both',
  Launched_From_Org_Id__c: 'webhook-only',
  Launched_From_Record_Id__c: 'webhook-only',
  Launched_From_This_Org__c: 'webhook-only',
  Join_URL__c: 'webhook-only',
  Custom_Data__c: 'webhook-first',
};

/** What the processor knows about the version being written. */
export interface RecordVersion {
  /**
   * Whose knowledge the version carries: `webhook` when any webhook contributed to it (a webhook
   * and a pull that met are merged by mergeSessionVersions), `sync` for a pulled snapshot alone.
   */
  source: SessionSource;
  /**
   * No earlier version of the session was applied (the dedupe ledger holds none, 90 days): no
   * other source can have filled a field yet, so the pull's inferred values may be written.
   */
  firstVersion: boolean;
}

/**
 * A value that says nothing: null or ''. A guest count of 0 too, once another version may have
 * counted guests (the first version writes it): a copy that lists no guest (CRR lists participants
 * "when supplied") does not unmake the guests another copy saw, as mergeSessionVersions keeps them.
 */
const isBlank = (field: string, value: unknown, firstVersion: boolean): boolean =>
  value === null || value === undefined || value === '' || (field === 'Guest_Count__c' && value === 0 && !firstVersion);

/**
 * The upsert body for one version of a session's record: the fields this version may write, the
 * others left out. Salesforce leaves a field omitted from an upsert (PATCH) unchanged and clears
 * one sent as null ("Fields that are already present in the record but not specified in the
 * request are unchanged", REST API: update a record; sObject Collections upsert takes each
 * record's own fields), so leaving out is how a version never blanks what another filled. On a
 * new record a left-out field is empty, as the version's null would have made it (the checkbox
 * Launched_From_This_Org__c takes its declared default, false).
 *
 * Apply after the values are fitted to the org's fields (field-fit.ts turns a value the org refuses
 * into null, which must not blank another version's good value either). The external id is always
 * kept. Throws for a field RECORD_FIELD_KNOWLEDGE does not list (a programming error).
 */
export function recordUpsertBody(record: GlanceSessionRecord, version: RecordVersion): GlanceSessionRecord {
  const fromWebhook = version.source === 'webhook';
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    const knowledge = RECORD_FIELD_KNOWLEDGE[field];
    if (!knowledge) throw new Error(`${field}: no rule says which source of a session knows this field (session-sources.ts)`);
    if (field === GLANCE_SESSION_EXTERNAL_ID) body[field] = value;
    else if (knowledge === 'webhook-only') {
      const pulledBlank = isBlank(field, value, false) || (field === 'Launched_From_This_Org__c' && isBlank(field, record.Launched_From_Org_Id__c, false));
      if (fromWebhook || !pulledBlank) body[field] = value;
    } else if (isBlank(field, value, version.firstVersion)) continue;
    else if (knowledge === 'both' || fromWebhook || version.firstVersion) body[field] = value;
  }
  return body as GlanceSessionRecord;
}

/** One version of a session and where it came from. */
export interface SourcedSession {
  source: SessionSource;
  session: GlanceSession;
}

const emptyObject = (value: Record<string, unknown>) => Object.keys(value).length === 0;

/**
 * Two versions of one session (same `id`) met, e.g. a webhook and a pulled snapshot in one batch:
 * the session both describe, by the same rules as the record (FieldKnowledge). `newer` is the one
 * the ordering rule lets win (the later `occurredAt`; the later arrival on a tie).
 * - fields both report: newer's value, older's where newer's is blank (null, '', no guests);
 * - origin, join URL, host PartnerUserId: the newest webhook's (a pull does not know them);
 * - site, type: the newest webhook's when either is a webhook (a pull's are inferred);
 * - custom data: of the same source, newer's (older's if newer's is empty); of different sources,
 *   both together, the webhook's keys winning a clash (the customer's data over stand-ins).
 * Throws when the ids differ (a programming error).
 */
export function mergeSessionVersions(older: SourcedSession, newer: SourcedSession): GlanceSession {
  const o = older.session;
  const n = newer.session;
  if (o.id !== n.id) throw new Error(`cannot merge versions of two sessions: ${o.id} and ${n.id}`);
  const webhook = newer.source === 'webhook' ? n : older.source === 'webhook' ? o : n;
  const sameSource = older.source === newer.source;
  const customData = sameSource
    ? emptyObject(n.customData) ? o.customData : n.customData
    : newer.source === 'webhook' ? { ...o.customData, ...n.customData } : { ...n.customData, ...o.customData };
  return {
    id: n.id,
    sessionKey: n.sessionKey,
    groupId: n.groupId,
    site: webhook.site,
    type: webhook.type,
    status: n.status,
    startedAt: n.startedAt,
    endedAt: n.endedAt ?? o.endedAt,
    host: {
      partnerUserId: webhook.host.partnerUserId,
      name: n.host.name || o.host.name,
      email: n.host.email || o.host.email,
    },
    guests: n.guests.length ? n.guests : o.guests,
    origin: webhook.origin,
    customData,
    joinUrl: webhook.joinUrl,
  };
}
