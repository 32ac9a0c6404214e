import { postChatterAhead } from './org-batch.ts';
import { planOrgShares } from './org-writes.ts';
import { chatterPoolMs, outboxEnabled, type OutboxEntry } from './outbox.ts';
import { countChatterForRun, emptyTally, type SessionWrite, type Tally } from './batch-state.ts';
import type { ProcessorDeps } from './session-processing.ts';

/**
 * The Chatter post of a session whose live version reached the pipeline only after a newer
 * (ended) version was applied: two deliveries of one session racing for its writer lock (a
 * backlog puts session.started and session.ended in concurrent batches), or a started webhook
 * delayed past the sync's pull. The live version is stale for the records (the newer one is
 * written), but the session reached us live, so its post is due (docs/exactly-once.md, "Chatter"):
 * it goes where a current version's post goes (the org's Chatter pool, or posted at once without
 * one), through chatter-once's claims, so a post already made is not made again.
 * Returns the ids of the sessions whose posts could not be settled now for a passing reason (the
 * caller hands their messages back).
 */
export async function postLateChatter(sessions: SessionWrite[], deps: ProcessorDeps, tally: Tally): Promise<Set<string>> {
  const flush = deps.outboxFlush;
  const pooled = !!flush?.scheduleChatterFlush && outboxEnabled(flush.policy);
  // Routing only: what it counts (skipped orgs) was counted for the session's written version.
  // No breaker gate here: it would take a paused org's probe without reporting the probe's result.
  const shares = await planOrgShares(sessions, deps, emptyTally(), false);
  // A paused org's late post is not waited for on the direct path: handing the message back for
  // the whole pause would wear it out (maxReceiveCount) for a session already written. Known gap:
  // without a Chatter pool that post is not made; with one (the stack) it waits in the pool.
  const paused = !pooled && shares.length ? await deps.pauses.pausedOrgs(shares.map((s) => s.org.orgId)) : new Map();
  if (paused.size) deps.log.warn('late Chatter posts of a paused org are not made', { orgIds: [...paused.keys()] });
  const retry = new Set<string>();
  await Promise.all(
    shares.map(async ({ org, batch }) => {
      if (!org.settings.chatterOnSessionStart || paused.has(org.orgId)) return;
      const items = batch.map((item) => ({ ...item, reachedLive: true }));
      try {
        if (pooled) {
          const at = deps.now();
          const entries: OutboxEntry[] = items.map((item) => ({ orgId: org.orgId, sessionId: item.event.session.id, ...item, enqueuedAt: at, attempts: 0 }));
          if (await flush!.outbox.putChatter(org.orgId, entries)) await flush!.scheduleChatterFlush!(org.orgId, chatterPoolMs(flush!.policy) / 1000);
          return;
        }
        const salesforce = await deps.salesforceFor(org);
        const { posted, waiting } = await postChatterAhead(org, items, salesforce, { ledger: deps.ledger, log: deps.log, chatterLeaseMs: deps.chatterLeaseMs });
        for (const item of posted) if (item.event.syncRun?.orgId === org.orgId) countChatterForRun(tally, item.event);
        for (const item of waiting) retry.add(item.event.session.id);
      } catch (error) {
        deps.log.warn('late Chatter posts wait for a retry', { orgId: org.orgId, error: (error as Error).message });
        for (const item of items) retry.add(item.event.session.id);
      }
    }),
  );
  return retry;
}
