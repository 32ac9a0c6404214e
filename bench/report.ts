import type { BenchSummary } from './summary.ts';
import { fmt, kib, mib, ratio, table, usd } from './table.ts';
import { whatBounds } from './notes.ts';

const secs = (ms: number) => `${fmt(ms / 1000, 1)} s`;

/** The human-readable report: one table per question the issue asks. */
export function renderReport(s: BenchSummary): string {
  const out: string[] = [];
  const w = s.workload;
  const o = s.options;
  out.push(
    `Glance → Salesforce benchmark: ${fmt(w.sessions)} sessions, seed ${o.seed}`,
    `command: ${s.command}`,
    `machine: ${s.machine.cpus} CPUs, node ${s.machine.node}, load average at the end ${s.machine.loadAverageAtEnd.join(' / ')}`,
    `Salesforce: the simulator on loopback${o.salesforceLatencyMs ? `, behind a proxy adding ${o.salesforceLatencyMs} ms to every call (both runs)` : ' (no added latency)'}; ` +
      `AWS: two moto_servers (SQS through a one-request-at-a-time proxy); the webhook sender holds back while the queue holds over ${fmt(o.maxBacklog)} messages`,
    '',
    'Workload',
    table(
      ['', 'count'],
      [
        ['sessions (group A: production + sandbox; group B: third org)', w.sessions],
        ['screen share sessions (1-3 guests each)', w.screenShare],
        ['guests in all sessions', w.guests],
        ['distinct guest emails / already Leads before the run', `${fmt(w.distinctGuestEmails)} / ${fmt(w.knownGuestEmails)}`],
        ['sessions launched from a Case or Contact (Chatter on)', w.launchedFromRecord],
        ['sessions arriving twice (webhook + scheduled sync)', w.overlapping],
        ['events: signed webhooks + sync events', `${fmt(w.webhooks)} + ${fmt(w.syncEvents)}`],
      ],
    ),
    '',
    'Salesforce API calls per org (counted by the simulator)',
    table(
      ['org', 'records', 'ours', 'lower bound', 'ours / bound', 'baseline', 'baseline / ours', 'per 1,000 sessions: ours', 'bound', 'baseline'],
      [
        ...s.orgs.map((x) => [
          x.label,
          x.records,
          x.ours.total,
          x.lowerBound.total,
          ratio(x.oursOverBound),
          x.baseline?.total ?? '-',
          x.baselineOverOurs === null ? '-' : ratio(x.baselineOverOurs),
          fmt(x.oursPer1000, 1),
          fmt(x.lowerBoundPer1000, 1),
          x.baselinePer1000 === null ? '-' : fmt(x.baselinePer1000, 0),
        ]),
        [
          'all orgs',
          s.orgs.reduce((n, x) => n + x.records, 0),
          s.totals.ours,
          s.totals.lowerBound,
          ratio(s.totals.oursOverBound),
          s.totals.baseline ?? '-',
          s.totals.baselineOverOurs === null ? '-' : ratio(s.totals.baselineOverOurs),
          fmt((s.totals.ours / w.sessions) * 1000, 1),
          fmt((s.totals.lowerBound / w.sessions) * 1000, 1),
          s.totals.baseline === null ? '-' : fmt((s.totals.baseline / w.sessions) * 1000, 0),
        ],
      ],
    ),
    '',
    'API calls by purpose (ours | lower bound | baseline)',
    table(
      ['org', 'describe', 'Lead queries', 'Lead writes', 'session writes', 'Chatter', 'records per session write'],
      s.orgs.map((x) => {
        const cell = (k: 'describe' | 'leadQueries' | 'leadWrites' | 'sessionWrites' | 'chatter') =>
          `${x.ours[k]} | ${x.lowerBound[k]} | ${x.baseline?.[k] ?? '-'}`;
        return [x.label, cell('describe'), cell('leadQueries'), cell('leadWrites'), cell('sessionWrites'), cell('chatter'), fmt(x.recordsPerSessionWrite, 1)];
      }),
    ),
    '',
    'Throughput (sessions per second, unique sessions over wall time)',
    table(
      ['run', 'what is timed', 'wall time', 'sessions/s', 'events/s'],
      [
        ['ours', 'first webhook into ingest → events queue empty (moto)', secs(s.throughput.ours.wallMs), fmt(s.throughput.ours.sessionsPerSecond, 1), fmt(s.throughput.ours.eventsPerSecond, 1)],
        ...(s.throughput.baseline
          ? [['baseline', 'in-process, one arrival after another, straight to the simulator (no queue, no AWS)', secs(s.throughput.baseline.wallMs), fmt(s.throughput.baseline.sessionsPerSecond, 1), fmt(s.throughput.baseline.eventsPerSecond, 1)]]
          : []),
      ],
    ),
    `ours: every webhook and sync page was on the queue after ${secs(s.throughput.ours.allQueuedMs)}; ${o.ingestConcurrency} webhooks in flight at once`,
    s.throughput.oursOverBaseline === null ? '' : `ours / baseline throughput: ${ratio(s.throughput.oursOverBaseline)}`,
    '',
    `Lambda invocations (processor: ${s.lambda.processor.instances} instances, batch size ${o.batchSize}, window ${o.windowMs} ms)`,
    table(
      ['function', 'memory', 'invocations', 'mean batch', 'mean', 'p50', 'p95', 'max', 'billed total', 'peak RSS', 'module load'],
      [
        [
          'session-processor',
          '512 MB',
          s.lambda.processor.durations.count,
          fmt(s.lambda.processor.meanBatch, 1),
          `${fmt(s.lambda.processor.durations.meanMs, 0)} ms`,
          `${fmt(s.lambda.processor.durations.p50Ms, 0)} ms`,
          `${fmt(s.lambda.processor.durations.p95Ms, 0)} ms`,
          `${fmt(s.lambda.processor.durations.maxMs, 0)} ms`,
          secs(s.lambda.processor.durations.billedMs),
          mib(s.memory.processorMaxRssBytes),
          `${fmt(s.lambda.processor.initMs, 0)} ms`,
        ],
        [
          'webhook-ingest',
          '256 MB',
          s.lambda.ingest.durations.count,
          '1',
          `${fmt(s.lambda.ingest.durations.meanMs, 1)} ms`,
          `${fmt(s.lambda.ingest.durations.p50Ms, 1)} ms`,
          `${fmt(s.lambda.ingest.durations.p95Ms, 1)} ms`,
          `${fmt(s.lambda.ingest.durations.maxMs, 0)} ms`,
          secs(s.lambda.ingest.durations.billedMs),
          mib(s.memory.ingestMaxRssBytes),
          `${fmt(s.lambda.ingest.initMs, 0)} ms`,
        ],
      ],
    ),
    `processor peak V8 heap: ${mib(s.memory.processorPeakHeapBytes)} (each instance is its own process; peak RSS is the largest instance's, from getrusage)`,
    `processor handler time with a DynamoDB request outstanding: ${fmt(100 * s.lambda.processor.dynamoWaitShare, 0)}%, with a Salesforce call outstanding: ` +
      `${fmt(100 * s.lambda.processor.salesforceWaitShare, 0)}%; durations are measured here, on moto and a shared machine, so they and the compute cost are upper bounds`,
    '',
    'AWS requests (counted by middleware on the shared SDK clients)',
    table(
      ['request', 'count'],
      [
        ...Object.entries(s.aws.requests).sort(([a], [b]) => a.localeCompare(b)),
        ['SQS requests as billed (64 KiB chunks; without empty receives)', s.aws.sqsBilled],
        ['SQS receives that found nothing (the mapping idling; not costed)', s.aws.sqsEmptyReceives],
        ['DynamoDB write request units', s.aws.dynamoWriteUnits],
        ['DynamoDB read request units', s.aws.dynamoReadUnits],
        ['API Gateway requests (one per webhook)', s.aws.apiGatewayRequests],
      ],
    ),
    `requests the SDK sent again (dropped connections, throttles): ${
      Object.entries(s.aws.sdkRetries).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'
    }`,
    '',
    `Estimated AWS cost per million sessions (prices: ${s.cost.pricesAsOf})`,
    table(
      ['item', 'per million sessions', 'unit price', 'unit', 'USD'],
      [
        ...s.cost.lines.map((l) => [l.item, fmt(l.quantityPerMillion, 0), usd(l.unitUsd), l.unit, usd(l.usdPerMillion)]),
        ['total', '', '', '', usd(s.cost.totalUsdPerMillion)],
      ],
    ),
    'Not included: CloudWatch Logs and metrics, X-Ray traces, the sync-run Lambda and Glance API (sync events were queued directly), EventBridge schedules, free tiers.',
    '',
    'Bundles (esbuild as NodejsFunction builds them: ESM, minified, node22, require banner, AWS SDK bundled)',
    table(
      ['function', 'index.mjs', 'gzip', 'source map', 'input files', 'jsforce files'],
      s.bundles.map((b) => [b.name, kib(b.bytes), kib(b.gzipBytes), kib(b.sourceMapBytes), b.inputs, b.jsforceInputs]),
    ),
    '',
    'Correctness (records, Leads made, Chatter posts, ended sessions, duplicates) per org',
    table(
      ['run', 'org', 'records', 'ended', 'new Leads', 'posts', 'duplicates', 'ok'],
      [
        ...checkRows('ours', s.checks.ours),
        ...(s.checks.baseline ? checkRows('baseline', s.checks.baseline) : []),
      ],
    ),
    `dead-lettered: ${s.checks.deadLettered}; webhooks refused: ${s.lambda.ingest.rejected}; processor items retried: ${s.lambda.processor.failures}`,
    '',
    'Targets (issue 6)',
    table(['target', 'wanted', 'measured', 'met'], s.targets.map((t) => [t.name, t.target, t.actual, t.met ? 'yes' : 'NO'])),
  );
  const notes = whatBounds(s);
  if (notes.length) out.push('', 'What bounds the figures', ...notes.map((n) => `- ${n}`));
  return out.join('\n');
}

function checkRows(run: string, checks: BenchSummary['checks']['ours']): Array<Array<string | number>> {
  const pair = (x: { actual: number; expected: number }) => (x.actual === x.expected ? fmt(x.actual) : `${fmt(x.actual)} (want ${fmt(x.expected)})`);
  return checks.map((c) => [
    run,
    c.label,
    pair(c.records),
    pair(c.endedRecords),
    pair(c.newLeads),
    pair(c.chatterPosts),
    c.duplicateRecords + c.duplicateLeads + c.duplicatePosts,
    c.ok ? 'yes' : 'NO',
  ]);
}
