import type { BenchSummary } from './summary.ts';
import { fmt, mib, ratio, table } from './table.ts';

const secs = (ms: number) => `${fmt(ms / 1000, 1)} s`;
const per = (n: number | null) => (n === null ? '-' : fmt(n, n < 100 ? 1 : 0));

/** The human-readable report: one table per question issue 13 asks, then the targets. */
export function renderReport(s: BenchSummary): string {
  const o = s.settings;
  const out: string[] = [
    `Glance → Salesforce benchmark in simulated time, seed ${s.seed}`,
    `command: ${s.command}`,
    `event source (shared/config.ts, as the stack): batch size ${o.batchSize}, window ${secs(o.windowMs)}, ${o.concurrency} concurrent; ` +
      `latency per Salesforce call ${o.salesforceLatencyMs} ms, per AWS request ${o.awsLatencyMs} ms (ours and naive alike); ` +
      `budgets: record ${secs(s.budget.recordMs)}, Chatter ${secs(s.budget.chatterMs)}`,
    '',
    'Salesforce API calls per 1,000 sessions, all three orgs (counted by the simulator)',
    table(
      ['pace', 'sessions', 'events', 'sim. hours', 'ours', 'latency-aware bound', 'batch-limit bound', 'naive', 'ours / bound', 'naive / ours', 'messages / invocation', 'calls / invocation'],
      s.scenarios.map((x) => [
        x.label,
        x.sessions,
        x.events,
        fmt(x.simulatedHours, 1),
        per(x.per1000.ours),
        per(x.per1000.latencyBound),
        per(x.per1000.batchBound),
        per(x.per1000.naive),
        ratio(x.oursOverLatencyBound),
        x.naiveOverOurs === null ? '-' : ratio(x.naiveOverOurs),
        fmt(x.meanMessagesPerInvocation, 1),
        fmt(x.callsPerInvocation, 1),
      ]),
    ),
    '',
    'Our calls by purpose, per 1,000 sessions',
    table(
      ['pace', 'describe', 'Lead queries', 'Lead writes', 'session writes', 'Composite', 'Chatter', 'admin records', 'other', 'failed'],
      s.scenarios.map((x) => {
        const k = (n: number) => fmt((n / x.sessions) * 1000, 1);
        return [x.label, k(x.calls.describe), k(x.calls.leadQueries), k(x.calls.leadWrites), k(x.calls.sessionWrites), k(x.calls.composite), k(x.calls.chatter), k(x.calls.adminRecords), k(x.calls.other), x.calls.failed];
      }),
    ),
    '',
    'Latency from the session.started webhook, simulated time, every (org, session) written',
    table(
      ['pace', 'record p50', 'record p95', 'Chatter p50', 'Chatter p95', 'AWS requests / event', 'retried messages'],
      s.scenarios.map((x) => [
        x.label,
        secs(x.latency.record.p50Ms),
        secs(x.latency.record.p95Ms),
        secs(x.latency.chatter.p50Ms),
        secs(x.latency.chatter.p95Ms),
        fmt(x.awsRequestsPerEvent, 1),
        x.retried,
      ]),
    ),
  ];
  if (s.throughput) {
    const t = s.throughput;
    out.push(
      '',
      `Throughput, the larger workload queued at once (${fmt(t.events)} events), same simulator, latencies and concurrency`,
      table(
        ['pipeline', 'events / simulated s'],
        [
          ['ours (processor: queue drained)', fmt(t.ours, 1)],
          ['naive', fmt(t.naive, 1)],
          ['ours / naive', ratio(t.ratio)],
          [`ours until the last record is in Salesforce (${fmt(t.allWrittenSeconds, 0)} s, the outbox waits up to the record budget)`, fmt(t.allWritten, 1)],
        ],
      ),
    );
  }
  if (s.coldStart) {
    out.push(
      '',
      `Cold start: importing each bundle as built for Lambda in a fresh node (median of ${s.coldStart[0]?.runs ?? 0}, wall-clock on this machine)`,
      table(['bundle', 'size', 'import'], s.coldStart.map((c) => [c.name, mib(c.bytes), `${fmt(c.importMs, 0)} ms`])),
    );
  }
  out.push('', 'Targets (issue 13)');
  for (const t of s.targets) {
    out.push(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.name}: ${t.figure}`);
    if (t.boundedBy) out.push(`          bounded by: ${t.boundedBy}`);
  }
  out.push('', s.failures.length ? `DATA CHECKS FAILED:\n  ${s.failures.join('\n  ')}` : 'Data checks: every org holds exactly the records, Leads and posts the rules call for, no duplicates, nothing dead-lettered.');
  out.push(`(${fmt(s.wallSeconds, 0)} s of wall time; the figures above do not depend on it)`);
  return out.join('\n');
}
