import type { Org } from '../org.ts';
import type { SessionEvent } from '../session.ts';
import { toGlanceSessionRecord } from '../glance-session-record.ts';
import { RECORD_FIELD_KNOWLEDGE, recordUpsertBody } from '../session-sources.ts';
import { leadDecisions, leadRecord, LEAD_GUEST_KEY_FIELD } from '../guest-leads.ts';
import { hasEnded, type ChatterPost } from '../chatter.ts';
import { linkFromMapping, linkFromOrigin, mappingLookups, type OrgShape } from '../record-links.ts';
import { callMessage, describeFault, faultsKind, problemKind, type SalesforceFault } from '../salesforce-errors.ts';
import { fitRecord, PACKAGE_FIELDS } from '../field-fit.ts';
import { chunkForIn, soqlName, soqlStringList } from '../soql.ts';
import type { DebugTrace } from '../debug-trace.ts';
import type { Log } from '../log.ts';
import { postToChatterOnce, type ChatterOnceDeps, type ChatterWork } from './chatter-once.ts';
import { KNOWN_LEAD_MAX_AGE_MS, type KnownLeads } from './org-caches.ts';
import type { WriteEffects } from './batch-state.ts';

export type RecordResult = { ok: true; id: string; created: boolean } | { ok: false; faults: SalesforceFault[] };
export type PostResult = { ok: true; id: string } | { ok: false; faults: SalesforceFault[] };

/** Records to upsert by an external id. */
export interface UpsertSpec {
  sobject: string;
  externalId: string;
  records: Array<Record<string, unknown>>;
}

/** A record of the second upsert that takes, in `field`, the id the first upsert gave its record at `index`. */
export interface UpsertRef {
  field: string;
  index: number;
}

/** What the per-org rules need of one org's Salesforce; every method is one call or a few batched ones. */
export interface OrgSalesforce {
  orgShape(): Promise<OrgShape>;
  query<T extends Record<string, unknown>>(soql: string): Promise<T[]>;
  /**
   * Each query's rows, in order, sending several queries per Composite call where the adapter
   * can (up to 5 per call, one API call each); absent: one `query` per SOQL. Errors as `query`'s.
   */
  queryAll?<T extends Record<string, unknown>>(soqls: string[]): Promise<T[][]>;
  upsertRecords(sobject: string, externalId: string, records: Array<Record<string, unknown>>): Promise<RecordResult[]>;
  /**
   * Upserts `first`, then `then` with each ref filled from `first`'s results, in one Composite
   * call where the limits allow (the adapter; absent: two upserts). A `then` record whose ref
   * names a record `first` failed to write is written without that field. Results per record, in order.
   */
  upsertTogether?(first: UpsertSpec, then: UpsertSpec & { refs: Array<UpsertRef | null> }): Promise<{ first: RecordResult[]; then: RecordResult[] }>;
  postChatter(posts: ChatterPost[]): Promise<PostResult[]>;
}

/** `then`'s records with their refs filled from `first`'s results (left out where that record failed). */
export function fillRefs(records: Array<Record<string, unknown>>, refs: Array<UpsertRef | null>, first: RecordResult[]): Array<Record<string, unknown>> {
  return records.map((record, i) => {
    const ref = refs[i];
    const target = ref ? first[ref.index] : undefined;
    return ref && target?.ok ? { ...record, [ref.field]: target.id } : record;
  });
}

export interface OrgBatchItem {
  event: SessionEvent;
  occurredAt: string;
  launchedHere: boolean;
  routeReason: string;
  /** The first version of the session the pipeline took was live (its Chatter post is due); by default, whether this one is. */
  reachedLive?: boolean;
}

/**
 * `setup`: the org lacks a field, flag or permission the package declares (pause the org, do not retry).
 * `wait`: nothing failed, but something must happen later (a Chatter claim another attempt holds until `retryAt`).
 */
export type ItemOutcome =
  | { kind: 'ok'; effects: WriteEffects }
  | { kind: 'setup' | 'permanent' | 'transient'; reason: string }
  | { kind: 'wait'; reason: string; retryAt: number };

export interface OrgBatchDeps extends ChatterOnceDeps {
  log: Log;
  /** Emails already known to be Leads of the org; absent: every candidate email is queried. */
  knownLeads?: KnownLeads;
  now?: () => number;
}

interface Work extends ChatterWork {
  item: OrgBatchItem;
  leadNotes: string[];
  leadId: string | null;
  /** Leads this attempt created (not those an earlier attempt made). */
  leadsCreated: number;
  /** What was cut or left out to fit the org's fields, and why. */
  valueNotes: string[];
}

/** An item's work before any step ran: nothing related, no Leads, Chatter not yet considered. */
function newWork(item: OrgBatchItem): Work {
  return {
    item,
    session: item.event.session,
    link: { linked: false, reason: 'not related' },
    leadNotes: [],
    leadId: null,
    leadsCreated: 0,
    valueNotes: [],
    chatter: 'not considered',
    posted: false,
    problems: [],
    reachedLive: item.reachedLive ?? !hasEnded(item.event.session),
  };
}

/** Records the calls of the batch for the debug trace. */
function counting(sf: OrgSalesforce, calls: string[]): OrgSalesforce {
  return {
    orgShape: () => sf.orgShape(),
    query: (soql) => {
      calls.push(`query ${/FROM\s+(\w+)/i.exec(soql)?.[1] ?? ''}`.trim());
      return sf.query(soql);
    },
    ...(sf.queryAll
      ? {
          queryAll: <T extends Record<string, unknown>>(soqls: string[]) => {
            calls.push(`queries together: ${soqls.length} ${[...new Set(soqls.map((soql) => /FROM\s+(\w+)/i.exec(soql)?.[1] ?? ''))].join(', ')} (Composite, up to 5 a call)`);
            return sf.queryAll!<T>(soqls);
          },
        }
      : {}),
    upsertRecords: (sobject, externalId, records) => {
      calls.push(`upsert ${records.length} ${sobject} by ${externalId}`);
      return sf.upsertRecords(sobject, externalId, records);
    },
    ...(sf.upsertTogether
      ? {
          upsertTogether: (first: UpsertSpec, then: UpsertSpec & { refs: Array<UpsertRef | null> }) => {
            calls.push(`composite: upsert ${first.records.length} ${first.sobject}, then ${then.records.length} ${then.sobject}`);
            return sf.upsertTogether!(first, then);
          },
        }
      : {}),
    postChatter: (posts) => {
      calls.push(`chatter batch of ${posts.length}`);
      return sf.postChatter(posts);
    },
  };
}

/** Further tries of records refused DUPLICATE_VALUE; one that persists is a real clash and stands. */
const CONCURRENT_CREATE_RETRIES = 2;

/**
 * Salesforce answers DUPLICATE_VALUE when another upsert (a concurrent Lambda) created the same new
 * external id a moment earlier (BRIEF: "it is an update to retry, not a refusal"): the record
 * exists now, so the same upsert again is the update it should have been. Only those records are
 * sent again; a DUPLICATE_VALUE that persists comes from another unique field and is refused.
 */
export function retryingConcurrentCreates(sf: OrgSalesforce): OrgSalesforce {
  const retryRaced = async (sobject: string, externalId: string, records: Array<Record<string, unknown>>, results: RecordResult[]) => {
    for (let n = 0; n < CONCURRENT_CREATE_RETRIES; n++) {
      const raced = results.flatMap((r, i) => (!r.ok && r.faults.length > 0 && r.faults.every((f) => f.code === 'DUPLICATE_VALUE') ? [i] : []));
      if (raced.length === 0) break;
      const again = await sf.upsertRecords(sobject, externalId, raced.map((i) => records[i]!));
      raced.forEach((i, k) => (results[i] = again[k]!));
    }
    return results;
  };
  return {
    orgShape: () => sf.orgShape(),
    query: (soql) => sf.query(soql),
    ...(sf.queryAll ? { queryAll: <T extends Record<string, unknown>>(soqls: string[]) => sf.queryAll!<T>(soqls) } : {}),
    postChatter: (posts) => sf.postChatter(posts),
    upsertRecords: async (sobject, externalId, records) => retryRaced(sobject, externalId, records, await sf.upsertRecords(sobject, externalId, records)),
    ...(sf.upsertTogether
      ? {
          async upsertTogether(first: UpsertSpec, then: UpsertSpec & { refs: Array<UpsertRef | null> }) {
            const out = await sf.upsertTogether!(first, then);
            await retryRaced(first.sobject, first.externalId, first.records, out.first);
            await retryRaced(then.sobject, then.externalId, fillRefs(then.records, then.refs, out.first), out.then);
            return out;
          },
        }
      : {}),
  };
}

/**
 * One org's share of a batch, in the order the rules need: relate sessions to records, find and
 * create guest Leads, upsert the session records, then post to Chatter. Each step is one batched
 * call for the whole batch. Returns an outcome per item and, for Debug Mode, a trace per item.
 */
export async function applyOrgBatch(
  org: Org,
  items: OrgBatchItem[],
  salesforce: OrgSalesforce,
  deps: OrgBatchDeps,
): Promise<{ outcomes: ItemOutcome[]; traces: DebugTrace[] }> {
  const calls: string[] = [];
  const sf = retryingConcurrentCreates(counting(salesforce, calls));
  const work: Work[] = items.map(newWork);
  const failAll = (kind: 'setup' | 'permanent' | 'transient', reason: string, list = work) => list.forEach((w) => w.problems.push({ kind, reason }));

  let leadField: string | null = null;
  let sessionFields: Map<string, { type: string; length: number }> | undefined;
  try {
    const shape = await relateRecords(org, work, sf);
    leadField = shape?.lookupFieldByObject.get('Lead') ?? null;
    sessionFields = shape?.sessionFields;
  } catch (error) {
    failAll(problemKind(error), `relating records: ${callMessage(error)}`);
  }
  let leads: LeadPlan = { entries: [], remember: async () => undefined };
  try {
    leads = await planLeads(org, work.filter((w) => w.problems.length === 0), sf, deps);
  } catch (error) {
    failAll(problemKind(error), `creating Leads: ${callMessage(error)}`, work.filter((w) => w.problems.length === 0));
  }

  const records = work.map((w) => {
    // Fitted to the org's fields as its describe says (the package's declaration until describe was read).
    const fitted = fitRecord(toGlanceSessionRecord(w.session, org.orgId, w.item.occurredAt), sessionFields ?? PACKAGE_FIELDS.Glance_Session__c, w.valueNotes);
    // Only what this version may write: a source never blanks a field another filled (session-sources.ts).
    const record: Record<string, unknown> = recordUpsertBody(fitted, { source: w.item.event.source, firstVersion: w.item.event.firstVersion === true });
    const kept = Object.keys(fitted).filter((field) => !(field in record) && RECORD_FIELD_KNOWLEDGE[field] === 'webhook-first' && fitted[field] !== null && fitted[field] !== '');
    if (kept.length) w.valueNotes.push(`${kept.join(', ')} not written: a pulled copy's inferred values never replace what a webhook of the session set`);
    if (w.link.linked) record[w.link.field] = w.link.recordId;
    return record;
  });
  // A guest's new Lead relates the session unless it already points at a Lead: the first Lead made for it.
  const refs = work.map((w): UpsertRef | null => {
    const index = leads.entries.findIndex(([, owner]) => owner.w === w);
    return index >= 0 && leadField && !(w.link.linked && w.link.sobject === 'Lead') ? { field: leadField, index } : null;
  });
  const leadRecords = leads.entries.map(([key, owner]) => fitRecord(leadRecord(owner.w.session, owner.guest, key), PACKAGE_FIELDS.Lead, owner.w.leadNotes));
  const leadSpec: UpsertSpec = { sobject: 'Lead', externalId: LEAD_GUEST_KEY_FIELD, records: leadRecords };
  const sessionSpec: UpsertSpec = { sobject: 'Glance_Session__c', externalId: 'Glance_Session_Id__c', records };
  let sessionResults: RecordResult[] = [];
  if (leadRecords.length && sf.upsertTogether && refs.some((r) => r)) {
    // The Leads and the sessions relating to them in one Composite call (the query before them
    // cannot join it: which Leads to make depends on its answer, and a Composite reference can
    // fill a value from an earlier answer but cannot leave a record out).
    try {
      const out = await sf.upsertTogether(leadSpec, { ...sessionSpec, refs });
      await settleLeads(leads, out.first);
      sessionResults = out.then;
    } catch (error) {
      failAll(problemKind(error), `upserting Leads and sessions: ${callMessage(error)}`);
    }
    records.splice(0, records.length, ...fillRefs(records, refs, leads.entries.map(([, owner]) => (owner.w.leadId ? { ok: true as const, id: owner.w.leadId, created: false } : { ok: false as const, faults: [] }))));
  } else {
    if (leadRecords.length) {
      try {
        // Upsert by the guest key: a retry after a crash updates the Lead it made instead of duplicating it.
        await settleLeads(leads, await sf.upsertRecords(leadSpec.sobject, leadSpec.externalId, leadRecords));
      } catch (error) {
        const pending = [...new Set(leads.entries.map(([, owner]) => owner.w))];
        failAll(problemKind(error), `creating Leads: ${callMessage(error)}`, pending);
      }
    }
    work.forEach((w, i) => {
      if (w.leadId && refs[i]) records[i]![refs[i]!.field] = w.leadId;
    });
    try {
      sessionResults = await sf.upsertRecords(sessionSpec.sobject, sessionSpec.externalId, records);
    } catch (error) {
      failAll(problemKind(error), `upserting sessions: ${callMessage(error)}`);
    }
  }
  const linkFields = [...new Set([...work.flatMap((w) => (w.link.linked ? [w.link.field] : [])), ...(leadField ? [leadField] : [])])];
  await recordWithoutMissingLinks(work, records, sessionResults, linkFields, sf);
  sessionResults.forEach((result, i) => {
    if (!result.ok) work[i]!.problems.push({ kind: faultsKind(result.faults), reason: `session record: ${result.faults.map(describeFault).join('; ')}` });
  });

  const recorded = work.filter((w, i) => sessionResults[i]?.ok);
  await postToChatterOnce(org, recorded, sf, deps);

  const outcomes = work.map((w, i): ItemOutcome => {
    const setup = w.problems.filter((p) => p.kind === 'setup');
    if (setup.length) return { kind: 'setup', reason: setup.map((p) => p.reason).join('; ') };
    const permanent = w.problems.filter((p) => p.kind === 'permanent');
    if (permanent.length) return { kind: 'permanent', reason: permanent.map((p) => p.reason).join('; ') };
    const transient = w.problems.filter((p) => p.kind === 'transient');
    if (transient.length) return { kind: 'transient', reason: transient.map((p) => p.reason).join('; ') };
    const waits = w.problems.filter((p) => p.kind === 'wait');
    if (waits.length) return { kind: 'wait', reason: waits.map((p) => p.reason).join('; '), retryAt: Math.max(...waits.map((p) => p.retryAt ?? 0)) };
    const record = sessionResults[i] as Extract<RecordResult, { ok: true }>;
    return { kind: 'ok', effects: { record: record.created ? 'created' : 'updated', leadsCreated: w.leadsCreated, chatterPosted: w.posted } };
  });
  const traces = org.settings.debugMode
    ? work.map((w, i): DebugTrace => ({
        orgId: org.orgId,
        sessionId: w.session.id,
        eventId: w.item.event.eventId,
        at: new Date().toISOString(),
        recorded: !!sessionResults[i]?.ok,
        route: w.item.routeReason,
        link: w.link.linked ? `related to ${w.link.sobject} ${w.link.recordId} (${w.link.how})` : `not related: ${w.link.reason}`,
        leads: w.leadNotes,
        values: w.valueNotes,
        chatter: w.chatter,
        outcome: outcomes[i]!.kind === 'ok' ? 'recorded' : `${outcomes[i]!.kind}: ${(outcomes[i] as { reason: string }).reason}`,
        salesforceCalls: calls,
      }))
    : [];
  return { outcomes, traces };
}

const LINK_FIELDS_REFUSED = 'INVALID_CROSS_REFERENCE_KEY';

/**
 * A session launched from a record that was deleted since (or a Lead that vanished) is refused
 * for its lookup. Losing the session for that would be wrong: write it again without the links,
 * in one more call for all such records, and say so in the trace.
 */
async function recordWithoutMissingLinks(
  work: Work[],
  records: Array<Record<string, unknown>>,
  results: RecordResult[],
  linkFields: string[],
  sf: OrgSalesforce,
): Promise<void> {
  const retry = results
    .map((result, i) => ({ result, i }))
    .filter(({ result, i }) => !result.ok && result.faults.every((f) => f.code === LINK_FIELDS_REFUSED) && (work[i]!.link.linked || work[i]!.leadId));
  if (retry.length === 0) return;
  const unlinked = retry.map(({ i }) => {
    const record = { ...records[i]! };
    for (const field of linkFields) if (field in record) record[field] = null;
    return record;
  });
  let again: RecordResult[];
  try {
    again = await sf.upsertRecords('Glance_Session__c', 'Glance_Session_Id__c', unlinked);
  } catch {
    return; // the original refusal stands and is reported
  }
  retry.forEach(({ i }, n) => {
    if (!again[n]?.ok) return;
    results[i] = again[n]!;
    const w = work[i]!;
    const what = w.link.linked ? `${w.link.sobject} ${w.link.recordId}` : `Lead ${w.leadId}`;
    w.link = { linked: false, reason: `the related record ${what} does not exist in this org (deleted?): recorded without it` };
  });
}

/** Relates each session to a record; returns the org's shape when it had to be read. */
async function relateRecords(org: Org, work: Work[], sf: OrgSalesforce): Promise<OrgShape | null> {
  const hasMapping = Object.keys(org.settings.recordMapping).length > 0;
  const mayCreateLeads = org.settings.createLeadsForGuests !== 'never' && work.some((w) => w.session.type === 'G');
  const needsShape = hasMapping || mayCreateLeads || work.some((w) => w.item.launchedHere && w.session.origin?.recordId);
  if (!needsShape) {
    for (const w of work) w.link = { linked: false, reason: 'no origin record in this org and no record mapping' };
    return null;
  }
  const shape = await sf.orgShape();
  const mapping = hasMapping ? mappingLookups(org.settings.recordMapping, shape) : [];

  const byMapping: Work[] = [];
  for (const w of work) {
    const recordId = w.item.launchedHere ? w.session.origin?.recordId : null;
    if (recordId) w.link = linkFromOrigin(recordId, shape);
    else byMapping.push(w);
  }
  if (byMapping.length === 0 || mapping.length === 0) {
    for (const w of byMapping) w.link = { linked: false, reason: 'no origin record in this org and no record mapping' };
    return shape;
  }
  // One query per mapped (object, field) for the whole batch, not one per session.
  const found = new Map<string, Map<string, string[]>>();
  for (const lookup of mapping) {
    const values = [...new Set(byMapping.map((w) => w.session.customData[lookup.customDataKey]).filter((v) => v !== null && v !== undefined && v !== '').map((v) => String(v).trim()))];
    const index = new Map<string, string[]>();
    found.set(`${lookup.sobject}.${lookup.field}`, index);
    for (const chunk of chunkForIn(values)) {
      if (chunk.length === 0) continue;
      const rows = await sf.query<Record<string, unknown>>(
        `SELECT Id, ${soqlName(lookup.field)} FROM ${soqlName(lookup.sobject)} WHERE ${soqlName(lookup.field)} IN ${soqlStringList(chunk)}`,
      );
      for (const row of rows) {
        const key = String(row[lookup.field] ?? '').toLowerCase();
        index.set(key, [...(index.get(key) ?? []), String(row.Id)]);
      }
    }
  }
  for (const w of byMapping) {
    const { decision } = linkFromMapping(w.session, mapping, (lookup, value) => found.get(`${lookup.sobject}.${lookup.field}`)?.get(value.toLowerCase()) ?? [], shape);
    w.link = decision;
  }
  return shape;
}

/** The Leads a batch makes: one per new email, with the guest that gave it first; `remember` notes emails now known as Leads. */
interface LeadPlan {
  entries: Array<[string, { w: Work; guest: number }]>;
  remember(emails: string[]): Promise<void>;
}

/** Decides the batch's Leads: which guests' emails are candidates, and which of those no Lead has yet (one query per IN chunk of emails not known, several per Composite call where the adapter can). */
async function planLeads(org: Org, work: Work[], sf: OrgSalesforce, deps: Pick<OrgBatchDeps, 'knownLeads' | 'now' | 'log'>): Promise<LeadPlan> {
  const none: LeadPlan = { entries: [], remember: async () => undefined };
  const candidates: Array<{ w: Work; guest: number; key: string }> = [];
  for (const w of work) {
    for (const decision of leadDecisions(w.session, org)) {
      if (decision.action === 'skip') w.leadNotes.push(`guest ${decision.guest + 1}: no Lead, ${decision.reason}`);
      else candidates.push({ w, guest: decision.guest, key: decision.key });
    }
  }
  if (candidates.length === 0) return none;
  const emails = [...new Set(candidates.map((c) => c.key))];
  const now = (deps.now ?? Date.now)();
  // Emails already known to be Leads are not queried again (a hint with an expiry: org-caches.ts).
  const existing = deps.knownLeads ? await deps.knownLeads.known(org.orgId, emails, now).catch(() => new Set<string>()) : new Set<string>();
  const found: string[] = [];
  const soqls = chunkForIn(emails.filter((e) => !existing.has(e))).map((chunk) => `SELECT Id, Email FROM Lead WHERE Email IN ${soqlStringList(chunk)}`);
  // More than one chunk (a large outbox flush): several queries per Composite call where the adapter can.
  const oneByOne = async () => {
    const out: Array<Array<{ Email?: string }>> = [];
    for (const soql of soqls) out.push(await sf.query<{ Email?: string }>(soql));
    return out;
  };
  const answers = soqls.length > 1 && sf.queryAll ? await sf.queryAll<{ Email?: string }>(soqls) : await oneByOne();
  for (const row of answers.flat()) if (row.Email) found.push(row.Email.trim().toLowerCase());
  for (const email of found) existing.add(email);
  const remember = async (list: string[]) => {
    if (deps.knownLeads && list.length) {
      await deps.knownLeads.remember(org.orgId, list, now + KNOWN_LEAD_MAX_AGE_MS).catch((error: Error) => deps.log.warn('could not remember known Leads', { orgId: org.orgId, error: error.message }));
    }
  };
  await remember(found);
  // One Lead per email, whichever session or guest gave it first.
  const owners = new Map<string, { w: Work; guest: number }>();
  for (const c of candidates) {
    if (existing.has(c.key)) {
      c.w.leadNotes.push(`guest ${c.guest + 1}: no Lead, a Lead with this email already exists`);
    } else if (owners.has(c.key)) {
      c.w.leadNotes.push(`guest ${c.guest + 1}: no Lead, the same email is being made a Lead for another guest in this batch`);
    } else owners.set(c.key, { w: c.w, guest: c.guest });
  }
  return { entries: [...owners.entries()], remember };
}

/** What Salesforce answered for the batch's Leads (upserted by the guest key, so a retry after a crash updates the Lead it made). */
async function settleLeads(plan: LeadPlan, results: RecordResult[]): Promise<void> {
  const { entries } = plan;
  await plan.remember(entries.filter((_entry, i) => results[i]?.ok).map(([key]) => key));
  entries.forEach(([, owner], i) => {
    const result = results[i];
    const who = `guest ${owner.guest + 1}`;
    if (result?.ok) {
      owner.w.leadNotes.push(`${who}: Lead ${result.id} ${result.created ? 'created' : 'already made by an earlier attempt'}`);
      if (result.created) owner.w.leadsCreated++;
      owner.w.leadId ??= result.id;
    } else if (result && result.faults.some((f) => f.code === 'DUPLICATES_DETECTED')) {
      owner.w.leadNotes.push(`${who}: no Lead, the org's duplicate rule matched an existing record`);
    } else {
      const reason = result ? result.faults.map(describeFault).join('; ') : 'no result';
      const kind = result ? faultsKind(result.faults) : 'transient';
      // A Lead Salesforce refuses for its values is a guest without a Lead, not a lost session:
      // the session is recorded and nothing is dead-lettered. Retry only what may pass later.
      if (kind === 'permanent') owner.w.leadNotes.push(`${who}: no Lead, Salesforce refused it: ${reason}`);
      else {
        owner.w.leadNotes.push(`${who}: Lead refused: ${reason}`);
        owner.w.problems.push({ kind, reason: `Lead for ${who}: ${reason}` });
      }
    }
  });
}

/** What the Chatter path did: the posts it made, and the items whose post must be tried again (at `retryAt` at the earliest). */
export interface ChatterAheadResult {
  posted: OrgBatchItem[];
  waiting: OrgBatchItem[];
  retryAt: number | null;
}

/**
 * The outbox's Chatter path: a join link is only worth something while the session is live, so
 * an org's posts are made from its Chatter pool within the Chatter budget, ahead of the records
 * (which wait for the outbox flush). The same steps as in a full org batch (relate each session
 * to its record, then chatter-once.ts's claims and batch call), so whichever comes first makes
 * the post and the other finds it done. Never throws: a failed call leaves its items waiting.
 */
export async function postChatterAhead(org: Org, items: OrgBatchItem[], salesforce: OrgSalesforce, deps: OrgBatchDeps): Promise<ChatterAheadResult> {
  const work: Work[] = items.map(newWork);
  try {
    await relateRecords(org, work, salesforce);
    await postToChatterOnce(org, work, salesforce, deps);
  } catch (error) {
    deps.log.warn('Chatter posts of the pool failed; they are tried again', { orgId: org.orgId, error: callMessage(error) });
    for (const w of work) w.problems.push({ kind: 'transient', reason: callMessage(error) });
  }
  // A post Salesforce refused for good (a deleted record) is not tried again; passing failures and held claims are.
  const waiting = work.filter((w) => w.problems.some((p) => p.kind === 'transient' || p.kind === 'wait'));
  const retryAts = waiting.flatMap((w) => w.problems.flatMap((p) => (p.retryAt ? [p.retryAt] : [])));
  if (waiting.length) deps.log.warn('some Chatter posts wait for a later try', { orgId: org.orgId, sessions: waiting.length });
  return { posted: work.filter((w) => w.posted).map((w) => w.item), waiting: waiting.map((w) => w.item), retryAt: retryAts.length ? Math.max(...retryAts) : null };
}
