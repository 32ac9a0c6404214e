import type { Org } from '../org.ts';
import type { Log } from '../log.ts';
import type { DebugTrace } from '../debug-trace.ts';
import { nextScheduledSync } from '../schedule.ts';
import { callMessage, describeFault } from '../salesforce-errors.ts';
import { LOG_EXTERNAL_ID, LOG_OBJECT, logRecord, SYNC_RUN_EXTERNAL_ID, SYNC_RUN_OBJECT, syncRunRecord } from '../sync/salesforce-admin-records.ts';
import { noRunEffects, runProgress, type RunEffects, type RunEffectsReader } from '../sync/run-effects.ts';
import type { SyncHistory, SyncRun } from '../sync/sync-history.ts';
import { retryingConcurrentCreates, type OrgSalesforce, type RecordResult } from './org-batch.ts';
import type { OrgPauses } from './session-processing.ts';

/*
 * The admin's view written into the org itself (issue 12): Glance_Sync_Run__c (Sync History, Next
 * Sync) and Glance_Log__c (Debug Mode's per-session traces). Best effort, always: these records
 * describe the pipeline's work, they are not the work. A refused or failed admin record is
 * counted and logged with its reason and never fails, retries or dead-letters a session.
 *
 * What it costs the org's daily API allowance (stated in the README, measured by the bench):
 *  - Glance_Log__c: only for orgs with Debug Mode on; the logs of one batch (or outbox flush)
 *    are gathered while it writes and sent when it ends, in one upsert per org (200 logs a
 *    collection), so at most one call per org batch, 1/batch-size of a call per log.
 *  - Glance_Sync_Run__c: one upsert when the run's pull ends (a run that found nothing, or was
 *    skipped, costs exactly that one call) and one more when its queued events have all settled,
 *    written by the batch that settles the last of them; it goes with that batch's logs, in the
 *    same call when the org's Salesforce port takes several collections at once (Composite).
 *    The record is not written when the run starts: a pull lasts seconds, and a record of it
 *    would cost a call per run for a state nobody sees. Each pull-end call also carries the
 *    org's previous few runs again, at no extra call (a collection takes 200 records), so a run
 *    record missed while the org was paused or a call failed is repaired by the next run.
 *    Empty runs are not coalesced: an hourly org with no activity spends 24 calls a day (of at
 *    least 100,000) and the admin sees every run and the Next Sync, as the original's tab did.
 * A paused org (the circuit breaker's pause) is not written at all; the next run repairs it.
 * Ordering: a pull-end write read as `processing` could land just after the processor's
 * `complete` for the same run (its last events settled during that call's round trip). So the
 * pull end reads the run's counters again once its call has returned and, if they settled in
 * the meantime, writes the run once more: a completion counted before that re-read is written
 * again by the pull end, and one counted after it is written by the processor after the pull
 * end's call returned. Either way `complete` lands last (the counters are read consistently).
 */

/**
 * The org's Salesforce as admin records need it: collection upserts, and optionally several
 * collections (of different objects) in one call, as Composite allows (up to 5 per call).
 */
export interface AdminSalesforce extends Pick<OrgSalesforce, 'upsertRecords'> {
  upsertCollections?(collections: Array<{ sobject: string; externalId: string; records: Array<Record<string, unknown>> }>): Promise<RecordResult[][]>;
}

/** Debug Mode traces gathered per org while a batch writes, sent when it ends (sendAdminRecords). */
export type GatheredLogs = Map<string, { org: Org; traces: DebugTrace[] }>;

/** Adds an org's traces of one write to what the batch gathered. */
export function gatherLogs(logs: GatheredLogs, org: Org, traces: DebugTrace[]): void {
  const entry = logs.get(org.orgId) ?? { org, traces: [] };
  entry.traces.push(...traces);
  logs.set(org.orgId, entry);
}

/** What one write of admin records did, for counts and logs. */
export interface AdminRecordsOutcome {
  written: number;
  refused: number;
  /** Why records were refused or not sent (first few), for the log. */
  reasons: string[];
}

export const noAdminRecords = (): AdminRecordsOutcome => ({ written: 0, refused: 0, reasons: [] });

/** Adds `b` into `a`, keeping a few reasons. */
export function addAdminRecords(a: AdminRecordsOutcome, b: AdminRecordsOutcome): AdminRecordsOutcome {
  a.written += b.written;
  a.refused += b.refused;
  a.reasons.push(...b.reasons.slice(0, Math.max(0, 5 - a.reasons.length)));
  return a;
}

/** A run as its Glance_Sync_Run__c shows it: the run, what its events did so far, the org's next scheduled sync. */
export interface RunRecordInput {
  run: SyncRun;
  effects: RunEffects | undefined;
  nextScheduledSync: string | null;
}

/** The next scheduled sync of the org after `now` (ISO), as Next Sync shows it; null for Sync Frequency never. */
export function nextSyncOf(org: Pick<Org, 'installedAt' | 'settings'>, now: Date): string | null {
  return nextScheduledSync(org.settings.syncFrequency, new Date(org.installedAt), now)?.toISOString() ?? null;
}

/**
 * Upserts the given admin records into one org: its run records by Run_Id__c, its logs by
 * Log_Key__c, in collections of up to 200 (the adapter splits longer lists), through the org's
 * own Salesforce port (the same call retry, the same DUPLICATE_VALUE retry as session records).
 * Never throws.
 */
export async function upsertAdminRecords(
  orgId: string,
  salesforce: AdminSalesforce,
  records: { runs?: RunRecordInput[]; traces?: DebugTrace[] },
  log: Log,
): Promise<AdminRecordsOutcome> {
  const outcome = noAdminRecords();
  const collections = [
    { sobject: SYNC_RUN_OBJECT, externalId: SYNC_RUN_EXTERNAL_ID, records: (records.runs ?? []).map((r) => syncRunRecord(r.run, runProgress(r.run, r.effects), r.effects ?? noRunEffects(), r.nextScheduledSync)) },
    { sobject: LOG_OBJECT, externalId: LOG_EXTERNAL_ID, records: (records.traces ?? []).map(logRecord) },
  ].filter((c) => c.records.length > 0);
  const tally = (sobject: string, results: RecordResult[]) => {
    for (const result of results) {
      if (result.ok) outcome.written++;
      else addAdminRecords(outcome, { written: 0, refused: 1, reasons: [`${sobject}: ${result.faults.map(describeFault).join('; ')}`] });
    }
  };
  const failed = (list: typeof collections, error: unknown) => {
    for (const c of list) addAdminRecords(outcome, { written: 0, refused: c.records.length, reasons: [`${c.sobject}: ${callMessage(error)}`] });
  };
  const oneCall = collections.length > 1 && collections.every((c) => c.records.length <= COLLECTION_RECORDS) && salesforce.upsertCollections;
  if (oneCall) {
    // Runs and logs in one Composite call. A record refused DUPLICATE_VALUE (a concurrent create
    // of the same key) is left to the next write of the same record: these are upserts by key.
    try {
      const results = await oneCall.call(salesforce, collections);
      collections.forEach((c, i) => tally(c.sobject, results[i] ?? []));
    } catch (error) {
      failed(collections, error);
    }
  } else {
    const sf = retryingConcurrentCreates({ upsertRecords: (...args) => salesforce.upsertRecords(...args), orgShape: unused, query: unused, postChatter: unused });
    for (const c of collections) {
      try {
        tally(c.sobject, await sf.upsertRecords(c.sobject, c.externalId, c.records));
      } catch (error) {
        failed([c], error);
      }
    }
  }
  if (outcome.refused > 0) log.warn('admin records refused (Sync History or Debug Mode logs in the org); sessions are not affected', { orgId, ...outcome });
  return outcome;
}

/** sObject Collections take 200 records a call (Salesforce REST API: sObject Collections). */
const COLLECTION_RECORDS = 200;

const unused = (): never => {
  throw new Error('admin records only upsert');
};

/** What writing a run's records needs: Sync History, its counters, the breaker's pauses and the org's Salesforce. */
export interface RunRecordDeps {
  history: Pick<SyncHistory, 'getRun' | 'listRuns'>;
  runEffects: RunEffectsReader;
  pauses: Pick<OrgPauses, 'pausedOrgs'>;
  salesforceFor(org: Org): Promise<AdminSalesforce>;
  now(): Date;
  log: Log;
}

/** How many of the org's earlier runs ride along with a pull-end write, to repair a missed one. */
export const RUNS_RESENT = 4;

/**
 * At the end of a run's pull (or when it was skipped): its Glance_Sync_Run__c, with the org's
 * previous RUNS_RESENT runs, in one call. Nothing when the org is paused. Never throws.
 */
export async function writeRunRecordsAtPullEnd(org: Org, run: SyncRun, deps: RunRecordDeps): Promise<AdminRecordsOutcome> {
  try {
    const recent = (await deps.history.listRuns(org.orgId, RUNS_RESENT + 1)).filter((r) => r.runId !== run.runId).slice(0, RUNS_RESENT);
    const before = (await deps.runEffects.read(org.orgId, [run.runId])).get(run.runId);
    const outcome = await writeRuns(org, [run, ...recent], deps);
    if (runProgress(run, before) !== 'processing' || outcome.written === 0) return outcome;
    const after = (await deps.runEffects.read(org.orgId, [run.runId])).get(run.runId);
    if (runProgress(run, after) === 'processing') return outcome;
    return addAdminRecords(outcome, await writeRuns(org, [run], deps));
  } catch (error) {
    deps.log.warn('could not write the sync run record to the org', { orgId: org.orgId, runId: run.runId, error: (error as Error).message });
    return { written: 0, refused: 0, reasons: [(error as Error).message] };
  }
}

/**
 * When a processor batch (or an outbox flush) ends: per org, the Debug Mode logs it gathered and
 * the final Glance_Sync_Run__c of each run whose last queued events it settled (`runs`: what the
 * batch added to each run), in one call where the org's port takes both at once. A run still
 * pulling is left to its pull-end write, which then sees its events settled. A paused org is not
 * written. Never throws.
 */
export async function sendAdminRecords(
  logs: GatheredLogs,
  runs: Array<{ orgId: string; runId: string; added: RunEffects }>,
  deps: Omit<RunRecordDeps, 'history' | 'runEffects'> & Partial<Pick<RunRecordDeps, 'history' | 'runEffects'>> & { getOrg?(orgId: string): Promise<Org | null> },
): Promise<AdminRecordsOutcome> {
  const total = noAdminRecords();
  const byOrg = new Map<string, typeof runs>();
  if (deps.history && deps.runEffects && deps.getOrg) for (const r of runs) byOrg.set(r.orgId, [...(byOrg.get(r.orgId) ?? []), r]);
  for (const orgId of new Set([...logs.keys(), ...byOrg.keys()])) {
    try {
      const completed = await completedRuns(orgId, byOrg.get(orgId) ?? [], deps as RunRecordDeps);
      const traces = logs.get(orgId)?.traces ?? [];
      if (completed.length === 0 && traces.length === 0) continue;
      const org = logs.get(orgId)?.org ?? (await deps.getOrg!(orgId));
      if (!org) continue;
      const pause = (await deps.pauses.pausedOrgs([orgId])).get(orgId);
      if (pause) {
        deps.log.info('admin records not written: the org is paused; its next run rewrites its run records', { orgId, until: pause.until, logs: traces.length });
        continue;
      }
      const next = nextSyncOf(org, deps.now());
      const salesforce = await deps.salesforceFor(org);
      addAdminRecords(total, await upsertAdminRecords(orgId, salesforce, { runs: completed.map(({ run, effects }) => ({ run, effects, nextScheduledSync: next })), traces }, deps.log));
    } catch (error) {
      deps.log.warn('could not write admin records to the org', { orgId, error: callMessage(error) });
      addAdminRecords(total, { written: 0, refused: 0, reasons: [callMessage(error)] });
    }
  }
  return total;
}

/**
 * The end of a processor batch or an outbox flush: its Debug Mode logs and the runs it completed,
 * to their orgs (sendAdminRecords), counted into `tally.adminRecords`. Never throws.
 */
export async function sendBatchAdminRecords(
  tally: { runs: Map<string, { orgId: string; runId: string; effects: RunEffects }>; adminLogs: GatheredLogs; adminRecords: AdminRecordsOutcome },
  deps: {
    pauses: Pick<OrgPauses, 'pausedOrgs'>;
    salesforceFor(org: Org): Promise<AdminSalesforce>;
    now(): number;
    log: Log;
    runRecords?: Pick<RunRecordDeps, 'history' | 'runEffects'> & { getOrg(orgId: string): Promise<Org | null> };
  },
): Promise<void> {
  const runs = [...tally.runs.values()].map(({ orgId, runId, effects }) => ({ orgId, runId, added: effects }));
  if (tally.adminLogs.size === 0 && (!deps.runRecords || runs.length === 0)) return;
  const sent = await sendAdminRecords(tally.adminLogs, runs, {
    pauses: deps.pauses,
    salesforceFor: (org) => deps.salesforceFor(org),
    now: () => new Date(deps.now()),
    log: deps.log,
    ...deps.runRecords,
  });
  addAdminRecords(tally.adminRecords, sent);
}

/** The runs among `list` whose last queued events the batch settled, with their effects now. */
async function completedRuns(orgId: string, list: Array<{ runId: string; added: RunEffects }>, deps: RunRecordDeps): Promise<Array<{ run: SyncRun; effects: RunEffects }>> {
  if (list.length === 0) return [];
  const effects = await deps.runEffects.read(orgId, list.map((r) => r.runId));
  const completed: Array<{ run: SyncRun; effects: RunEffects }> = [];
  for (const r of list) {
    const run = await deps.history.getRun(orgId, r.runId);
    const now = effects.get(r.runId);
    if (!run || !now) continue;
    const settledBefore = now.processed - r.added.processed < run.counts.queued;
    const progress = runProgress(run, now);
    if (settledBefore && (progress === 'complete' || progress === 'failed')) completed.push({ run, effects: now });
  }
  return completed;
}

async function writeRuns(org: Org, runs: SyncRun[], deps: RunRecordDeps): Promise<AdminRecordsOutcome> {
  const pause = (await deps.pauses.pausedOrgs([org.orgId])).get(org.orgId);
  if (pause) {
    deps.log.info('sync run records not written: the org is paused; its next run writes them', { orgId: org.orgId, until: pause.until });
    return { written: 0, refused: 0, reasons: [`org paused until ${pause.until}`] };
  }
  const effects = await deps.runEffects.read(org.orgId, runs.map((r) => r.runId));
  const next = nextSyncOf(org, deps.now());
  let salesforce: AdminSalesforce;
  try {
    salesforce = await deps.salesforceFor(org);
  } catch (error) {
    deps.log.warn('sync run records not written: no Salesforce connection', { orgId: org.orgId, error: callMessage(error) });
    return { written: 0, refused: runs.length, reasons: [callMessage(error)] };
  }
  return upsertAdminRecords(org.orgId, salesforce, { runs: runs.map((run) => ({ run, effects: effects.get(run.runId), nextScheduledSync: next })) }, deps.log);
}
