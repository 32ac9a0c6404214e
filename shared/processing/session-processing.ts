import type { Org } from '../org.ts';
import { describeIssues, sessionEventSchema, type SessionEvent } from '../session.ts';
import type { DeadLetterReason, QueuedMessage } from '../dead-letter.ts';
import type { ApiUsage } from '../api-allowance.ts';
import type { TraceStore } from '../debug-trace.ts';
import type { Log } from '../log.ts';
import type { OrgHealthRecorder } from '../org-health.ts';
import type { RunEffectsWriter } from '../sync/run-effects.ts';
import type { DedupeLedger } from './ledger.ts';
import type { OrgSalesforce } from './org-batch.ts';
import { addRunEffects, attributeToRun, emptyTally, type Claimed, type SessionWrite, type Tally } from './batch-state.ts';
import { hasEnded } from '../chatter.ts';
import { writeToOrgs } from './org-writes.ts';
import { settleSessions } from './settle.ts';
import { sendBatchAdminRecords, type RunRecordDeps } from './admin-records.ts';
import { flushChatter, flushOrg, type FlushDeps } from './flush.ts';
import { enqueueToOrgs } from './outbox-writes.ts';
import { postLateChatter } from './late-chatter.ts';
import { chatterFlushSchema, outboxEnabled } from './outbox.ts';
import type { DescribeCache, KnownLeads } from './org-caches.ts';
import { mergeSessionVersions, type SourcedSession } from '../session-sources.ts';

/** Why an org is paused: its API allowance, repeated failures (an outage), or refused credentials. */
export type PauseKind = 'allowance' | 'outage' | 'credentials' | 'setup';

export interface OrgPause {
  /** Until when its shares wait (ISO); after it, one invocation probes the org. */
  until: string;
  reason: string;
  /** When the trouble began (ISO): the first failure of an outage, or the pause itself. */
  since?: string;
  kind?: PauseKind;
  /** Failed probes so far, the exponent of the probe back-off. */
  probes?: number;
}

/** What the circuit breaker knows of an org: its pause (current or run out), and failures not yet tripping it. */
export interface OrgHealth {
  pause: OrgPause | null;
  /** Consecutive failed writes of the org's shares since its last success. */
  failures: number;
}

/**
 * The per-org circuit breaker's state (HEALTH#{orgId} in the orgs table, written only by the
 * processor): a paused org's shares wait on the queue while other orgs go on.
 */
export interface OrgPauses {
  /** Orgs paused now (until in the future). */
  pausedOrgs(orgIds: string[]): Promise<Map<string, OrgPause>>;
  /** The health of the given orgs that have any (a pause, current or over, or failures). */
  health(orgIds: string[]): Promise<Map<string, OrgHealth>>;
  pause(orgId: string, pause: OrgPause): Promise<void>;
  /** Counts one more failed write; returns the consecutive failures and when they began (ISO). */
  recordFailure(orgId: string, reason: string): Promise<{ failures: number; since: string }>;
  /** The org answered: its failures and pause are forgotten. */
  recover(orgId: string): Promise<void>;
  /**
   * Takes the one probe of an org whose pause has run out, for `leaseMs`; false when another
   * invocation is probing it (its shares keep waiting meanwhile).
   */
  claimProbe(orgId: string, leaseMs: number): Promise<boolean>;
}

export interface ProcessorDeps {
  ledger: DedupeLedger;
  orgsForGroup(groupId: number): Promise<Org[]>;
  salesforceFor(org: Org): Promise<OrgSalesforce & { apiUsage(): ApiUsage | null }>;
  /** Drops a cached connection whose credentials Salesforce refused, so the next try reads them again. */
  forgetSalesforce?(orgId: string): void;
  /** Where Debug Mode's traces go; orgs with Debug Mode off store none. */
  traces: TraceStore;
  chatterLeaseMs: number;
  deadLetter(message: QueuedMessage, reason: DeadLetterReason): Promise<void>;
  maxReceiveCount: number;
  pauses: OrgPauses;
  /** Puts an event back on the events queue after a delay (one org's share, split off). */
  requeue(event: SessionEvent, delaySeconds: number): Promise<void>;
  /** Pause an org once its daily API usage passes this share of its allowance. */
  apiUsageShareLimit: number;
  now(): number;
  /** Told when an org is paused (also again after a failed probe): a metric, the pipeline's Org Paused event; `until` as stored. */
  onPause?(orgId: string, reason: string, until: string): void | Promise<void>;
  /** How long a claim holds off a concurrent copy of the same event: the queue's visibility timeout. */
  leaseMs: number;
  log: Log;
  /** Describe results kept between Lambdas (refreshed daily and on INVALID_FIELD); absent: one describe per warm Lambda. */
  describeCache?: DescribeCache;
  /** Emails known to be Leads per org, so a flush need not query them again; absent: always queried. */
  knownLeads?: KnownLeads;
  /** With a positive record budget, shares wait in each org's outbox (outbox.ts); absent: written at once. */
  outboxFlush?: FlushDeps;
  /** Where each org's Salesforce login state and last error go, for `orgs list`; none when absent. */
  health?: OrgHealthRecorder;
  /** Where what a sync run's events did goes, for Sync History; none when absent. */
  runEffects?: RunEffectsWriter;
  /** Sync History for a run's final Glance_Sync_Run__c, written to its org by the batch that settles its last events; none when absent (Debug Mode's logs are written either way). */
  runRecords?: Pick<RunRecordDeps, 'history' | 'runEffects'> & { getOrg(orgId: string): Promise<Org | null> };
}

export type BatchOutcome = Tally;

/**
 * One batch from the events queue: dedupe by event id, drop events older than what a session
 * already shows, fan each session out to every org paired with its group, and write each org's
 * records with one collection call. A bad record never fails its neighbours.
 * Returns the message ids to hand back to SQS (Lambda's batchItemFailures) and counts by outcome.
 */
export async function processSessionBatch(messages: QueuedMessage[], deps: ProcessorDeps): Promise<BatchOutcome> {
  const tally = emptyTally();
  const chatterFlushes = new Set<string>();
  const events = await readEvents(messages, deps, tally, chatterFlushes);
  const claimed = await claimEvents(events, deps, tally);
  const locks = await lockSessions(claimed, deps, tally);
  const current = await dropStaleEvents(locks, deps, tally);
  const sessions = newestPerSession(current, locks.reachedLive, locks.lastApplied);
  const outboxFlush = deps.outboxFlush;
  const due = outboxFlush && outboxEnabled(outboxFlush.policy) ? await enqueueToOrgs(sessions, { ...deps, outboxFlush }, tally) : [];
  if (!outboxFlush || !outboxEnabled(outboxFlush.policy)) await writeToOrgs(sessions, deps, tally);
  await settleSessions(sessions, locks.held, deps, tally);
  // Settling released the locks of the sessions it marked; on a crash the rest expire with their
  // lease, as event claims do.
  await Promise.all([...locks.held].map((id) => deps.ledger.unlockSession(id)));
  await addRunEffects(tally, deps);
  await sendBatchAdminRecords(tally, deps);
  // The batch is settled: a flush failing now leaves the shares in the outbox, not on the queue.
  for (const orgId of due) {
    await flushOrg(orgId, outboxFlush!).catch((error: Error) => deps.log.error('outbox flush failed', { orgId, error: error.message }));
  }
  if (chatterFlushes.size && deps.outboxFlush) {
    const posts = emptyTally();
    for (const orgId of chatterFlushes) {
      await flushChatter(orgId, deps.outboxFlush, posts).catch((error: Error) => deps.log.error('Chatter pool flush failed', { orgId, error: error.message }));
    }
    await addRunEffects(posts, deps);
  }
  return tally;
}

const normalize = (iso: string) => new Date(iso).toISOString();

/** Reads each message as a session event; what is not one is dead-lettered with the reason. */
async function readEvents(messages: QueuedMessage[], deps: ProcessorDeps, tally: Tally, chatterFlushes: Set<string>): Promise<Claimed[]> {
  const events: Claimed[] = [];
  for (const message of messages) {
    let json: unknown;
    try {
      json = JSON.parse(message.body);
    } catch {
      await deps.deadLetter(message, { reason: 'message body is not JSON', orgIds: [] });
      tally.counts.deadLettered++;
      continue;
    }
    // An org's Chatter pool timer (outbox.ts): flushed after the batch, nothing to claim (the posts are claimed).
    const flush = chatterFlushSchema.safeParse(json);
    if (flush.success) {
      chatterFlushes.add(flush.data.chatterFlush.orgId);
      continue;
    }
    const result = sessionEventSchema.safeParse(json);
    if (!result.success) {
      await deps.deadLetter(message, { reason: `message is not a session event: ${describeIssues(result.error)}`, orgIds: [] });
      tally.counts.deadLettered++;
      continue;
    }
    events.push({ message, event: result.data, occurredAt: normalize(result.data.occurredAt) });
  }
  return events;
}

/** Claims each event id in the ledger: a finished event is a duplicate, one in progress elsewhere is retried. */
async function claimEvents(events: Claimed[], deps: ProcessorDeps, tally: Tally): Promise<Claimed[]> {
  const claims = await Promise.all(events.map((c) => deps.ledger.claimEvent(c.event.eventId, deps.leaseMs)));
  return events.filter((c, i) => {
    if (claims[i] === 'claimed') return true;
    if (claims[i] === 'done') {
      tally.counts.duplicate++;
      attributeToRun(tally, c.event, { kind: 'unchanged' });
    }
    else {
      tally.counts.busy++;
      tally.retry.push(c.message.messageId);
    }
    return false;
  });
}

interface SessionLocks {
  /** Events of the sessions this invocation holds. */
  writable: Claimed[];
  /** Sessions locked and not yet released. */
  held: Set<string>;
  /** When each held session's newest applied event happened. */
  lastApplied: Map<string, string>;
  /** Held sessions whose first version taken by the pipeline was live. */
  reachedLive: Set<string>;
}

/**
 * One writer per session: another Lambda writing the same session could land an older write
 * last. Events of a session locked elsewhere are released and retried.
 */
async function lockSessions(claimed: Claimed[], deps: ProcessorDeps, tally: Tally): Promise<SessionLocks> {
  const sessionIds = [...new Set(claimed.map((c) => c.event.session.id))];
  // How the earliest version of each session in this batch looked: the lock keeps the first ever.
  const earliest = new Map<string, Claimed>();
  for (const c of claimed) {
    const e = earliest.get(c.event.session.id);
    if (!e || c.occurredAt < e.occurredAt) earliest.set(c.event.session.id, c);
  }
  const locks = await Promise.all(
    sessionIds.map((id) => deps.ledger.lockSession(id, deps.leaseMs, hasEnded(earliest.get(id)!.event.session) ? 'ended' : 'live')),
  );
  const held = new Set<string>();
  const lastApplied = new Map<string, string>();
  const reachedLive = new Set<string>();
  sessionIds.forEach((id, i) => {
    if (!locks[i]!.locked) return;
    held.add(id);
    if (locks[i]!.lastApplied) lastApplied.set(id, locks[i]!.lastApplied!);
    if (locks[i]!.reachedLive) reachedLive.add(id);
  });
  const writable = claimed.filter((c) => held.has(c.event.session.id));
  const busy = claimed.filter((c) => !held.has(c.event.session.id));
  for (const c of busy) {
    tally.counts.busy++;
    tally.retry.push(c.message.messageId);
  }
  await Promise.all(busy.map((c) => deps.ledger.releaseEvent(c.event.eventId)));
  return { writable, held, lastApplied, reachedLive };
}

/**
 * An event older than what its session already shows is done without a write. A live one of a
 * session with no current event here may still owe the session its Chatter post (late-chatter.ts):
 * it is done once that post is settled, else handed back.
 */
async function dropStaleEvents(locks: SessionLocks, deps: ProcessorDeps, tally: Tally): Promise<Claimed[]> {
  const isStale = (c: Claimed) => {
    const newest = locks.lastApplied.get(c.event.session.id);
    return !!newest && newest > c.occurredAt;
  };
  const current = locks.writable.filter((c) => !isStale(c));
  const stale = locks.writable.filter(isStale);
  const withCurrent = new Set(current.map((c) => c.event.session.id));
  const late = stale.filter((c) => !hasEnded(c.event.session) && locks.reachedLive.has(c.event.session.id) && !withCurrent.has(c.event.session.id));
  const retry = late.length ? await postLateChatter(newestPerSession(late, locks.reachedLive, locks.lastApplied), deps, tally) : new Set<string>();
  const handBack = stale.filter((c) => retry.has(c.event.session.id));
  const done = stale.filter((c) => !retry.has(c.event.session.id));
  tally.counts.stale += done.length;
  for (const c of done) attributeToRun(tally, c.event, { kind: 'unchanged' });
  for (const c of handBack) tally.retry.push(c.message.messageId);
  await Promise.all([...done.map((c) => deps.ledger.completeEvent(c.event.eventId)), ...handBack.map((c) => deps.ledger.releaseEvent(c.event.eventId))]);
  return current;
}

/**
 * Within the batch only the newest event of a session is written (the last of equals). Shares
 * split off for different orgs can be the newest together: the write covers every org they name
 * (or every org, when one of them names none), or the other share's org would be acknowledged
 * unwritten.
 */
function newestPerSession(current: Claimed[], reachedLive: Set<string>, lastApplied: Map<string, string>): SessionWrite[] {
  const sessions = new Map<string, SessionWrite>();
  for (const c of current) {
    const id = c.event.session.id;
    const s = sessions.get(id);
    if (!s) sessions.set(id, { newest: c, events: [c], onlyOrgs: null, outcomes: [], reachedLive: reachedLive.has(id) });
    else {
      s.events.push(c);
      if (c.occurredAt >= s.newest.occurredAt) s.newest = c;
    }
  }
  for (const s of sessions.values()) {
    const tied = s.events.filter((c) => c.occurredAt === s.newest.occurredAt);
    s.onlyOrgs = tied.every((c) => c.event.onlyOrgId) ? new Set(tied.map((c) => c.event.onlyOrgId!)) : null;
    // A share split off from the first version is still the first in its org, unless something newer was applied since.
    const applied = lastApplied.get(s.newest.event.session.id);
    s.version = knownVersion(s, applied === undefined || (s.newest.event.firstVersion === true && applied === s.newest.occurredAt));
  }
  return [...sessions.values()];
}

/**
 * The event written for a session (SessionWrite.version). A webhook and a pulled snapshot of one
 * session in the same batch: the one written is the newest, but it carries what the others alone
 * know (origin, join link, …), by the merge rule of session-sources.ts, folded oldest first (ties
 * in arrival order, as the newest is chosen). Its source says whose knowledge it carries, and
 * `firstVersion` whether no earlier version was applied: both travel with it into the outbox and
 * into a share split off for a failed org.
 */
function knownVersion(s: SessionWrite, firstVersion: boolean): SessionEvent {
  const others = s.events.filter((c) => c !== s.newest).sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
  let known: SourcedSession | null = null;
  for (const c of [...others, s.newest]) {
    // What a webhook told stays a webhook's knowledge when a later pull is folded in.
    known = known ? { source: known.source === 'webhook' ? 'webhook' : c.event.source, session: mergeSessionVersions(known, c.event) } : c.event;
  }
  const { firstVersion: _inherited, ...newest } = s.newest.event;
  return { ...newest, source: known!.source, session: known!.session, ...(firstVersion && { firstVersion: true as const }) };
}
