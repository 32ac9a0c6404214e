import { GlanceActivityError, type ActivityPage, type GlanceActivityClient, type GlanceActivityCredentials } from './glance-activity.ts';
import { noHealthRecorder, type OrgHealthRecorder } from '../org-health.ts';
import type { Log } from '../log.ts';
import type { Org } from '../org.ts';
import type { SessionEvent } from '../session.ts';
import type { DeadLetterReason, QueuedMessage } from '../dead-letter.ts';
import { parseGlanceCredentials, SyncRunFailure } from './glance-credentials.ts';
import { applyPage, orgWatermark, planGroupPull, type GroupPull, type SyncCursor } from './sync-cursor.ts';
import { isFinished, queuedRun, type SyncHistory, type SyncRun } from './sync-history.ts';
import type { SyncRequest } from './sync-request.ts';
import { writeRunRecordsAtPullEnd, type AdminRecordsOutcome, type RunRecordDeps } from '../processing/admin-records.ts';

export interface SyncRunDeps {
  getOrg(orgId: string): Promise<Org | null>;
  history: SyncHistory;
  /** The group's Glance CRR credentials secret by name, and its value or null when it does not exist. */
  glanceCredentials(groupId: number): Promise<{ name: string; value: string | null }>;
  /** A client for one group; it reads the credentials when it signs in. */
  activityClient(credentials: () => Promise<GlanceActivityCredentials>): GlanceActivityClient;
  /** Puts session events on the events queue; resolves only once all of them are there. */
  enqueue(events: SessionEvent[]): Promise<void>;
  deadLetter(message: QueuedMessage, reason: DeadLetterReason): Promise<void>;
  now(): Date;
  log: Log;
  /** Time left before the host stops this code (a Lambda's remaining time); unlimited when absent. */
  remainingMs?(): number;
  /** Where the org's Glance login state goes, for `orgs list`; none when absent. */
  health?: OrgHealthRecorder;
  /**
   * Writes the run's Glance_Sync_Run__c into the org when its pull ends (Sync History and Next
   * Sync in Salesforce, best effort: never fails the run); none when absent. `onWritten` is told
   * what it wrote or what was refused, for a metric.
   */
  runRecords?: RunRecordDeps & { onWritten?(outcome: AdminRecordsOutcome): void };
}

/** The queue message, as SQS delivered it: a scheduled request has no run id, so its message names the run. */
export interface SyncDelivery {
  messageId: string;
  sentAt: Date;
}

export type SyncRunOutcome =
  | { kind: 'finished'; run: SyncRun }
  /** Another delivery of a run that is finished or running right now: nothing to do. */
  | { kind: 'duplicate'; run: SyncRun; reason: string }
  /** The message cannot be run at all (the org is gone): dead-letter it. */
  | { kind: 'rejected'; reason: string };

/** Longer than Lambda's 15-minute maximum, for hosts that cannot say how long they have. */
export const DEFAULT_LEASE_MS = 16 * 60_000;
const LEASE_MARGIN_MS = 60_000;
/** Stop pulling with this much time left, to record the run before the host kills it. */
const STOP_MARGIN_MS = 20_000;

/**
 * One sync run for one org (issue 3): at most one at a time per org, each group pulled from its
 * watermark to a little before now, every page queued before the watermark moves past it.
 */
export async function runSync(deps: SyncRunDeps, request: SyncRequest, delivery: SyncDelivery): Promise<SyncRunOutcome> {
  const org = await deps.getOrg(request.orgId);
  if (!org) return { kind: 'rejected', reason: `org ${request.orgId} is not registered (removed after the sync was requested?)` };

  const run = await resolveRun(deps, request, delivery);
  if (isFinished(run)) return { kind: 'duplicate', run, reason: `sync run ${run.runId} is already ${run.status}` };

  const leaseMs = deps.remainingMs ? deps.remainingMs() + LEASE_MARGIN_MS : DEFAULT_LEASE_MS;
  const lease = await deps.history.acquireLease(org.orgId, run, leaseMs, deps.now());
  if (!lease.acquired) {
    // SQS delivers at least once: a second copy of the running run is not a second trigger.
    if (lease.holder.runId === run.runId) return { kind: 'duplicate', run, reason: `sync run ${run.runId} is running` };
    const skipped: SyncRun = {
      ...run,
      status: 'skipped',
      endedAt: deps.now().toISOString(),
      error: `skipped: sync run ${lease.holder.runId} (${lease.holder.trigger}) has been running for this org since ${lease.holder.acquiredAt}`,
    };
    await deps.history.saveRun(skipped);
    deps.log.info('sync run skipped', { orgId: org.orgId, runId: run.runId, runningRunId: lease.holder.runId });
    await writeRunRecord(deps, org, skipped);
    return { kind: 'finished', run: skipped };
  }
  let finished: SyncRun;
  try {
    if (lease.previous && lease.previous.runId !== run.runId) await closeAbandoned(deps, org.orgId, lease.previous.runId, run.runId);
    finished = await execute(deps, org, run, request);
  } finally {
    await deps.history.releaseLease(org.orgId, run.runId);
  }
  // After the lease is released: a slow org must not hold back the org's next run.
  await writeRunRecord(deps, org, finished);
  return { kind: 'finished', run: finished };
}

/** The run's record in the org (admin-records.ts says what it costs); never throws. */
async function writeRunRecord(deps: SyncRunDeps, org: Org, run: SyncRun): Promise<void> {
  if (!deps.runRecords) return;
  const outcome = await writeRunRecordsAtPullEnd(org, run, deps.runRecords);
  deps.runRecords.onWritten?.(outcome);
}

async function resolveRun(deps: SyncRunDeps, request: SyncRequest, delivery: SyncDelivery): Promise<SyncRun> {
  if (request.runId) {
    const found = await deps.history.getRun(request.orgId, request.runId);
    if (found) return found;
  }
  // The message id survives redelivery, so a retried scheduled message resumes the same run.
  const runId = request.runId ?? `${request.trigger}-${delivery.messageId}`;
  return deps.history.createRun(queuedRun(request.orgId, runId, request.trigger, delivery.sentAt));
}

async function closeAbandoned(deps: SyncRunDeps, orgId: string, abandonedRunId: string, successorRunId: string): Promise<void> {
  const abandoned = await deps.history.getRun(orgId, abandonedRunId);
  if (!abandoned || isFinished(abandoned)) return;
  await deps.history.saveRun({
    ...abandoned,
    status: 'failed',
    endedAt: deps.now().toISOString(),
    error: `stopped without finishing (crashed or timed out); what it queued before its last saved watermark stays queued, and run ${successorRunId} carried on from there`,
  });
}

/** Health is for the admin's eyes: failing to record it never fails a run. */
const recordHealth = (deps: SyncRunDeps, write: Promise<void>) =>
  write.catch((error: Error) => deps.log.warn('could not record org health', { error: error.message }));

async function execute(deps: SyncRunDeps, org: Org, queued: SyncRun, request: SyncRequest): Promise<SyncRun> {
  const now = deps.now();
  const health = deps.health ?? noHealthRecorder;
  let cursor: SyncCursor = (await deps.history.readCursor(org.orgId)) ?? { groups: {} };
  // A redelivered run resumes: its start and counts so far stay.
  let run: SyncRun = {
    ...queued,
    status: 'running',
    startedAt: queued.startedAt ?? now.toISOString(),
    endedAt: null,
    error: null,
    watermarkBefore: queued.startedAt ? queued.watermarkBefore : orgWatermark(cursor, org.groups),
  };
  await deps.history.saveRun(run);
  deps.log.info('sync run started', { orgId: org.orgId, runId: run.runId, trigger: run.trigger, groups: org.groups });

  try {
    if (org.groups.length === 0) throw new SyncRunFailure(`org ${org.orgId} is paired with no Glance group: pair it with a group before syncing`);
    const backfillFrom = request.trigger === 'backfill' ? new Date(request.from ?? org.installedAt) : null;
    // A group Glance refuses does not keep the org's other groups from being pulled.
    const failures: string[] = [];
    for (const groupId of org.groups) {
      const pull = planGroupPull({ groupId, cursor: cursor.groups[String(groupId)], installedAt: new Date(org.installedAt), backfillFrom, now });
      if (!pull) continue;
      const readCredentials = async () => {
        const secret = await deps.glanceCredentials(groupId);
        return parseGlanceCredentials(`secret ${secret.name}`, secret.value);
      };
      try {
        await readCredentials(); // fail before any request when the secret is missing or malformed
        const client = deps.activityClient(readCredentials);
        let signedIn = false;
        for await (const page of client.sessions(groupId, { from: pull.from, to: pull.to })) {
          if (!signedIn) await recordHealth(deps, health.login(org.orgId, 'glance', { ok: true }));
          signedIn = true;
          ({ run, cursor } = await handlePage(deps, org, run, cursor, pull, page, now));
          if (!page.done && deps.remainingMs && deps.remainingMs() < STOP_MARGIN_MS) throw new TimeLimit(groupId, cursor);
        }
      } catch (error) {
        if (error instanceof TimeLimit || !isAdminFixable(error)) throw error;
        failures.push(`group ${groupId}: ${(error as Error).message}`);
        if (isGlanceLoginRefusal(error)) await recordHealth(deps, health.login(org.orgId, 'glance', { ok: false, error: `group ${groupId}: ${(error as Error).message}` }));
        deps.log.warn('sync of a group failed', { orgId: org.orgId, runId: run.runId, groupId, error: (error as Error).message });
      }
    }
    if (failures.length > 0) throw new SyncRunFailure(failures.join('; '));
    run = { ...run, status: 'succeeded', endedAt: deps.now().toISOString(), watermarkAfter: orgWatermark(cursor, org.groups) };
    deps.log.info('sync run succeeded', { orgId: org.orgId, runId: run.runId, ...run.counts, watermark: run.watermarkAfter });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    run = { ...run, status: 'failed', endedAt: deps.now().toISOString(), error: message, watermarkAfter: orgWatermark(cursor, org.groups) };
    deps.log.error('sync run failed', { orgId: org.orgId, runId: run.runId, error: message, ...run.counts });
  }
  await deps.history.saveRun(run);
  return run;
}

/** The run stops before its host's time limit; the next run continues from the saved watermark. */
class TimeLimit extends SyncRunFailure {
  constructor(groupId: number, cursor: SyncCursor) {
    super(
      `stopped before the time limit with more activity to pull for group ${groupId}; everything before ${cursor.groups[String(groupId)]?.watermark} is queued and the next run continues from there`,
    );
  }
}

/** Glance refused the group's credentials, or they are missing or malformed: the org's Glance login fails. */
function isGlanceLoginRefusal(error: unknown): boolean {
  if (error instanceof GlanceActivityError) return ['login_refused', 'token_refused', 'api_key_refused'].includes(error.code);
  return error instanceof SyncRunFailure && !(error instanceof TimeLimit);
}

/** Glance's refusals and missing credentials are the group's own; anything else (our queue, our table) fails the run at once. */
function isAdminFixable(error: unknown): boolean {
  return error instanceof SyncRunFailure || error instanceof GlanceActivityError;
}

/** Far below SQS's message size once wrapped in the dead-letter envelope (at most 3 bytes a character). */
const MAX_DEAD_LETTER_COPY = 32_000;

/**
 * The item Glance listed, kept with its dead letter: whole when small, its head when too large
 * for a queue message, a note when nested too deeply to serialize. A copy that cannot be sent
 * would fail the run on every retry and hold the watermark back for good.
 */
export function deadLetterCopy(raw: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(raw) ?? String(raw);
  } catch {
    return JSON.stringify({ unreadable: 'nested too deeply to keep a copy' });
  }
  return text.length <= MAX_DEAD_LETTER_COPY ? text : `${text.slice(0, MAX_DEAD_LETTER_COPY)}… (cut from ${text.length} characters)`;
}

/** Queue, dead-letter, then save: a crash before the save re-pulls the page, and the processor drops repeats by event id. */
async function handlePage(
  deps: SyncRunDeps,
  org: Org,
  run: SyncRun,
  cursor: SyncCursor,
  pull: GroupPull,
  page: ActivityPage,
  now: Date,
): Promise<{ run: SyncRun; cursor: SyncCursor }> {
  const key = String(pull.groupId);
  const result = applyPage({ pull, cursor: cursor.groups[key], sessions: page.sessions, completeBefore: page.completeBefore, sites: org.settings.sites, now });
  // Each event names its run, so the processor can say what the run brought into the org.
  if (result.events.length > 0) await deps.enqueue(result.events.map((event) => ({ ...event, syncRun: { orgId: org.orgId, runId: run.runId } })));
  for (const [index, invalid] of page.invalid.entries()) {
    const id = (invalid.raw as { id?: unknown } | null)?.id;
    await deps.deadLetter(
      { messageId: `${run.runId}:${pull.groupId}:${page.window.from.toISOString()}:${page.pageId}:${index}`, body: deadLetterCopy(invalid.raw), receiveCount: 0 },
      {
        reason: `Glance listed a session the pipeline cannot read (group ${pull.groupId}, sync run ${run.runId}): ${invalid.error}`,
        orgIds: [org.orgId],
        ...(typeof id === 'string' ? { sessionId: id } : {}),
      },
    );
  }
  const next: SyncRun = {
    ...run,
    counts: {
      fetched: run.counts.fetched + page.sessions.length + page.invalid.length,
      queued: run.counts.queued + result.events.length,
      alreadyKnown: run.counts.alreadyKnown + result.alreadyKnown,
      failed: run.counts.failed + page.invalid.length,
    },
  };
  const nextCursor: SyncCursor = { groups: { ...cursor.groups, [key]: result.cursor } };
  await deps.history.saveProgress(next, nextCursor);
  return { run: next, cursor: nextCursor };
}
