import { parseArgs } from 'node:util';
import { ListSchedulesCommand } from '@aws-sdk/client-scheduler';
import { startMoto, useLocalAws } from '../local/moto.ts';
import { createLocalResources, localSchedules } from '../local/aws-resources.ts';
import { startLocalScheduler } from '../local/scheduler.ts';
import { resetAwsClients, scheduler } from '../shared/adapters/aws-clients.ts';
import { SYNC_FREQUENCIES } from '../shared/schedule.ts';
import { orgSettingsSchema } from '../shared/org.ts';
import { fmt } from './table.ts';

/**
 * Scale check of the per-org schedules, run by hand (not in npm test):
 *   npm run bench:schedules -- [--orgs 10000] [--concurrency 16]
 * Registers that many orgs' EventBridge Scheduler schedules in moto the way `orgs add` does (the
 * adapter's CreateSchedule, then GetSchedule to report it), install times spread over a day and
 * frequencies mixed, then counts them back, times one local-scheduler tick over all of them, and
 * removes them. Wall-clock figures of moto on this machine: what they show is that nothing is
 * capped per bus (EventBridge rules stop at 300) and how the local run copes, not AWS's speed.
 */
const { values } = parseArgs({ options: { orgs: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '16' } } });
const orgs = Number(values.orgs);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(orgs) || orgs < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write('--orgs and --concurrency must be whole numbers of at least 1\n');
  process.exit(2);
}

const orgId = (i: number) => `00D5g${String(i).padStart(10, '0')}`;
const day = Date.parse('2026-11-01T00:00:00Z');

async function inParallel(n: number, work: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await work(next++);
  }));
  return performance.now() - started;
}

const moto = await startMoto();
try {
  useLocalAws(moto.endpoint);
  resetAwsClients();
  const resources = await createLocalResources();
  const schedules = localSchedules(resources);
  const frequencies = SYNC_FREQUENCIES.filter((f) => f !== 'never');
  const createMs = await inParallel(orgs, async (i) => {
    const installedAt = new Date(day + ((i * 7919) % 1440) * 60_000).toISOString();
    await schedules.apply({ orgId: orgId(i), name: `Org ${i}`, installedAt, settings: orgSettingsSchema.parse({ syncFrequency: frequencies[i % frequencies.length] }) });
  });
  let listed = 0;
  let token: string | undefined;
  const listStarted = performance.now();
  do {
    const out = await scheduler().send(new ListSchedulesCommand({ GroupName: resources.scheduleGroupName, NextToken: token }));
    listed += out.Schedules?.length ?? 0;
    token = out.NextToken;
  } while (token);
  const listMs = performance.now() - listStarted;
  // The local run's scheduler, one tick over every schedule (the first reads each schedule once).
  let clock = new Date('2026-11-02T00:00:00Z');
  const stop = new AbortController();
  const local = startLocalScheduler({ signal: stop.signal, now: () => clock, tickMs: 3_600_000 });
  clock = new Date('2026-11-02T00:30:00Z');
  const firstTickStarted = performance.now();
  const fired = await local.tick();
  const firstTickMs = performance.now() - firstTickStarted;
  clock = new Date('2026-11-02T01:00:00Z');
  const tickStarted = performance.now();
  const firedAgain = await local.tick();
  const tickMs = performance.now() - tickStarted;
  stop.abort();
  await local.stopped;
  const removeMs = await inParallel(orgs, (i) => schedules.remove(orgId(i)));

  const rate = (n: number, ms: number) => `${fmt(n / (ms / 1000), 0)}/s`;
  process.stdout.write(
    [
      `EventBridge Scheduler schedules against moto (${await moto.endpoint}), ${orgs} orgs, ${concurrency} at a time`,
      `  create (CreateSchedule + GetSchedule each): ${fmt(createMs / 1000, 1)} s (${rate(orgs, createMs)})`,
      `  listed back from the group:                 ${listed} in ${fmt(listMs / 1000, 1)} s`,
      `  local scheduler, first tick (reads each):   ${fmt(firstTickMs / 1000, 1)} s, ${fired.length} fired for 00:00-00:30`,
      `  local scheduler, next tick:                 ${fmt(tickMs / 1000, 1)} s, ${firedAgain.length} fired for 00:30-01:00`,
      `  remove (DeleteSchedule each):               ${fmt(removeMs / 1000, 1)} s (${rate(orgs, removeMs)})`,
    ].join('\n') + '\n',
  );
  if (listed !== orgs) {
    process.stderr.write(`expected ${orgs} schedules in the group, found ${listed}\n`);
    process.exitCode = 1;
  }
} finally {
  await moto.stop();
}
