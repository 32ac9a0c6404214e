import { requireOrg } from '../../shared/org-admin.ts';
import { dynamoRunEffects } from '../../shared/adapters/run-effects.ts';
import { nextScheduledSync } from '../../shared/schedule.ts';
import { noRunEffects, runProgress, type RunEffects, type RunProgress } from '../../shared/sync/run-effects.ts';
import type { SyncRun } from '../../shared/sync/sync-history.ts';
import { adminDeps, syncHistory } from './deps.ts';
import { printJson, table, when } from './output.ts';
import { EXIT, JSON_OPTION, optionalString, UsageError, wholeNumber, type CommandSpec } from './spec.ts';
import type { Target } from './target.ts';

const POLL_MS = 2_000;

/** A Sync History entry as the admin reads it: the run, how far it got, and what reached the org. */
export interface HistoryEntry extends SyncRun {
  progress: RunProgress;
  reachedOrg: RunEffects;
}

const DONE: RunProgress[] = ['complete', 'failed', 'skipped'];

async function withEffects(t: Target, orgId: string, runs: SyncRun[]): Promise<HistoryEntry[]> {
  const effects = await dynamoRunEffects(t.orgsTable).read(orgId, runs.map((r) => r.runId));
  return runs.map((run) => ({ ...run, progress: runProgress(run, effects.get(run.runId)), reachedOrg: effects.get(run.runId) ?? noRunEffects() }));
}

const pulled = (run: SyncRun) =>
  `fetched ${run.counts.fetched}, queued ${run.counts.queued}, already known ${run.counts.alreadyKnown}, failed ${run.counts.failed}`;

const reached = (e: HistoryEntry) =>
  `in the org: ${e.reachedOrg.processed}/${e.counts.queued} processed, ${e.reachedOrg.recordsCreated} session records created, ` +
  `${e.reachedOrg.recordsUpdated} updated, ${e.reachedOrg.leadsCreated} Leads created, ${e.reachedOrg.chatterPosts} Chatter posts, ${e.reachedOrg.failed} sessions failed` +
  // Without this a paired org's run reads as having done nothing: the group's sessions are one
  // event each, so whichever of its orgs' runs (or a webhook) came first wrote them to every org.
  (e.reachedOrg.unchanged > 0 ? `, ${e.reachedOrg.unchanged} already in the org (written by a webhook, an earlier run or a run of another org paired with the group)` : '');

const nextSyncText = (next: string | null) => (next ? when(next) : 'none (syncFrequency never)');

export const syncNow: CommandSpec = {
  path: 'sync-now',
  orgArgument: true,
  brief: 'start a sync run now (--wait to follow it into the org)',
  usage: 'sync-now ORG [--wait [--timeout SECONDS]] [--from ISO] [--json]',
  summary:
    'Starts a sync run for the org at once (the Sync Now button) and prints its run id and the next scheduled sync. With --wait, follows the run on stderr until it is complete, that is until every session it queued has been processed, then prints what reached the org and the next scheduled sync; exits 1 if the run failed.',
  details:
    'Invokes the SyncNow function (Lambda Invoke): the deployed one, or with --local the bundled one the local run serves, so both take one path. A run requested while another holds the org is recorded as skipped. If the function is missing, fails or times out, it says which and exits 1. Sessions that failed are on the dead-letter queue: glance-sync dlq list --org ORG.',
  options: {
    wait: { type: 'boolean', description: 'wait until the run is complete, showing its progress on stderr' },
    timeout: { type: 'string', value: 'SECONDS', description: 'give up waiting after this long (default 900); the run goes on' },
    from: { type: 'string', value: 'ISO', description: 'backfill: pull activity from this instant instead of the watermark' },
    ...JSON_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const orgId = positionals[0]!;
    const timeoutMs = wholeNumber(values, 'timeout', 900, 86_400) * 1000;
    if (values.timeout !== undefined && values.wait !== true) throw new UsageError('--timeout goes with --wait');
    const from = optionalString(values, 'from');
    const t = await target();
    const answer = await t.syncNow(orgId, from ? { from } : {});
    if (values.wait !== true) {
      if (values.json) printJson(io.stdout, answer);
      else io.stdout.write(`queued sync run ${answer.runId} for org ${orgId}; next scheduled sync: ${when(answer.nextScheduledSync)}\n`);
      return EXIT.ok;
    }
    io.stderr.write(`queued sync run ${answer.runId} for org ${orgId}\n`);
    const history = syncHistory(t);
    let shown = '';
    for (let waited = 0; ; waited += POLL_MS) {
      const run = await history.getRun(orgId, answer.runId);
      const entry = run ? (await withEffects(t, orgId, [run]))[0]! : null;
      const progress = entry ? `${entry.progress}: ${pulled(entry)}; ${reached(entry)}` : 'waiting to be recorded';
      if (progress !== shown) io.stderr.write(`run ${answer.runId} ${progress}\n`);
      shown = progress;
      if (entry && DONE.includes(entry.progress)) {
        if (values.json) printJson(io.stdout, { ...entry, nextScheduledSync: answer.nextScheduledSync });
        else {
          io.stdout.write(
            `sync run ${entry.runId} ${entry.progress}: ${pulled(entry)}${entry.error ? `; error: ${entry.error}` : ''}\n` +
              `${reached(entry)}${entry.reachedOrg.failed ? ` (glance-sync dlq list --org ${orgId})` : ''}\n` +
              `next scheduled sync: ${nextSyncText(answer.nextScheduledSync)}\n`,
          );
        }
        return entry.status === 'failed' ? EXIT.failure : EXIT.ok;
      }
      if (waited >= timeoutMs) {
        io.stderr.write(`still not complete after ${timeoutMs / 1000} s; it goes on: glance-sync history ${orgId}\n`);
        return EXIT.failure;
      }
      await io.sleep(POLL_MS);
    }
  },
};

export const history: CommandSpec = {
  path: 'history',
  orgArgument: true,
  brief: "an org's Sync History, newest first, with what reached the org",
  usage: 'history ORG [--limit N] [--json]',
  summary:
    "Shows the org's Sync History, newest first: each run's trigger, progress, times, what it pulled (fetched, queued, already known, failed) and what reached the org (session records created and updated, Leads created, Chatter posts, sessions failed), its error, and the next scheduled sync.",
  details:
    "STATUS is queued, running, processing (pulled; its sessions are still being written), complete, failed or skipped. A run is complete once every session it queued has been processed.",
  options: {
    limit: { type: 'string', value: 'N', description: 'how many runs (1-100, default 20)' },
    ...JSON_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const orgId = positionals[0]!;
    const limit = wholeNumber(values, 'limit', 20, 100);
    const t = await target();
    const org = await requireOrg(adminDeps(t), orgId);
    const runs = await withEffects(t, orgId, await syncHistory(t).listRuns(orgId, limit));
    const next = nextScheduledSync(org.settings.syncFrequency, new Date(org.installedAt), new Date())?.toISOString() ?? null;
    if (values.json) {
      printJson(io.stdout, { orgId, syncFrequency: org.settings.syncFrequency, nextScheduledSync: next, runs });
      return EXIT.ok;
    }
    io.stdout.write(`next scheduled sync: ${nextSyncText(next)}\n\n`);
    if (runs.length === 0) {
      io.stdout.write(`no sync runs yet (glance-sync sync-now ${orgId})\n`);
      return EXIT.ok;
    }
    io.stdout.write(
      table(
        ['REQUESTED', 'TRIGGER', 'STATUS', 'STARTED', 'ENDED', 'FETCHED', 'QUEUED', 'KNOWN', 'FAILED', 'CREATED', 'UPDATED', 'LEADS', 'POSTS', 'SESSIONS FAILED', 'RUN ID', 'ERROR'],
        runs.map((r) => [
          when(r.requestedAt),
          r.trigger,
          r.progress === 'processing' ? `processing ${r.reachedOrg.processed}/${r.counts.queued}` : r.progress,
          when(r.startedAt),
          when(r.endedAt),
          String(r.counts.fetched),
          String(r.counts.queued),
          String(r.counts.alreadyKnown),
          String(r.counts.failed),
          String(r.reachedOrg.recordsCreated),
          String(r.reachedOrg.recordsUpdated),
          String(r.reachedOrg.leadsCreated),
          String(r.reachedOrg.chatterPosts),
          String(r.reachedOrg.failed),
          r.runId,
          r.error ?? '',
        ]),
      ),
    );
    return EXIT.ok;
  },
};
