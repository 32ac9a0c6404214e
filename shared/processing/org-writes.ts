import type { Org } from '../org.ts';
import { isSetupFault, SalesforceCallError } from '../salesforce-errors.ts';
import { PAUSE_MS, pauseReason } from '../api-allowance.ts';
import { routeSessionToOrg } from './org-routing.ts';
import { applyOrgBatch, type OrgBatchItem } from './org-batch.ts';
import type { Claimed, OrgOutcome, SessionWrite, Tally } from './batch-state.ts';
import type { OrgPause, ProcessorDeps } from './session-processing.ts';
import { isLoginFailureCode, noHealthRecorder } from '../org-health.ts';

interface OrgShare {
  org: Org;
  sessions: SessionWrite[];
  batch: OrgBatchItem[];
}

/**
 * Fans each session out to the orgs paired with its group: routes it (recorded here or not),
 * holds it back from paused orgs, then writes each org's share in one batch, the orgs in
 * parallel. Every org considered gets an outcome on its session.
 */
export async function writeToOrgs(sessions: SessionWrite[], deps: ProcessorDeps, tally: Tally): Promise<void> {
  const shares = await planOrgShares(sessions, deps, tally);
  await Promise.all(
    shares.map(async ({ org, sessions: written, batch }) => {
      const results = await writeOrg(org, batch, deps);
      written.forEach((s, i) => s.outcomes.push(results[i]!));
    }),
  );
}

async function planOrgShares(sessions: SessionWrite[], deps: ProcessorDeps, tally: Tally): Promise<OrgShare[]> {
  const orgsByGroup = new Map<number, Org[]>();
  for (const groupId of new Set(sessions.map((s) => s.newest.event.session.groupId))) {
    orgsByGroup.set(groupId, await deps.orgsForGroup(groupId));
  }
  const allOrgIds = [...new Set([...orgsByGroup.values()].flat().map((o) => o.orgId))];
  const paused = allOrgIds.length ? await deps.pauses.pausedOrgs(allOrgIds) : new Map<string, OrgPause>();

  const byOrg = new Map<string, OrgShare>();
  for (const s of sessions) {
    const c: Claimed = s.newest;
    for (const org of orgsByGroup.get(c.event.session.groupId) ?? []) {
      if (s.onlyOrgs && !s.onlyOrgs.has(org.orgId)) continue;
      const route = routeSessionToOrg(c.event.session, org);
      if (!route.record) {
        s.outcomes.push({ orgId: org.orgId, kind: 'skipped', reason: route.reason });
        tally.counts.skippedOrgs++;
        continue;
      }
      const pause = paused.get(org.orgId);
      if (pause) {
        s.outcomes.push({ orgId: org.orgId, kind: 'deferred', reason: `org paused until ${pause.until}: ${pause.reason}` });
        continue;
      }
      const share = byOrg.get(org.orgId) ?? { org, sessions: [], batch: [] };
      share.sessions.push(s);
      share.batch.push({ event: c.event, occurredAt: c.occurredAt, launchedHere: route.launchedHere, routeReason: route.reason });
      byOrg.set(org.orgId, share);
    }
  }
  return [...byOrg.values()];
}

/** Writes one org's share; never throws: a failed call becomes an outcome for every session in it. */
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
    const setup = outcomes.flatMap((o) => (o.kind === 'setup' ? [o.reason] : []))[0];
    if (setup) await pauseOrg(org, setupPauseReason(org, setup), deps);
    else if (reason) await pauseOrg(org, reason, deps);
    const refused = outcomes.find((o) => o.kind !== 'ok');
    if (refused && 'reason' in refused) await record(health.error(org.orgId, refused.reason));
    return outcomes.map((o): OrgOutcome => {
      if (o.kind === 'ok') return { orgId: org.orgId, kind: 'ok', effects: o.effects };
      // The org must be fixed first: the session waits (deferred) rather than burning retries.
      if (o.kind === 'setup') return { orgId: org.orgId, kind: 'deferred', reason: o.reason };
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
    if (error instanceof SalesforceCallError && isSetupFault(error.code, error.message)) {
      await pauseOrg(org, setupPauseReason(org, reason), deps);
      return batch.map(() => ({ orgId: org.orgId, kind: 'deferred', reason }));
    }
    if (error instanceof SalesforceCallError && error.kind === 'limit') {
      await pauseOrg(org, pauseReason(null, true, deps.apiUsageShareLimit)!, deps);
      return batch.map(() => ({ orgId: org.orgId, kind: 'deferred', reason }));
    }
    return batch.map(() => ({ orgId: org.orgId, kind: 'transient', reason }));
  }
}

/** The pause reason `orgs show` displays for an org that lacks what the package declares. */
export function setupPauseReason(org: Org, reason: string): string {
  return `the org is not set up as the package declares: ${reason} (glance-sync orgs check ${org.orgId} names the fix; sessions wait until then)`;
}

async function pauseOrg(org: Org, reason: string, deps: ProcessorDeps): Promise<void> {
  const until = new Date(deps.now() + PAUSE_MS).toISOString();
  await deps.pauses.pause(org.orgId, { until, reason });
  await deps.onPause?.(org.orgId, reason, until);
  deps.log.warn('org paused: its sessions wait', { orgId: org.orgId, until, reason });
}
