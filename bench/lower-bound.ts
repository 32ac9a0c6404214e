import { CHATTER_BATCH_LIMIT, COLLECTION_LIMIT } from '../shared/adapters/salesforce.ts';
import { chatterDecision } from '../shared/chatter.ts';
import { leadDecisions } from '../shared/guest-leads.ts';
import type { Org } from '../shared/org.ts';
import { routeSessionToOrg } from '../shared/processing/org-routing.ts';
import { chunkForIn } from '../shared/soql.ts';
import type { OrgExpectation } from './expectations.ts';
import type { TimedArrival } from './sim/timeline.ts';

export interface LowerBound {
  describe: number;
  leadQueries: number;
  leadWrites: number;
  sessionWrites: number;
  chatter: number;
  total: number;
}

/** Describes relating records by id prefix needs: the global describe and Glance_Session__c's. */
const DESCRIBE_CALLS = 2;

/**
 * The batch-limit bound: the fewest calls the batch limits allow if one writer saw the whole day
 * at once: each session record written once, each candidate email checked once in IN lists as
 * long as a query URI allows (the same chunking rule the pipeline must obey), Leads and sessions
 * 200 per collection, Chatter 500 per batch, and the two describes. Ignores the latency budget.
 */
export function lowerBound(e: OrgExpectation): LowerBound {
  const leadQueries = chunkForIn(e.candidateEmails).length;
  const leadWrites = Math.ceil(e.newLeads / COLLECTION_LIMIT);
  const sessionWrites = Math.ceil(e.records / COLLECTION_LIMIT);
  const chatter = Math.ceil(e.chatterPosts / CHATTER_BATCH_LIMIT);
  return { describe: DESCRIBE_CALLS, leadQueries, leadWrites, sessionWrites, chatter, total: DESCRIBE_CALLS + leadQueries + leadWrites + sessionWrites + chatter };
}

/** Composite (BRIEF, "What a real org enforces"): one call, at most 5 subrequests that are sObject Collections or queries. */
export const COMPOSITE_HEAVY_SUBREQUESTS = 5;

export interface LatencyAwareBound {
  describe: number;
  /** Composite calls carrying the Lead queries (a flush with an email not yet known pays one before it writes). */
  queryCalls: number;
  /** Composite calls carrying the Lead and session collections. */
  writeCalls: number;
  chatter: number;
  /** Times the org's records had to be written because the oldest had waited the record budget (or a Composite was full). */
  flushes: number;
  total: number;
}

/**
 * The latency-aware bound for one org: the fewest calls that still meet the latency promises,
 * given when each event arrives. Records are gathered from the first waiting one and written when
 * it has waited the record budget (greedy, which needs the fewest writes for a deadline per item),
 * or sooner when a Composite would be full: Lead queries, Lead upserts and session upserts go in
 * Composite calls of at most 5 collections or queries each; the writes depend on the query's
 * answer, so a flush with emails not seen before costs a query call and then a write call, one
 * without costs the write call alone. Every email is checked once a day (a cache of emails known
 * to be Leads), every Lead created once, each version of a session written once per flush.
 * Chatter posts go in batches of 500 within the Chatter budget of their session.started. Plus the
 * two describes once a day (cached). Nothing real can do better under those rules.
 */
export function latencyAwareBound(org: Org, arrivals: TimedArrival[], knownEmails: Set<string>, budget: { recordMs: number; chatterMs: number }): LatencyAwareBound {
  const records: Array<{ at: number; sessionId: string; emails: string[] }> = [];
  const posts: number[] = [];
  for (const a of arrivals) {
    const session = a.event.session;
    if (!org.groups.includes(session.groupId)) continue;
    const route = routeSessionToOrg(session, org);
    if (!route.record) continue;
    const emails = leadDecisions(session, org).flatMap((d) => (d.action === 'candidate' ? [d.key] : []));
    records.push({ at: a.at, sessionId: session.id, emails });
    const related = route.launchedHere ? (session.origin?.recordId ?? null) : null;
    if (a.event.type === 'session.started' && chatterDecision(session, org.settings.chatterOnSessionStart, related).post) posts.push(a.at);
  }
  const perComposite = COMPOSITE_HEAVY_SUBREQUESTS * COLLECTION_LIMIT;
  const checked = new Set<string>();
  let queryCalls = 0;
  let writeCalls = 0;
  let flushes = 0;
  for (let i = 0; i < records.length; ) {
    const open = records[i]!.at;
    const sessions = new Set<string>();
    const fresh = new Set<string>();
    while (i < records.length && records[i]!.at <= open + budget.recordMs && sessions.size < perComposite) {
      sessions.add(records[i]!.sessionId);
      for (const e of records[i]!.emails) if (!checked.has(e)) fresh.add(e);
      i++;
    }
    flushes++;
    for (const e of fresh) checked.add(e);
    const newLeads = [...fresh].filter((e) => !knownEmails.has(e)).length;
    if (fresh.size) queryCalls += Math.ceil(chunkForIn([...fresh]).length / COMPOSITE_HEAVY_SUBREQUESTS);
    writeCalls += Math.ceil((Math.ceil(newLeads / COLLECTION_LIMIT) + Math.ceil(sessions.size / COLLECTION_LIMIT)) / COMPOSITE_HEAVY_SUBREQUESTS);
  }
  let chatter = 0;
  for (let i = 0; i < posts.length; ) {
    const open = posts[i]!;
    let n = 0;
    while (i < posts.length && posts[i]! <= open + budget.chatterMs) {
      n++;
      i++;
    }
    chatter += Math.ceil(n / CHATTER_BATCH_LIMIT);
  }
  const describe = records.length ? DESCRIBE_CALLS : 0;
  return { describe, queryCalls, writeCalls, chatter, flushes, total: describe + queryCalls + writeCalls + chatter };
}
