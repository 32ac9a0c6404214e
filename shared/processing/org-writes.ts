import type { Org } from '../org.ts';
import { isSetupFault, SalesforceCallError } from '../salesforce-errors.ts';
import { pauseReason } from '../api-allowance.ts';
import { routeSessionToOrg } from './org-routing.ts';
import { applyOrgBatch, type ItemOutcome, type OrgBatchItem, type OrgSalesforce } from './org-batch.ts';
import { mentionsInvalidField, withCachedShape } from './org-caches.ts';
import type { Claimed, OrgOutcome, SessionWrite, Tally } from './batch-state.ts';
import { describePause, nextPause, PROBE_BUSY_WAIT_MS, TRIP_AFTER_FAILURES } from './circuit-breaker.ts';
import type { OrgHealth, OrgPause, PauseKind, ProcessorDeps } from './session-processing.ts';
import { isLoginFailureCode, noHealthRecorder } from '../org-health.ts';
import { gatherLogs, type GatheredLogs } from './admin-records.ts';

export interface OrgShare {
  org: Org;
  sessions: SessionWrite[];
  batch: OrgBatchItem[];
  /** What the breaker knew of the org; with a pause, this share is the probe. */
  health: OrgHealth | null;
}

const holdMs = (org: Org) => org.settings.pauseHoldHours * 3600_000;

/**
 * Fans each session out to the orgs paired with its group: routes it (recorded here or not),
 * holds it back from paused orgs (or lets it probe one whose pause ran out), then writes each
 * org's share in one batch, the orgs in parallel. Every org considered gets an outcome.
 */
export async function writeToOrgs(sessions: SessionWrite[], deps: ProcessorDeps, tally: Tally): Promise<void> {
  const shares = await planOrgShares(sessions, deps, tally);
  await Promise.all(
    shares.map(async ({ org, sessions: written, batch, health }) => {
      const results = await writeOrg(org, batch, health, deps, tally.adminLogs);
      written.forEach((s, i) => s.outcomes.push(results[i]!));
    }),
  );
}

/**
 * Routes each session to the orgs that record it. `holdPaused`: a paused org's share gets a
 * `deferred` outcome instead (the direct path); the outbox takes it and lets it wait there.
 */
export async function planOrgShares(sessions: SessionWrite[], deps: ProcessorDeps, tally: Tally, holdPaused = true): Promise<OrgShare[]> {
  const orgsByGroup = new Map<number, Org[]>();
  for (const groupId of new Set(sessions.map((s) => s.newest.event.session.groupId))) {
    orgsByGroup.set(groupId, await deps.orgsForGroup(groupId));
  }
  const allOrgIds = [...new Set([...orgsByGroup.values()].flat().map((o) => o.orgId))];
  const health = allOrgIds.length && holdPaused ? await deps.pauses.health(allOrgIds) : new Map<string, OrgHealth>();
  const probes = new Map<string, boolean>();

  const byOrg = new Map<string, OrgShare>();
  for (const s of sessions) {
    const c: Claimed = s.newest;
    // The session as every version in the batch knows it (a pull's own lacks the origin it is routed by).
    const event = s.version ?? c.event;
    for (const org of orgsByGroup.get(event.session.groupId) ?? []) {
      if (s.onlyOrgs && !s.onlyOrgs.has(org.orgId)) continue;
      const route = routeSessionToOrg(event.session, org);
      if (!route.record) {
        s.outcomes.push({ orgId: org.orgId, kind: 'skipped', reason: route.reason });
        tally.counts.skippedOrgs++;
        continue;
      }
      const h = health.get(org.orgId) ?? null;
      const held = await breakerHolds(org, h, deps, probes);
      if (held) {
        s.outcomes.push(held);
        continue;
      }
      const share = byOrg.get(org.orgId) ?? { org, sessions: [], batch: [], health: h };
      share.sessions.push(s);
      share.batch.push({
        event,
        occurredAt: c.occurredAt,
        launchedHere: route.launchedHere,
        routeReason: route.reason,
        reachedLive: s.reachedLive,
      });
      byOrg.set(org.orgId, share);
    }
  }
  return [...byOrg.values()];
}

/**
 * The breaker's gate for one org's share, the same for the queue and the outbox flush: null when
 * it may be written (not paused, or this invocation took the probe of a pause that ran out), else
 * the `deferred` outcome saying until when it waits. `probes` remembers the claims of this invocation.
 */
export async function breakerHolds(
  org: Org,
  h: OrgHealth | null,
  deps: Pick<ProcessorDeps, 'pauses' | 'now' | 'leaseMs'>,
  probes: Map<string, boolean>,
): Promise<Extract<OrgOutcome, { kind: 'deferred' }> | null> {
  if (!h?.pause) return null;
  const until = Date.parse(h.pause.until);
  if (until > deps.now()) return { orgId: org.orgId, kind: 'deferred', reason: describePause(h.pause), retryAt: until, holdMs: holdMs(org) };
  // The pause ran out: one invocation probes the org with the shares it has; the others wait.
  if (!probes.has(org.orgId)) probes.set(org.orgId, await deps.pauses.claimProbe(org.orgId, deps.leaseMs));
  if (probes.get(org.orgId)) return null;
  return { orgId: org.orgId, kind: 'deferred', reason: `another attempt is probing the org: ${describePause(h.pause)}`, retryAt: deps.now() + PROBE_BUSY_WAIT_MS, holdMs: holdMs(org) };
}

/** Records every call error the org's Salesforce raised, so a refusal of credentials is seen however the batch reported it. */
function watching(sf: OrgSalesforce, errors: SalesforceCallError[]): OrgSalesforce {
  const watch = <T>(call: () => Promise<T>) =>
    call().catch((error: unknown) => {
      if (error instanceof SalesforceCallError) errors.push(error);
      throw error;
    });
  return {
    orgShape: () => watch(() => sf.orgShape()),
    query: (soql) => watch(() => sf.query(soql)),
    ...(sf.queryAll ? { queryAll: <T extends Record<string, unknown>>(soqls: string[]) => watch(() => sf.queryAll!<T>(soqls)) } : {}),
    upsertRecords: (sobject, externalId, records) => watch(() => sf.upsertRecords(sobject, externalId, records)),
    ...(sf.upsertTogether ? { upsertTogether: (first, then) => watch(() => sf.upsertTogether!(first, then)) } : {}),
    postChatter: (posts) => watch(() => sf.postChatter(posts)),
  };
}

/** What writing one org's share needs: the processor's deps, or the outbox flusher's (the same rules either way). */
export type OrgWriteDeps = Pick<
  ProcessorDeps,
  | 'salesforceFor'
  | 'forgetSalesforce'
  | 'ledger'
  | 'log'
  | 'chatterLeaseMs'
  | 'traces'
  | 'apiUsageShareLimit'
  | 'pauses'
  | 'onPause'
  | 'now'
  | 'health'
  | 'describeCache'
  | 'knownLeads'
  | 'runRecords'
>;

/**
 * Writes one org's share, records the org's login state and last error for `orgs show`, and feeds
 * the breaker (`health`: what it knew of the org); never throws: a failed call becomes an outcome
 * for every session in it.
 */
export async function writeOrg(org: Org, batch: OrgBatchItem[], health: OrgHealth | null, deps: OrgWriteDeps, logs?: GatheredLogs): Promise<OrgOutcome[]> {
  const recorder = deps.health ?? noHealthRecorder;
  // Recorded on every delivery (the recorder writes only changes), so failing credentials show at once.
  const record = (write: Promise<void>) => write.catch((error: Error) => deps.log.warn('could not record org health', { orgId: org.orgId, error: error.message }));
  let loginRecorded = false;
  const errors: SalesforceCallError[] = [];
  let outcomes: ItemOutcome[];
  let usage: ReturnType<Awaited<ReturnType<OrgWriteDeps['salesforceFor']>>['apiUsage']> = null;
  try {
    const client = await deps.salesforceFor(org).catch(async (error: unknown) => {
      // Refused or missing credentials fail the login; a login endpoint that is down only fails this try.
      if (error instanceof SalesforceCallError && (isLoginFailureCode(error.code) || error.kind === 'permanent')) {
        await record(recorder.login(org.orgId, 'salesforce', { ok: false, error: error.message }));
        loginRecorded = true;
      }
      throw error;
    });
    await record(recorder.login(org.orgId, 'salesforce', { ok: true }));
    const salesforce = deps.describeCache ? withCachedShape(client, org.orgId, deps.describeCache, deps.now) : client;
    const result = await applyOrgBatch(org, batch, watching(salesforce, errors), {
      ledger: deps.ledger,
      log: deps.log,
      chatterLeaseMs: deps.chatterLeaseMs,
      knownLeads: deps.knownLeads,
      now: deps.now,
    });
    outcomes = result.outcomes;
    usage = client.apiUsage();
    if (deps.describeCache && outcomes.some((o) => o.kind !== 'ok' && mentionsInvalidField(o.reason))) {
      await deps.describeCache.forget(org.orgId).catch(() => undefined);
    }
    if (result.traces.length) {
      await deps.traces.put(result.traces).catch((error: Error) => deps.log.warn('could not store debug traces', { orgId: org.orgId, error: error.message }));
      // Debug Mode's logs go to the org when the batch ends (admin-records.ts), unless the org did
      // not answer this write: then they would only fail too (the CLI still has them).
      const answered = errors.length === 0 || outcomes.some((o) => o.kind === 'ok');
      if (answered && logs) gatherLogs(logs, org, result.traces);
    }
    const refused = outcomes.find((o) => o.kind !== 'ok' && o.kind !== 'wait');
    if (refused && 'reason' in refused) await record(recorder.error(org.orgId, refused.reason));
  } catch (error) {
    const callError = error instanceof SalesforceCallError ? error : null;
    if (callError) errors.push(callError);
    const reason = callError ? callError.message : `Salesforce call failed: ${(error as Error).message}`;
    deps.log.error('Salesforce call failed for org', { orgId: org.orgId, reason, sessions: batch.length });
    // A refused login was recorded above, with its own reason.
    if (!loginRecorded) {
      if (callError?.kind === 'auth') await record(recorder.login(org.orgId, 'salesforce', { ok: false, error: reason }));
      else await record(recorder.error(org.orgId, reason));
    }
    const kind = callError && isSetupFault(callError.code, callError.message) ? 'setup' : 'transient';
    outcomes = batch.map(() => ({ kind, reason }));
  }

  const pausedBefore = health?.pause ?? null;
  const credentials = errors.find((e) => e.kind === 'credentials');
  // The org lacks what the package declares: it must be fixed first, so it is paused (through the
  // breaker's one pause record, probed when the pause runs out) rather than its sessions retried.
  const setup = outcomes.flatMap((o) => (o.kind === 'setup' ? [o.reason] : []))[0];
  const limitHit = errors.some((e) => e.kind === 'limit') || outcomes.some((o) => o.kind !== 'ok' && o.reason.includes('REQUEST_LIMIT_EXCEEDED'));
  // An outage fails calls as a whole (503, network, a token refused); a record refused on its own
  // (a locked row) is that record's trouble, and must not hold back the org's other sessions.
  const failedWhole = errors.length > 0 && outcomes.length > 0 && outcomes.every((o) => o.kind === 'transient');
  let pause: OrgPause | null = null;
  if (credentials) {
    deps.forgetSalesforce?.(org.orgId);
    pause = await pauseOrg(org, 'credentials', `Salesforce refused the org's credentials (${credentials.message}): give it working ones with glance-sync orgs credentials`, pausedBefore, deps);
  } else if (setup) {
    pause = await pauseOrg(org, 'setup', setupPauseReason(org, setup), pausedBefore, deps);
  } else if (limitHit || pauseReason(usage, false, deps.apiUsageShareLimit)) {
    pause = await pauseOrg(org, 'allowance', pauseReason(usage, limitHit, deps.apiUsageShareLimit)!, pausedBefore, deps);
  } else if (failedWhole) {
    const reason = errors[errors.length - 1]!.message;
    if (pausedBefore) pause = await pauseOrg(org, pausedBefore.kind ?? 'outage', `the probe failed: ${reason}`, pausedBefore, deps);
    else {
      const { failures, since } = await deps.pauses.recordFailure(org.orgId, reason);
      if (failures >= TRIP_AFTER_FAILURES) pause = await pauseOrg(org, 'outage', `${failures} writes in a row failed; last: ${reason}`, null, deps, since);
    }
  } else if (health) {
    await deps.pauses.recover(org.orgId);
    if (pausedBefore) deps.log.info('org resumed: Salesforce answers again; its waiting sessions follow', { orgId: org.orgId, pausedSince: pausedBefore.since, reason: pausedBefore.reason });
  }

  return outcomes.map((o): OrgOutcome => {
    if (o.kind === 'ok') return { orgId: org.orgId, kind: 'ok', effects: o.effects };
    if (o.kind === 'setup' && pause) return { orgId: org.orgId, kind: 'deferred', reason: o.reason, retryAt: Date.parse(pause.until), holdMs: holdMs(org) };
    if (o.kind === 'wait') return { orgId: org.orgId, kind: 'deferred', reason: o.reason, retryAt: o.retryAt, holdMs: holdMs(org) };
    // Waiting for a paused org is not a failure of the session: it must not burn its retries.
    if (o.kind === 'transient' && pause) return { orgId: org.orgId, kind: 'deferred', reason: `${describePause(pause)} (${o.reason})`, retryAt: Date.parse(pause.until), holdMs: holdMs(org) };
    return { orgId: org.orgId, kind: o.kind === 'setup' ? 'transient' : o.kind, reason: o.reason };
  });
}

/**
 * The pause reason `orgs show` displays for an org that lacks what the package declares, on one
 * line (Salesforce's INVALID_FIELD text spans several). When the refused query is the org's record
 * mapping's (`FROM {object}` of a mapped object), the fix is the setting, which `orgs check` (it
 * compares the org with the package only) would not name.
 */
export function setupPauseReason(org: Org, reason: string): string {
  const oneLine = reason.replace(/\s+/g, ' ').trim();
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const mappedObject = Object.keys(org.settings.recordMapping).find((sobject) => new RegExp(`\\bFROM ${escape(sobject)}\\b`, 'i').test(oneLine));
  if (mappedObject) {
    return `the org's recordMapping for ${mappedObject} names what the org lacks: ${oneLine} (fix the setting with glance-sync orgs set ${org.orgId} recordMapping=JSON, which checks it against the org; sessions wait until then)`;
  }
  return `the org is not set up as the package declares: ${oneLine} (glance-sync orgs check ${org.orgId} names the fix; sessions wait until then)`;
}

async function pauseOrg(org: Org, kind: PauseKind, reason: string, previous: OrgPause | null, deps: OrgWriteDeps, since?: string): Promise<OrgPause> {
  const pause = nextPause(kind, reason, deps.now(), previous, since);
  await deps.pauses.pause(org.orgId, pause);
  await deps.onPause?.(org.orgId, reason, pause.until);
  deps.log.warn('org paused: its sessions wait until it answers again', { orgId: org.orgId, kind, since: pause.since, until: pause.until, probes: pause.probes, reason });
  return pause;
}
