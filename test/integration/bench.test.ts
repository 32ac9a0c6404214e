import { describe, expect, it } from 'vitest';
import { classify } from '../../bench/api-calls.ts';
import { bundleSizes } from '../../bench/bundles.ts';
import { latencyAwareBound, lowerBound } from '../../bench/lower-bound.ts';
import { BENCH_ORGS } from '../../bench/orgs.ts';
import { runOursSim, stackSettings } from '../../bench/sim/run.ts';
import { createSimClock } from '../../bench/sim/clock.ts';
import { timeline } from '../../bench/sim/timeline.ts';
import { generateWorkload } from '../../bench/workload.ts';
import { LATENCY_BUDGET } from '../../shared/config.ts';

// Correctness only: figures and timings are the benchmark's to print, never a test's to assert.

describe('bench workload', () => {
  it('is the same for the same seed and has the shape issue 6 asks for', () => {
    const a = generateWorkload({ sessions: 2000, seed: 3 });
    const b = generateWorkload({ sessions: 2000, seed: 3 });
    expect(JSON.stringify(timeline(a, { kind: 'perSecond', rate: 3 }))).toBe(JSON.stringify(timeline(b, { kind: 'perSecond', rate: 3 })));
    const share = (n: number) => n / a.stats.sessions;
    expect(share(a.stats.screenShare)).toBeCloseTo(0.6, 1);
    expect(share(a.stats.launchedFromRecord)).toBeCloseTo(0.25, 1);
    expect(share(a.stats.overlapping)).toBeCloseTo(0.3, 1);
    expect(a.stats.knownGuestEmails / a.stats.distinctGuestEmails).toBeCloseTo(0.4, 1);
    expect(a.stats.distinctGuestEmails).toBeLessThan(a.stats.guests * 0.7);
  });

  it('replays at the pace asked: a day of 1,000 spans a day, 10 a second about 100 s per 1,000, and each sync copy follows its session', () => {
    const w = generateWorkload({ sessions: 1000, seed: 2 });
    const day = timeline(w, { kind: 'perDay', perDay: 1000 }).filter((a) => a.source === 'webhook');
    expect(day.at(-1)!.at - day[0]!.at).toBeGreaterThan(23 * 3600_000);
    const fast = timeline(w, { kind: 'perSecond', rate: 10 });
    const hooks = fast.filter((a) => a.source === 'webhook');
    expect(hooks.at(-1)!.at - hooks[0]!.at).toBeGreaterThan(80_000);
    expect(hooks.at(-1)!.at - hooks[0]!.at).toBeLessThan(120_000);
    const startedAt = new Map(hooks.map((a) => [a.event.session.id, a.at]));
    const syncs = fast.filter((a) => a.source === 'sync');
    expect(syncs.length).toBe(w.stats.overlapping);
    for (const s of syncs) expect(s.at).toBeGreaterThan(startedAt.get(s.event.session.id)!);
  });
});

describe('simulated clock', () => {
  it('moves time only through timers, in order, and waits for real work before moving on', async () => {
    const clock = createSimClock(1000);
    const seen: string[] = [];
    void (async () => {
      await clock.sleep(50);
      seen.push(`a@${clock.now()}`);
      await clock.real(() => new Promise((r) => setTimeout(r, 20)));
      seen.push(`a-real@${clock.now()}`);
    })();
    void (async () => {
      await clock.sleep(60);
      seen.push(`b@${clock.now()}`);
    })();
    expect(await clock.run()).toBe(1060);
    expect(seen).toEqual(['a@1050', 'a-real@1050', 'b@1060']);
  });
});

describe('bench counting', () => {
  it('sorts the simulator call log by purpose, batched or one record at a time', () => {
    const v = '/services/data/v62.0';
    expect(classify({ method: 'GET', path: `${v}/sobjects` })).toBe('describe');
    expect(classify({ method: 'GET', path: `${v}/sobjects/Glance_Session__c/describe` })).toBe('describe');
    expect(classify({ method: 'GET', path: `${v}/query?q=SELECT Id, Email FROM Lead WHERE Email IN ('a@b.co')` })).toBe('leadQueries');
    expect(classify({ method: 'PATCH', path: `${v}/composite/sobjects/Lead/Glance_Guest_Key__c` })).toBe('leadWrites');
    expect(classify({ method: 'POST', path: `${v}/sobjects/Lead` })).toBe('leadWrites');
    expect(classify({ method: 'PATCH', path: `${v}/sobjects/Glance_Session__c/Glance_Session_Id__c/1.2.3` })).toBe('sessionWrites');
    expect(classify({ method: 'POST', path: `${v}/chatter/feed-elements/batch` })).toBe('chatter');
    expect(classify({ method: 'PATCH', path: `${v}/composite/sobjects/Glance_Sync_Run__c/Run_Id__c` })).toBe('adminRecords');
    expect(classify({ method: 'PATCH', path: `${v}/composite/sobjects/Glance_Log__c/Log_Key__c` })).toBe('adminRecords');
  });

  it('computes the batch-limit bound from the batch limits', () => {
    const emails = Array.from({ length: 450 }, (_, i) => `guest${i}@example.org`);
    expect(lowerBound({ orgId: '00D5g000000AbCdEAK', label: 'x', records: 401, endedRecords: 0, candidateEmails: emails, newLeads: 201, chatterPosts: 501 })).toMatchObject({
      describe: 2,
      sessionWrites: 3,
      leadWrites: 2,
      chatter: 2,
      leadQueries: 2,
    });
  });

  it('latency-aware bound: a slower pace needs more flushes and more calls', () => {
    const w = generateWorkload({ sessions: 600, seed: 4 });
    const { org } = BENCH_ORGS[0]!;
    const fast = latencyAwareBound(org, timeline(w, { kind: 'perSecond', rate: 10 }), w.knownEmails, LATENCY_BUDGET);
    const slow = latencyAwareBound(org, timeline(w, { kind: 'perDay', perDay: 1000 }), w.knownEmails, LATENCY_BUDGET);
    expect(slow.flushes).toBeGreaterThan(fast.flushes);
    expect(slow.total).toBeGreaterThan(fast.total);
    // Chatter cannot wait for the record budget: a day of posts needs more batches than a minute of them.
    expect(slow.chatter).toBeGreaterThan(fast.chatter);
  });
});

describe('npm run bench, small', () => {
  it('leaves each org exactly what the rules call for, and the same seed gives the same calls', async () => {
    const w = generateWorkload({ sessions: 120, seed: 7 });
    const arrivals = timeline(w, { kind: 'perSecond', rate: 10 });
    const settings = stackSettings();
    const first = await runOursSim(w, arrivals, settings);
    for (const check of first.checks) {
      expect(check.records.actual, `${check.label} records`).toBe(check.records.expected);
      expect(check.newLeads.actual, `${check.label} new Leads`).toBe(check.newLeads.expected);
      expect(check.chatterPosts.actual, `${check.label} Chatter posts`).toBe(check.chatterPosts.expected);
      expect(check.endedRecords.actual, `${check.label} ended sessions`).toBe(check.endedRecords.expected);
      expect(check.duplicateRecords + check.duplicateLeads + check.duplicatePosts, `${check.label} duplicates`).toBe(0);
    }
    expect(first.deadLettered).toBe(0);
    const again = await runOursSim(w, arrivals, settings);
    expect(Object.fromEntries(again.calls)).toEqual(Object.fromEntries(first.calls));
    expect(again.recordLatencyMs).toEqual(first.recordLatencyMs);
  });

  it('keeps jsforce out of the webhook bundle', async () => {
    const sizes = await bundleSizes();
    expect(sizes.find((b) => b.name === 'webhook-ingest')?.jsforceInputs).toBe(0);
    expect(sizes.find((b) => b.name === 'session-processor')?.jsforceInputs).toBeGreaterThan(0);
  });
});
