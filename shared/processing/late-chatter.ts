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
 * Returns the ids of the sessions whose posts could not be settled now (the caller hands their
 * messages back; a paused org on the direct path waits the same way).
 */
export async function postLateChatter(sessions: SessionWrite[], deps: ProcessorDeps, tally: Tally): Promise<Set<string>> {
  const flush = deps.outboxFlush;
  const pooled = !!flush?.scheduleChatterFlush && outboxEnabled(flush.policy);
  // Routing only: what it counts (skipped orgs) was counted for the session's written version.
  const shares = await planOrgShares(sessions, deps, emptyTally(), !pooled);
  const retry = new Set(sessions.filter((s) => s.outcomes.some((o) => o.kind === 'deferred')).map((s) => s.newest.event.session.id));
  await Promise.all(
    shares.map(async ({ org, batch }) => {
      if (!org.settings.chatterOnSessionStart) return;
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
