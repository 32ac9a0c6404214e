import { describe, expect, it } from 'vitest';
import { classify } from '../../bench/api-calls.ts';
import { parseBenchArgs } from '../../bench/args.ts';
import { runBench } from '../../bench/bench.ts';
import { lowerBound } from '../../bench/lower-bound.ts';
import { generateWorkload } from '../../bench/workload.ts';

// Correctness only: figures and timings are the benchmark's to print, never a test's to assert.

describe('bench workload', () => {
  it('is the same for the same seed and has the shape issue 6 asks for', () => {
    const a = generateWorkload({ sessions: 2000, seed: 3, inFlight: 250 });
    const b = generateWorkload({ sessions: 2000, seed: 3, inFlight: 250 });
    expect(JSON.stringify(a.feed)).toBe(JSON.stringify(b.feed));
    const share = (n: number) => n / a.stats.sessions;
    expect(share(a.stats.screenShare)).toBeCloseTo(0.6, 1);
    expect(share(a.stats.launchedFromRecord)).toBeCloseTo(0.25, 1);
    expect(share(a.stats.overlapping)).toBeCloseTo(0.3, 1);
    expect(a.stats.knownGuestEmails / a.stats.distinctGuestEmails).toBeCloseTo(0.4, 1);
    // Repeat guests: fewer distinct emails than guests with one.
    expect(a.stats.distinctGuestEmails).toBeLessThan(a.stats.guests * 0.7);
  });

  it('puts every sync copy after its webhook, further back than the processors hold at once, or after the queue drained', () => {
    const w = generateWorkload({ sessions: 1500, seed: 5, inFlight: 250 });
    const position = new Map<string, number>();
    let index = 0;
    let checked = 0;
    for (const arrival of w.feed) {
      if (arrival.kind === 'webhook') position.set((JSON.parse(arrival.body) as { session: { id: string } }).session.id, index++);
      else {
        // The last sync page waits for an empty queue instead.
        if (!arrival.afterDrain) {
          for (const event of arrival.events) expect(index - position.get(event.session.id)!).toBeGreaterThan(250);
          checked += arrival.events.length;
        }
        index += arrival.events.length;
      }
    }
    // The assertions sit in the loop: the workload must have had sync copies to check.
    expect(checked).toBeGreaterThan(100);
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
  });

  it('computes the lower bound from the batch limits', () => {
    const emails = Array.from({ length: 450 }, (_, i) => `guest${i}@example.org`);
    expect(lowerBound({ orgId: '00D5g000000AbCdEAK', label: 'x', records: 401, endedRecords: 0, candidateEmails: emails, newLeads: 201, chatterPosts: 501 })).toMatchObject({
      describe: 2,
      sessionWrites: 3,
      leadWrites: 2,
      chatter: 2,
      leadQueries: 2,
    });
  });
});

describe('npm run bench, small', () => {
  it('leaves each org exactly what the rules call for, in our pipeline and in the baseline', async () => {
    const args = parseBenchArgs(['--sessions', '200', '--seed', '7']);
    if (args === 'help') throw new Error('unexpected');
    const s = await runBench(args, 'test');
    for (const check of [...s.checks.ours, ...(s.checks.baseline ?? [])]) {
      expect(check.records.actual, `${check.label} records`).toBe(check.records.expected);
      expect(check.newLeads.actual, `${check.label} new Leads`).toBe(check.newLeads.expected);
      expect(check.chatterPosts.actual, `${check.label} Chatter posts`).toBe(check.chatterPosts.expected);
      expect(check.endedRecords.actual, `${check.label} ended sessions`).toBe(check.endedRecords.expected);
      expect(check.duplicateRecords + check.duplicateLeads + check.duplicatePosts, `${check.label} duplicates`).toBe(0);
    }
    expect(s.checks.baseline).toHaveLength(3);
    expect(s.checks.deadLettered).toBe(0);
    expect(s.lambda.ingest.rejected).toBe(0);
    expect(s.bundles.find((b) => b.name === 'webhook-ingest')?.jsforceInputs).toBe(0);
    expect(s.bundles.find((b) => b.name === 'session-processor')?.jsforceInputs).toBeGreaterThan(0);
  });
});
