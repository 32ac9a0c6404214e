import type { Org } from './org.ts';
import { describeIssues, sessionEventSchema, type SessionEvent } from './session.ts';
import { routeSessionToOrg } from './org-routing.ts';
import { applyOrgBatch, type OrgBatchItem, type OrgSalesforce } from './org-batch.ts';
import { SalesforceCallError } from './salesforce-errors.ts';
import { PAUSE_MS, pauseReason, type ApiUsage } from './api-allowance.ts';
import type { TraceStore } from './debug-trace.ts';
import type { OrgPause, OrgPauses } from './adapters/org-pauses.ts';
import type { DedupeLedger } from './adapters/dedupe-ledger.ts';
import type { Log } from './log.ts';
import { isLoginFailureCode, noHealthRecorder, type OrgHealthRecorder } from './org-health.ts';

export interface QueuedMessage {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
}

export interface DeadLetterReason {
  reason: string;
  orgIds: string[];
  eventId?: string;
  sessionId?: string;
}

export interface ProcessorDeps {
  ledger: DedupeLedger;
  orgsForGroup(groupId: number): Promise<Org[]>;
  salesforceFor(org: Org): Promise<OrgSalesforce & { apiUsage(): ApiUsage | null }>;
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
  /** Told when an org is paused, for a metric. */
  onPause?(orgId: string, reason: string): void;
  /** How long a claim holds off a concurrent copy of the same event: the queue's visibility timeout. */
  leaseMs: number;
  log: Log;
  /** Where each org's Salesforce login state and last error go, for `orgs list`; none when absent. */
  health?: OrgHealthRecorder;
}

export interface BatchOutcome {
  /** Message ids to hand back to SQS for another try (Lambda's batchItemFailures). */
  retry: string[];
  counts: {
    applied: number;
    duplicate: number;
    stale: number;
    busy: number;
    deadLettered: number;
    retried: number;
    deferred: number;
    skippedOrgs: number;
  };
}

type OrgOutcome = { orgId: string } & (
  | { kind: 'ok' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'permanent' | 'transient' | 'deferred'; reason: string }
);

interface Claimed {
  message: QueuedMessage;
  event: SessionEvent;
  occurredAt: string;
}

const normalize = (iso: string) => new Date(iso).toISOString();

/**
 * One batch from the events queue: dedupe by event id, drop events older than what a session
 * already shows, fan each session out to every org paired with its group, and write each org's
 * records with one collection call. A bad record never fails its neighbours.
 */
export async function processSessionBatch(messages: QueuedMessage[], deps: ProcessorDeps): Promise<BatchOutcome> {
  const counts: BatchOutcome['counts'] = { applied: 0, duplicate: 0, stale: 0, busy: 0, deadLettered: 0, retried: 0, deferred: 0, skippedOrgs: 0 };
  const retry: string[] = [];

  const parsed: Claimed[] = [];
  for (const message of messages) {
    let json: unknown;
    try {
      json = JSON.parse(message.body);
    } catch {
      await deps.deadLetter(message, { reason: 'message body is not JSON', orgIds: [] });
      counts.deadLettered++;
      continue;
    }
    const result = sessionEventSchema.safeParse(json);
    if (!result.success) {
      await deps.deadLetter(message, { reason: `message is not a session event: ${describeIssues(result.error)}`, orgIds: [] });
      counts.deadLettered++;
      continue;
    }
    parsed.push({ message, event: result.data, occurredAt: normalize(result.data.occurredAt) });
  }

  const claims = await Promise.all(parsed.map((c) => deps.ledger.claimEvent(c.event.eventId, deps.leaseMs)));
  const claimed: Claimed[] = [];
  parsed.forEach((c, i) => {
    if (claims[i] === 'claimed') claimed.push(c);
    else if (claims[i] === 'done') counts.duplicate++;
    else {
      counts.busy++;
      retry.push(c.message.messageId);
    }
  });

  // One writer per session: another Lambda writing the same session could land an older write last.
  const sessionIds = [...new Set(claimed.map((c) => c.event.session.id))];
  const locks = await Promise.all(sessionIds.map((id) => deps.ledger.lockSession(id, deps.leaseMs)));
  const applied = new Map<string, string>();
  const held = new Set<string>();
  sessionIds.forEach((id, i) => {
    if (!locks[i]!.locked) return;
    held.add(id);
    if (locks[i]!.lastApplied) applied.set(id, locks[i]!.lastApplied!);
  });
  const writable: Claimed[] = [];
  for (const c of claimed) {
    if (held.has(c.event.session.id)) writable.push(c);
    else {
      counts.busy++;
      retry.push(c.message.messageId);
      await deps.ledger.releaseEvent(c.event.eventId);
    }
  }

  const current: Claimed[] = [];
  for (const c of writable) {
    const newest = applied.get(c.event.session.id);
    if (newest && newest > c.occurredAt) {
      counts.stale++;
      await deps.ledger.completeEvent(c.event.eventId);
    } else current.push(c);
  }

  // Within the batch only the newest event of a session is written; the others share its fate.
  const winners = new Map<string, Claimed>();
  for (const c of current) {
    const best = winners.get(c.event.session.id);
    if (!best || c.occurredAt >= best.occurredAt) winners.set(c.event.session.id, c);
  }
  // Shares split off for different orgs can be the newest together: the winner writes every org
  // they name (null: every org), or the loser's org would be acknowledged unwritten.
  const targets = new Map<string, Set<string> | null>();
  for (const c of current) {
    const id = c.event.session.id;
    if (c.occurredAt !== winners.get(id)!.occurredAt || targets.get(id) === null) continue;
    targets.set(id, c.event.onlyOrgId ? new Set([...(targets.get(id) ?? []), c.event.onlyOrgId]) : null);
  }

  const orgsByGroup = new Map<number, Org[]>();
  for (const groupId of new Set([...winners.values()].map((c) => c.event.session.groupId))) {
    orgsByGroup.set(groupId, await deps.orgsForGroup(groupId));
  }
  const allOrgIds = [...new Set([...orgsByGroup.values()].flat().map((o) => o.orgId))];
  const paused = allOrgIds.length ? await deps.pauses.pausedOrgs(allOrgIds) : new Map<string, OrgPause>();

  const outcomes = new Map<string, OrgOutcome[]>(); // by session id
  const byOrg = new Map<string, { org: Org; items: Claimed[]; batch: OrgBatchItem[] }>();
  for (const c of winners.values()) {
    const list: OrgOutcome[] = [];
    outcomes.set(c.event.session.id, list);
    for (const org of orgsByGroup.get(c.event.session.groupId) ?? []) {
      if (targets.get(c.event.session.id)?.has(org.orgId) === false) continue;
      const route = routeSessionToOrg(c.event.session, org);
      if (!route.record) {
        list.push({ orgId: org.orgId, kind: 'skipped', reason: route.reason });
        counts.skippedOrgs++;
        continue;
      }
      const pause = paused.get(org.orgId);
      if (pause) {
        list.push({ orgId: org.orgId, kind: 'deferred', reason: `org paused until ${pause.until}: ${pause.reason}` });
        continue;
      }
      const entry = byOrg.get(org.orgId) ?? { org, items: [], batch: [] };
      entry.items.push(c);
      entry.batch.push({ event: c.event, occurredAt: c.occurredAt, launchedHere: route.launchedHere, routeReason: route.reason });
      byOrg.set(org.orgId, entry);
    }
  }

  await Promise.all(
    [...byOrg.values()].map(async ({ org, items, batch }) => {
      const results = await writeOrg(org, batch, deps);
      items.forEach((c, i) => outcomes.get(c.event.session.id)!.push(results[i]!));
    }),
  );

  const siblings = (winner: Claimed) => current.filter((c) => c.event.session.id === winner.event.session.id);
  for (const c of winners.values()) {
    const orgOutcomes = outcomes.get(c.event.session.id) ?? [];
    const failed = orgOutcomes.filter((o): o is FailedOutcome => o.kind === 'permanent' || o.kind === 'transient' || o.kind === 'deferred');
    const meta = { eventId: c.event.eventId, sessionId: c.event.session.id };
    const group = siblings(c);
    if (failed.length === 0) {
      await deps.ledger.markApplied(c.event.session.id, c.occurredAt);
      held.delete(c.event.session.id);
      for (const s of group) await deps.ledger.completeEvent(s.event.eventId);
      counts.applied++;
      continue;
    }
    const nothingElseHappened = failed.length === orgOutcomes.length || orgOutcomes.every((o) => o.kind === 'transient' || o.kind === 'skipped');
    if (nothingElseHappened && failed.every((o) => o.kind === 'transient') && c.message.receiveCount < deps.maxReceiveCount) {
      // Every org failed for a passing reason: let SQS redeliver the message as it is.
      for (const s of group) {
        retry.push(s.message.messageId);
        await deps.ledger.releaseEvent(s.event.eventId);
      }
      counts.retried++;
      deps.log.warn('session will be retried', { ...meta, failures: describeOutcomes(failed) });
      continue;
    }
    // Otherwise each failed org gets its own follow-up, so the orgs that succeeded are not written again.
    for (const o of failed) {
      const split = await followUp(c, o, deps);
      if (split === 'dead-lettered') counts.deadLettered++;
      else if (split === 'deferred') counts.deferred++;
      else counts.retried++;
    }
    // The split-off shares carry this version on; without the mark an older event arriving now
    // would overwrite the orgs that already took this one.
    await deps.ledger.markApplied(c.event.session.id, c.occurredAt);
    held.delete(c.event.session.id);
    for (const s of group) await deps.ledger.completeEvent(s.event.eventId);
  }
  // markApplied released the rest; on a crash the locks expire with their lease, as event claims do.
  await Promise.all([...held].map((id) => deps.ledger.unlockSession(id)));
  return { retry, counts };
}

type FailedOutcome = Extract<OrgOutcome, { kind: 'permanent' | 'transient' | 'deferred' }>;

const describeOutcomes = (list: FailedOutcome[]) => list.map((o) => `org ${o.orgId}: ${o.reason}`).join('; ');

/** A paused org's share waits up to this long before it is dead-lettered as undeliverable. */
export const MAX_PAUSE_WAIT_MS = 48 * 3600_000;
const DEFERRAL_DELAY_SECONDS = 900;

/** Dead-letters, re-queues with a back-off, or parks one org's share of an event. */
async function followUp(c: Claimed, failure: FailedOutcome, deps: ProcessorDeps): Promise<'dead-lettered' | 'retried' | 'deferred'> {
  const attempt = (c.event.onlyOrgId ? (c.event.attempt ?? 0) : c.message.receiveCount - 1) + 1;
  const base = c.event.eventId.split('|org:')[0]!;
  const next = (n: number, extra: Partial<SessionEvent> = {}): SessionEvent => ({
    ...c.event,
    eventId: `${base}|org:${failure.orgId}|${n}`,
    onlyOrgId: failure.orgId,
    ...extra,
  });
  const meta = { sessionId: c.event.session.id, orgIds: [failure.orgId] };
  const deadLetter = async (reason: string) => {
    const body = JSON.stringify(next(0, { attempt: 0, waitingSince: undefined }));
    await deps.deadLetter({ ...c.message, body }, { reason, eventId: c.event.eventId, ...meta });
    return 'dead-lettered' as const;
  };
  if (failure.kind === 'permanent') return deadLetter(`Salesforce refused the session: org ${failure.orgId}: ${failure.reason}`);
  if (failure.kind === 'deferred') {
    const since = c.event.waitingSince ?? new Date(deps.now()).toISOString();
    if (deps.now() - Date.parse(since) > MAX_PAUSE_WAIT_MS) return deadLetter(`org ${failure.orgId} stayed paused for 48 hours: ${failure.reason}`);
    await deps.requeue(next(Date.now(), { attempt: c.event.attempt ?? 0, waitingSince: since }), DEFERRAL_DELAY_SECONDS);
    return 'deferred';
  }
  if (attempt >= deps.maxReceiveCount) return deadLetter(`gave up after ${attempt} attempts: org ${failure.orgId}: ${failure.reason}`);
  await deps.requeue(next(attempt, { attempt }), Math.min(900, 30 * 2 ** attempt));
  return 'retried';
}

async function writeOrg(org: Org, batch: OrgBatchItem[], deps: ProcessorDeps): Promise<OrgOutcome[]> {
  const health = deps.health ?? noHealthRecorder;
  // Recorded on every delivery (the recorder writes only changes), so failing credentials show at once.
  const record = (write: Promise<void>) => write.catch((error: Error) => deps.log.warn('could not record org health', { orgId: org.orgId, error: error.message }));
  let loginRecorded = false;
  try {
    const salesforce = await deps.salesforceFor(org).catch(async (error: unknown) => {
      // Refused or missing credentials fail the login; a login endpoint that is down only fails this try.
      if (error instanceof SalesforceCallError && (isLoginFailureCode(error.code) || error.kind === 'permanent')) {
        await record(health.login(org.orgId, 'salesforce', { ok: false, error: error.message }));
        loginRecorded = true;
      }
      throw error;
    });
    await record(health.login(org.orgId, 'salesforce', { ok: true }));
    const { outcomes, traces } = await applyOrgBatch(org, batch, salesforce, { ledger: deps.ledger, log: deps.log, chatterLeaseMs: deps.chatterLeaseMs });
    if (traces.length) {
      await deps.traces.put(traces).catch((error: Error) => deps.log.warn('could not store debug traces', { orgId: org.orgId, error: error.message }));
    }
    const limitHit = outcomes.some((o) => o.kind !== 'ok' && o.reason.includes('REQUEST_LIMIT_EXCEEDED'));
    const reason = pauseReason(salesforce.apiUsage(), limitHit, deps.apiUsageShareLimit);
    if (reason) await pauseOrg(org, reason, deps);
    const refused = outcomes.find((o) => o.kind !== 'ok');
    if (refused && 'reason' in refused) await record(health.error(org.orgId, refused.reason));
    return outcomes.map((o): OrgOutcome => {
      if (o.kind === 'ok') return { orgId: org.orgId, kind: 'ok' };
      // Waiting for the allowance is not a failure of the session: it must not burn its retries.
      if (o.kind === 'transient' && limitHit) return { orgId: org.orgId, kind: 'deferred', reason: o.reason };
      return { orgId: org.orgId, kind: o.kind, reason: o.reason };
    });
  } catch (error) {
    const reason = error instanceof SalesforceCallError ? error.message : `Salesforce call failed: ${(error as Error).message}`;
    deps.log.error('Salesforce call failed for org', { orgId: org.orgId, reason, sessions: batch.length });
    // A refused login was recorded above, with its own reason.
    if (!loginRecorded) {
      if (error instanceof SalesforceCallError && error.kind === 'auth') await record(health.login(org.orgId, 'salesforce', { ok: false, error: reason }));
      else await record(health.error(org.orgId, reason));
    }
    if (error instanceof SalesforceCallError && error.kind === 'limit') {
      await pauseOrg(org, pauseReason(null, true, deps.apiUsageShareLimit)!, deps);
      return batch.map(() => ({ orgId: org.orgId, kind: 'deferred', reason }));
    }
    return batch.map(() => ({ orgId: org.orgId, kind: 'transient', reason }));
  }
}

async function pauseOrg(org: Org, reason: string, deps: ProcessorDeps): Promise<void> {
  const until = new Date(deps.now() + PAUSE_MS).toISOString();
  await deps.pauses.pause(org.orgId, { until, reason });
  deps.onPause?.(org.orgId, reason);
  deps.log.warn('org paused: its sessions wait until the Salesforce API allowance recovers', { orgId: org.orgId, until, reason });
}
