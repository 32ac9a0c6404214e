import { postChatterAhead } from './org-batch.ts';
import { planOrgShares } from './org-writes.ts';
import { chatterPoolMs, flushIsDue, type OutboxEntry, type OutboxPut } from './outbox.ts';
import { mergeSessionVersions } from '../session-sources.ts';
import { routeSessionToOrg } from './org-routing.ts';
import type { Org } from '../org.ts';
import { attributeToRun, countChatterForRun, type SessionWrite, type Tally } from './batch-state.ts';
import type { ProcessorDeps } from './session-processing.ts';
import type { FlushDeps } from './flush.ts';

/** What the processor needs to put shares in the outbox instead of writing them at once. */
export type OutboxProcessorDeps = ProcessorDeps & { outboxFlush: FlushDeps };

/**
 * The processor's side of the outbox: each org's share of the batch goes into the org's outbox
 * (paused orgs' too: their outbox simply waits), the org's Chatter posts are made at once on
 * their own path, and an org whose outbox is due (about `flushRecords` waiting, or the oldest
 * has waited the record budget) is returned to be flushed by this invocation. A share counts as
 * written once it is in the outbox: the session's version is recorded then, so an older event
 * arriving later is stale, and the outbox never replaces a newer version with an older one.
 */
export async function enqueueToOrgs(sessions: SessionWrite[], deps: OutboxProcessorDeps, tally: Tally): Promise<string[]> {
  const shares = await planOrgShares(sessions, deps, tally, false);
  const paused = shares.length ? await deps.pauses.pausedOrgs(shares.map((s) => s.org.orgId)) : new Map();
  const due: string[] = [];
  const at = deps.now();
  await Promise.all(
    shares.map(async ({ org, sessions: written, batch }) => {
      const entries: OutboxEntry[] = batch.map((item) => ({
        orgId: org.orgId,
        sessionId: item.event.session.id,
        event: item.event,
        occurredAt: item.occurredAt,
        launchedHere: item.launchedHere,
        routeReason: item.routeReason,
        reachedLive: item.reachedLive,
        enqueuedAt: at,
        attempts: 0,
      }));
      try {
        const state = await deps.outboxFlush.outbox.put(org.orgId, entries, deps.outboxFlush.policy.recordBudgetMs);
        await keepReplacedKnowledge(org, entries, state.puts, deps);
        written.forEach((s, i) => {
          const put = state.puts[i];
          // An older version than the outbox holds is superseded there: done, nothing to write.
          s.outcomes.push(put?.status === 'older' ? { orgId: org.orgId, kind: 'ok' } : { orgId: org.orgId, kind: 'ok', queued: true });
          // The version it replaced will never be written: its sync run learns so now.
          const replaced = put?.status === 'replaced' ? put.replaced : null;
          if (replaced && replaced.eventId !== entries[i]!.event.eventId && replaced.syncRun?.orgId === org.orgId) attributeToRun(tally, replaced, { kind: 'unchanged' });
        });
        if (flushIsDue(state, at, deps.outboxFlush.policy) && !paused.has(org.orgId)) due.push(org.orgId);
      } catch (error) {
        const reason = `outbox write failed: ${(error as Error).message}`;
        deps.log.error('could not put shares in the org outbox', { orgId: org.orgId, reason });
        written.forEach((s) => s.outcomes.push({ orgId: org.orgId, kind: 'transient', reason }));
        return;
      }
      // The org's posts go in its Chatter pool, flushed within the Chatter budget (flush.ts
      // flushChatter); chatter-once decides there (a session that reached us live gets its post
      // even if it has ended since). Only shares that may relate to a record can want a post.
      const mayPost = org.settings.chatterOnSessionStart
        ? entries.filter((e) => (e.reachedLive ?? true) && ((e.launchedHere && e.event.session.origin?.recordId) || Object.keys(org.settings.recordMapping).length > 0))
        : [];
      if (mayPost.length === 0 || due.includes(org.orgId)) return;
      try {
        await poolChatter(org, mayPost, deps, tally, paused.has(org.orgId));
      } catch (error) {
        deps.log.warn('Chatter posts wait for the outbox flush', { orgId: org.orgId, error: (error as Error).message });
      }
    }),
  );
  return due;
}

/**
 * Puts the posts in the org's Chatter pool and, when this opened the pool, schedules its flush
 * `chatterPoolMs` later (a paused org's posts wait there too: the flush finds the pause). Without
 * a scheduler (the rules' unit tests) the posts are made at once, unless the org is paused.
 */
async function poolChatter(org: Org, entries: OutboxEntry[], deps: OutboxProcessorDeps, tally: Tally, paused: boolean): Promise<void> {
  const flush = deps.outboxFlush;
  if (!flush.scheduleChatterFlush) {
    if (paused) return;
    const salesforce = await deps.salesforceFor(org);
    const { posted } = await postChatterAhead(org, entries, salesforce, { ledger: deps.ledger, log: deps.log, chatterLeaseMs: deps.chatterLeaseMs });
    for (const item of posted) if (item.event.syncRun?.orgId === org.orgId) countChatterForRun(tally, item.event);
    return;
  }
  if (await flush.outbox.putChatter(org.orgId, entries)) await flush.scheduleChatterFlush(org.orgId, chatterPoolMs(flush.policy) / 1000);
}

/**
 * A version that waited in the outbox and was replaced by a newer one is never written: when it
 * knew what the newer one does not (a webhook's origin under a later pull), the newer entry is put
 * again carrying both (session-sources.ts), at the same version, so the flush writes them.
 */
async function keepReplacedKnowledge(org: Org, entries: OutboxEntry[], puts: OutboxPut[], deps: OutboxProcessorDeps): Promise<void> {
  const merged: OutboxEntry[] = [];
  entries.forEach((entry, i) => {
    const put = puts[i];
    const replaced = put?.status === 'replaced' ? put.replaced : null;
    if (!replaced || replaced.eventId === entry.event.eventId || replaced.session.id !== entry.sessionId) return;
    const source = replaced.source === 'webhook' ? 'webhook' : entry.event.source;
    const session = mergeSessionVersions(replaced, entry.event);
    if (source === entry.event.source && JSON.stringify(session) === JSON.stringify(entry.event.session)) return;
    // Routed again: the origin the webhook brought decides whether the session was launched here.
    const route = routeSessionToOrg(session, org);
    const here = route.record ? { launchedHere: route.launchedHere, routeReason: route.reason } : {};
    merged.push({ ...entry, ...here, event: { ...entry.event, source, session } });
  });
  if (merged.length) await deps.outboxFlush.outbox.put(org.orgId, merged, deps.outboxFlush.policy.recordBudgetMs);
}
