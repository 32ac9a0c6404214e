import { AdminError } from '../../shared/admin-error.ts';
import { nextScheduledSync } from '../../shared/schedule.ts';
import { isFinished, type SyncRun } from '../../shared/sync/sync-history.ts';
import { adminDeps, syncHistory } from './deps.ts';
import { printJson, table, when } from './output.ts';
import { EXIT, JSON_OPTION, optionalString, UsageError, wholeNumber, type CommandSpec, type ParsedValues } from './spec.ts';

const POLL_MS = 2_000;

const counts = (run: SyncRun) =>
  `fetched ${run.counts.fetched}, queued ${run.counts.queued}, already known ${run.counts.alreadyKnown}, failed ${run.counts.failed}`;

export const syncNow: CommandSpec = {
  path: 'sync-now',
  orgArgument: true,
  brief: 'start a sync run now (--wait to follow it)',
  usage: 'sync-now ORG [--wait [--timeout SECONDS]] [--from ISO] [--json]',
  summary:
    'Starts a sync run for the org at once (the Sync Now button) and prints its run id and the next scheduled sync. With --wait, follows the run on stderr until it ends; exits 1 if it failed.',
  details:
    'Invokes the SyncNow function (Lambda Invoke): the deployed one, or with --local the bundled one the local run serves, so both take one path. A run requested while another holds the org is recorded as skipped. If the function is missing, fails or times out, it says which and exits 1.',
  options: {
    wait: { type: 'boolean', description: 'wait for the run to end, showing its progress on stderr' },
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
      const progress = run ? `${run.status}: ${counts(run)}` : 'waiting to be recorded';
      if (progress !== shown) io.stderr.write(`run ${answer.runId} ${progress}\n`);
      shown = progress;
      if (run && isFinished(run)) {
        if (values.json) printJson(io.stdout, { ...run, nextScheduledSync: answer.nextScheduledSync });
        else io.stdout.write(`sync run ${run.runId} ${run.status}: ${counts(run)}${run.error ? `; error: ${run.error}` : ''}\n`);
        return run.status === 'failed' ? EXIT.failure : EXIT.ok;
      }
      if (waited >= timeoutMs) {
        io.stderr.write(`still not finished after ${timeoutMs / 1000} s; it goes on: glance-sync history ${orgId}\n`);
        return EXIT.failure;
      }
      await io.sleep(POLL_MS);
    }
  },
};

export const history: CommandSpec = {
  path: 'history',
  orgArgument: true,
  brief: "an org's Sync History, newest first",
  usage: 'history ORG [--limit N] [--json]',
  summary: "Shows the org's Sync History, newest first: each run's trigger, status, times, counts and error, and the next scheduled sync.",
  options: {
    limit: { type: 'string', value: 'N', description: 'how many runs (1-100, default 20)' },
    ...JSON_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const orgId = positionals[0]!;
    const limit = wholeNumber(values, 'limit', 20, 100);
    const t = await target();
    const org = await adminDeps(t).registry.getOrg(orgId);
    if (!org) throw new AdminError(`org ${orgId} is not registered`, 'not_found');
    const runs = await syncHistory(t).listRuns(orgId, limit);
    const next = nextScheduledSync(org.settings.syncFrequency, new Date(org.installedAt), new Date())?.toISOString() ?? null;
    if (values.json) {
      printJson(io.stdout, { orgId, syncFrequency: org.settings.syncFrequency, nextScheduledSync: next, runs });
      return EXIT.ok;
    }
    io.stdout.write(`next scheduled sync: ${next ? when(next) : 'none (syncFrequency never)'}\n\n`);
    if (runs.length === 0) {
      io.stdout.write(`no sync runs yet (glance-sync sync-now ${orgId})\n`);
      return EXIT.ok;
    }
    io.stdout.write(
      table(
        ['REQUESTED', 'TRIGGER', 'STATUS', 'STARTED', 'ENDED', 'FETCHED', 'QUEUED', 'KNOWN', 'FAILED', 'RUN ID', 'ERROR'],
        runs.map((r) => [
          when(r.requestedAt),
          r.trigger,
          r.status,
          when(r.startedAt),
          when(r.endedAt),
          String(r.counts.fetched),
          String(r.counts.queued),
          String(r.counts.alreadyKnown),
          String(r.counts.failed),
          r.runId,
          r.error ?? '',
        ]),
      ),
    );
    return EXIT.ok;
  },
};
