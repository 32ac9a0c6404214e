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
  line(`Fault campaign: seed ${options.seed}, ${options.concurrency} Lambda containers, crash rate ${options.crashRate}, fault rate ${options.faultRate}`);
  line(`  ${(stats.wallMs / 1000).toFixed(1)} s wall clock, ${stats.virtualHours.toFixed(1)} h simulated, ${stats.rounds} rounds, ${stats.invocations} invocations`);
  line();
  line(`Events sent                ${num(sum(Object.values(sent)), 6)}`);
  line(`  originals                ${num(sent.original, 6)}`);
  line(`  duplicates (same id)     ${num(sent.duplicate, 6)}`);
  line(`  re-sends (other id)      ${num(sent.resend, 6)}   webhook + sync overlap`);
  line(`  late re-sends            ${num(sent['late-resend'], 6)}   older version after the newer one`);
  line(`  malformed                ${num(sent.malformed, 6)}`);
  line(`Deliveries received        ${num(stats.received, 6)}   of which returned to the queue ${stats.returned}`);
  line(`Crashes injected           ${num(sum(Object.values(stats.crashes)), 6)}`);
  for (const [point, n] of sorted(stats.crashes)) line(`  ${pad(point, 26)} ${num(n, 4)}`);
  line(`Salesforce faults injected ${num(sum(Object.values(stats.faults)), 6)}   (${stats.faultsLeftArmed} still armed at the end)`);
  for (const [kind, n] of sorted(stats.faults)) line(`  ${pad(kind, 26)} ${num(n, 4)}`);
  line(`Org pauses                 ${num(sum(Object.values(stats.pauses)), 6)}   ${sorted(stats.pauses).map(([o, n]) => `${o} ${n}`).join(', ')}`);
  line(`Recovered Chatter claims   ${num(stats.recoveredClaims, 6)}   (claim of a crashed attempt: searched the feed before posting)`);
  line(`Claims still leased        ${num(stats.busyClaims, 6)}   (redelivered at receive + visibility timeout, claim taken later)`);
  line(`Shares that waited         ${num(stats.deferred, 6)}   (paused org or held Chatter claim; no failed receive counted)`);
  if (stats.outage) line(`Org outage                 ${stats.outage.org}: 503 to every call for ${stats.outage.hours} h simulated${stats.outage.spannedWaves ? ', its sessions ended (wave 2) while its shares and posts waited' : ''}`);
  line();
  // Every kind of weather the run made, and whether the outcome (the verdict below) matched.
  const matched = verdict.ok ? 'yes' : 'NO';
  line(`${pad('weather', 28)} ${pad('injected', 9)} outcome matched`);
  const weather: Array<[string, number]> = [
    ['process crash (any point)', sum(Object.values(stats.crashes))],
    ...sorted(stats.faults).map(([kind, n]): [string, number] => [kind === 'DUPLICATE_VALUE' ? 'DUPLICATE_VALUE (concurrent)' : kind, n]),
    ['two processors at once', options.concurrency ?? 2],
    ['claim leased past visibility', stats.busyClaims],
    ['org pause', sum(Object.values(stats.pauses))],
  ];
  for (const [kind, n] of weather) line(`${pad(kind, 28)} ${num(n, 8)}  ${matched}`);
  line('  Counts follow from the seed, but two containers run at once: which call a fault or crash');
  line('  lands on depends on their timing, so a seed can inject slightly different weather per run.');
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
  line(`Dead letters               ${num(sum(verdict.deadLetters.map((g) => g.count)), 6)}`);
  for (const g of verdict.deadLetters) line(`  ${num(g.count, 4)}  ${g.expected ? 'bad input ' : 'UNEXPECTED'}  ${g.reason}`);
  line(`Left on the events queue   ${num(verdict.leftOnQueue, 6)}`);
  line();
  if (verdict.ok) line('PASS: recorded = expected, created = expected, posts = expected, DLQ holds only the permanently bad inputs');
  else {
    line(`FAIL: ${verdict.failures.length} finding(s)`);
    for (const f of verdict.failures) line(`  - ${f}`);
  }
  return lines.join('\n');
}
