import { CAMPAIGN_OUTBOX } from './env.ts';
import type { CampaignResult } from './campaign.ts';

const pad = (value: unknown, width: number) => String(value).padEnd(width);
const num = (value: unknown, width: number) => String(value).padStart(width);
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
const sorted = (record: Record<string, number>) => Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/** The campaign's figures as a plain-text table. */
export function formatReport(result: CampaignResult): string {
  const { options, stats, verdict } = result;
  const lines: string[] = [];
  const line = (text = '') => lines.push(text);
  const sent = stats.sent;
  line(
    `Fault campaign: seed ${options.seed}, ${options.concurrency} containers on one queue (${options.processes} a real process), crash rate ${options.crashRate}, kill rate ${options.killRate}, fault rate ${options.faultRate}, ${options.outbox ? `per-org outboxes (budget ${CAMPAIGN_OUTBOX.recordBudgetMs / 1000} s, flush at ${CAMPAIGN_OUTBOX.flushRecords}) with the flusher sweep` : "outbox off"}`,
  );
  line(`  ${(stats.wallMs / 1000).toFixed(1)} s wall clock, ${stats.virtualHours.toFixed(1)} h simulated, ${stats.rounds} rounds, ${stats.invocations} invocations`);
  line();
  line(`Events sent                ${num(sum(Object.values(sent)), 6)}`);
  line(`  originals                ${num(sent.original, 6)}`);
  line(`  duplicates (same id)     ${num(sent.duplicate, 6)}`);
  line(`  re-sends (other id)      ${num(sent.resend, 6)}   webhook + sync overlap`);
  line(`  late re-sends            ${num(sent['late-resend'], 6)}   older version after the newer one`);
  line(`  malformed                ${num(sent.malformed, 6)}`);
  line(`Deliveries received        ${num(stats.received, 6)}   of which returned to the queue ${stats.returned}`);
  const killed = sum(Object.values(stats.kills));
  line(`Processor processes        ${num(stats.processInvocations, 6)}   invocations of the real bundled handler in its own OS process (${stats.processStarts} processes started)`);
  line(`SIGKILLs                   ${num(killed, 6)}   (${stats.killsNotReached} more planned whose write the batch never made)`);
  for (const [point, n] of sorted(stats.kills)) line(`  ${pad(point, 40)} ${num(n, 4)}`);
  line(`In-process crashes         ${num(sum(Object.values(stats.crashes)), 6)}`);
  for (const [point, n] of sorted(stats.crashes)) line(`  ${pad(point, 40)} ${num(n, 4)}`);
  line(`Salesforce faults injected ${num(sum(Object.values(stats.faults)), 6)}   (${stats.faultsLeftArmed} still armed at the end)`);
  for (const [kind, n] of sorted(stats.faults)) line(`  ${pad(kind, 26)} ${num(n, 4)}`);
  if (options.outbox) {
    line(`Outbox flusher sweeps      ${num(stats.sweeps, 6)}   wrote ${stats.sweptRecords} shares; crashed ${sum(Object.values(stats.sweepCrashes))}`);
    for (const [point, n] of sorted(stats.sweepCrashes)) line(`  ${pad(point, 40)} ${num(n, 4)}`);
  }
  line(`Create races lost          ${num(stats.raceLosses, 6)}   (DUPLICATE_VALUE the simulator answered two overlapping upserts, no fault armed)`);
  line(`Org pauses                 ${num(sum(Object.values(stats.pauses)), 6)}   ${sorted(stats.pauses).map(([o, n]) => `${o} ${n}`).join(', ')}`);
  line(`Recovered Chatter claims   ${num(stats.recoveredClaims, 6)}   (claim of a crashed attempt: searched the feed before posting)`);
  line(`Claims still leased        ${num(stats.busyClaims, 6)}   (redelivered at receive + visibility timeout, claim taken later)`);
  line(`Shares that waited         ${num(stats.deferred, 6)}   (paused org or held Chatter claim; no failed receive counted)`);
  if (stats.outage) line(`Org outage                 ${stats.outage.org}: 503 to every call for ${stats.outage.hours} h simulated${stats.outage.spannedWaves ? ', its sessions ended (wave 2) while its shares and posts waited' : ''}${stats.outage.ranItsHours ? ', ran its hours while its shares waited' : ', cut short by the end of the run'}`);
  line();
  // Every kind of weather the run made, how it came about, and whether the outcome (the verdict below) matched.
  const matched = verdict.ok ? 'yes' : 'NO';
  line(`${pad('weather', 36)} ${pad('injected', 8)} ${pad('matched', 8)} count comes from`);
  const weather: Array<[string, number, string]> = [
    ['SIGKILL of the processor process', killed, 'seed picks kill and point; timing'],
    ['in-process crash (any write)', sum(Object.values(stats.crashes)), 'seed picks crash and point; timing'],
    ...(options.outbox ? [['outbox flusher crash', sum(Object.values(stats.sweepCrashes)), 'seed picks crash and point; timing'] as [string, number, string]] : []),
    ...sorted(stats.faults).map(([kind, n]): [string, number, string] => [
      kind === 'DUPLICATE_VALUE' ? 'DUPLICATE_VALUE (armed fault)' : kind,
      n,
      kind === 'ORG_OUTAGE' ? 'seed (org, hours, mid wave 1)' : 'seed per round; timing',
    ]),
    ['DUPLICATE_VALUE (concurrent upserts)', stats.raceLosses, 'timing only'],
    ['two processors at once (rounds)', stats.concurrentRounds, 'queue state; timing'],
    ['claim leased past visibility', stats.busyClaims, 'timing only'],
    ['org pause (breaker opened)', sum(Object.values(stats.pauses)), 'follows the faults; timing'],
  ];
  for (const [kind, n, source] of weather) line(`${pad(kind, 36)} ${num(n, 8)} ${pad(matched, 8)} ${source}`);
  line('  Seeded exactly: the events and their order, the bad inputs, the outage (which org, how long, when).');
  line('  Seeded decisions on a timed path: each round draws from one seeded stream whether a container');
  line('  crashes or the process is killed and at which write, and which fault is armed; but two containers');
  line('  and a real process run at once, so which batch and call a draw meets, how many rounds there are');
  line('  and so how many draws, depend on their timing. Races lost, leased claims and pauses are timing');
  line('  alone. A seed therefore repeats its model, not its exact weather counts; the verdict must hold');
  line('  for every run.');
  line();
  line(`${pad('org', 11)} ${pad('sessions exp / rec', 19)} ${pad('stale', 6)} ${pad('Leads exp / created', 20)} ${pad('posts exp / made', 17)}`);
  const pair = (a: number, b: number) => `${num(a, 6)} / ${pad(b, 6)}${a === b ? ' ' : '!'}`;
  for (const r of verdict.rows) {
    line(`${pad(r.org, 11)} ${pad(pair(r.sessionsExpected, r.sessionsRecorded), 19)} ${pad(r.staleRecords, 6)} ${pad(pair(r.leadsExpected, r.leadsCreated), 20)} ${pair(r.postsExpected, r.postsMade)}`);
  }
  const total = (key: keyof (typeof verdict.rows)[number]) => sum(verdict.rows.map((r) => r[key] as number));
  line(
    `${pad('total', 11)} ${pad(pair(total('sessionsExpected'), total('sessionsRecorded')), 19)} ${pad(total('staleRecords'), 6)} ${pad(pair(total('leadsExpected'), total('leadsCreated')), 20)} ${pair(total('postsExpected'), total('postsMade'))}`,
  );
  line();
  line(
    `Dead letters               ${num(sum(verdict.deadLetters.map((g) => g.count)), 6)}${verdict.deadLetterCopies ? `   of which ${verdict.deadLetterCopies} second copies of a bad input (dead-lettered, then killed before the batch answered)` : ''}`,
  );
  for (const g of verdict.deadLetters) line(`  ${num(g.count, 4)}  ${g.expected ? 'bad input ' : 'UNEXPECTED'}  ${g.reason}`);
  line(`Left on the events queue   ${num(verdict.leftOnQueue, 6)}`);
  line(`Left in org outboxes       ${num(verdict.leftInOutboxes, 6)}`);
  line();
  if (verdict.ok) line('PASS: recorded = expected, created = expected, posts = expected, DLQ holds only the permanently bad inputs');
  else {
    line(`FAIL: ${verdict.failures.length} finding(s)`);
    for (const f of verdict.failures) line(`  - ${f}`);
  }
  return lines.join('\n');
}
