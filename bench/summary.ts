import { cpus, loadavg } from 'node:os';
import type { CallCounts } from './api-calls.ts';
import { addCounts, emptyCounts, type AwsCounts } from './aws-counters.ts';
import type { BaselineResult } from './baseline.ts';
import type { BundleSize } from './bundles.ts';
import { costPerMillion, PRICES, PRICES_AS_OF, type CostLine } from './cost.ts';
import { lowerBound, type LowerBound } from './lower-bound.ts';
import type { PipelineOptions, PipelineResult } from './ours.ts';
import type { OrgCheck } from './verify.ts';
import type { Workload } from './workload.ts';
import type { WorkerReport } from './worker-protocol.ts';

export const TARGETS = { boundRatio: 1.5, fewerCallsThanBaseline: 20, throughputOverBaseline: 5 } as const;

export interface OrgSummary {
  label: string;
  orgId: string;
  records: number;
  ours: CallCounts;
  baseline: CallCounts | null;
  lowerBound: LowerBound;
  oursPer1000: number;
  lowerBoundPer1000: number;
  baselinePer1000: number | null;
  oursOverBound: number;
  baselineOverOurs: number | null;
  /** Mean records per session collection call: what batching achieved against the 200 allowed. */
  recordsPerSessionWrite: number;
}

export interface Durations {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  billedMs: number;
}

export interface BenchSummary {
  command: string;
  options: PipelineOptions & { sessions: number; seed: number; baseline: boolean };
  machine: { cpus: number; node: string; loadAverageAtEnd: number[] };
  workload: Workload['stats'];
  orgs: OrgSummary[];
  totals: { ours: number; baseline: number | null; lowerBound: number; oursOverBound: number; baselineOverOurs: number | null };
  throughput: {
    ours: { wallMs: number; allQueuedMs: number; sessionsPerSecond: number; eventsPerSecond: number };
    baseline: { wallMs: number; sessionsPerSecond: number; eventsPerSecond: number } | null;
    oursOverBaseline: number | null;
  };
  lambda: {
    processor: {
      instances: number;
      meanBatch: number;
      maxBatch: number;
      failures: number;
      durations: Durations;
      initMs: number;
      /** Shares of the processor's handler time with a request outstanding; they overlap. */
      dynamoWaitShare: number;
      salesforceWaitShare: number;
    };
    ingest: { durations: Durations; rejected: number; initMs: number };
  };
  memory: { processorMaxRssBytes: number; processorPeakHeapBytes: number; ingestMaxRssBytes: number };
  aws: AwsCounts & { apiGatewayRequests: number };
  cost: { pricesAsOf: string; prices: typeof PRICES; lines: CostLine[]; totalUsdPerMillion: number };
  bundles: BundleSize[];
  checks: { ours: OrgCheck[]; baseline: OrgCheck[] | null; deadLettered: number; ok: boolean };
  targets: Array<{ name: string; target: string; actual: string; met: boolean }>;
}

function durations(reports: WorkerReport[]): Durations {
  const all = reports.flatMap((r) => r.invocations.map((i) => i.durationMs)).sort((a, b) => a - b);
  const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))] ?? 0;
  return {
    count: all.length,
    meanMs: all.reduce((s, d) => s + d, 0) / Math.max(1, all.length),
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    maxMs: all[all.length - 1] ?? 0,
    // Lambda bills each invocation's duration rounded up to the millisecond.
    billedMs: all.reduce((s, d) => s + Math.ceil(d), 0),
  };
}

const per1000 = (calls: number, sessions: number) => (calls / sessions) * 1000;

export function summarize(input: {
  command: string;
  options: BenchSummary['options'];
  workload: Workload;
  ours: PipelineResult;
  baseline: BaselineResult | null;
  bundles: BundleSize[];
}): BenchSummary {
  const { workload, ours, baseline } = input;
  const sessions = workload.stats.sessions;
  const orgs: OrgSummary[] = [...workload.expected.values()].map((e) => {
    const o = ours.calls.get(e.orgId)!;
    const b = baseline?.calls.get(e.orgId) ?? null;
    const bound = lowerBound(e);
    return {
      label: e.label,
      orgId: e.orgId,
      records: e.records,
      ours: o,
      baseline: b,
      lowerBound: bound,
      oursPer1000: per1000(o.total, sessions),
      lowerBoundPer1000: per1000(bound.total, sessions),
      baselinePer1000: b ? per1000(b.total, sessions) : null,
      oursOverBound: o.total / bound.total,
      baselineOverOurs: b ? b.total / o.total : null,
      recordsPerSessionWrite: (e.records + e.endedRecords) / Math.max(1, o.sessionWrites),
    };
  });
  const sum = (pick: (o: OrgSummary) => number) => orgs.reduce((s, o) => s + pick(o), 0);
  const oursTotal = sum((o) => o.ours.total);
  const baselineTotal = baseline ? sum((o) => o.baseline!.total) : null;
  const boundTotal = sum((o) => o.lowerBound.total);

  const events = workload.stats.arrivals;
  const oursTp = { wallMs: ours.wallMs, allQueuedMs: ours.allQueuedMs, sessionsPerSecond: sessions / (ours.wallMs / 1000), eventsPerSecond: events / (ours.wallMs / 1000) };
  const baseTp = baseline
    ? { wallMs: baseline.wallMs, sessionsPerSecond: sessions / (baseline.wallMs / 1000), eventsPerSecond: baseline.eventsProcessed / (baseline.wallMs / 1000) }
    : null;

  const processorDurations = durations(ours.processors);
  const ingestDurations = durations([ours.ingest]);
  const batches = ours.processors.flatMap((p) => p.invocations.map((i) => i.records));
  const aws = [ours.ingest, ...ours.processors].map((r) => r.aws).reduce(addCounts, emptyCounts());
  const secretsCalls = Object.entries(aws.requests).filter(([k]) => k.startsWith('SecretsManager.')).reduce((s, [, v]) => s + v, 0);
  const cost = costPerMillion({
    sessions,
    processorInvocations: processorDurations.count,
    processorMs: processorDurations.billedMs,
    processorMemoryMb: 512,
    ingestInvocations: ingestDurations.count,
    ingestMs: ingestDurations.billedMs,
    ingestMemoryMb: 256,
    // The pipeline's own SQS traffic, billed; the mapping's idle long polls are a fixed cost, not per session.
    sqsRequests: aws.sqsBilled,
    dynamoWriteUnits: aws.dynamoWriteUnits,
    dynamoReadUnits: aws.dynamoReadUnits,
    secretsCalls,
  });

  const ingestBundle = input.bundles.find((b) => b.name === 'webhook-ingest');
  const checksOk =
    ours.checks.every((c) => c.ok) && (baseline?.checks.every((c) => c.ok) ?? true) && ours.deadLettered === 0 && (ours.ingest.rejected ?? 0) === 0;
  const targets = [
    ...orgs.map((o) => ({
      name: `API calls within ${TARGETS.boundRatio}× the lower bound: ${o.label}`,
      target: `≤ ${TARGETS.boundRatio}×`,
      actual: `${o.oursOverBound.toFixed(2)}×`,
      met: o.oursOverBound <= TARGETS.boundRatio,
    })),
    {
      name: `API calls within ${TARGETS.boundRatio}× the lower bound: all orgs`,
      target: `≤ ${TARGETS.boundRatio}×`,
      actual: `${(oursTotal / boundTotal).toFixed(2)}×`,
      met: oursTotal / boundTotal <= TARGETS.boundRatio,
    },
  ];
  if (baselineTotal !== null && baseTp) {
    targets.push(
      {
        name: `at least ${TARGETS.fewerCallsThanBaseline}× fewer API calls than the baseline`,
        target: `≥ ${TARGETS.fewerCallsThanBaseline}×`,
        actual: `${(baselineTotal / oursTotal).toFixed(1)}×`,
        met: baselineTotal / oursTotal >= TARGETS.fewerCallsThanBaseline,
      },
      {
        name: `throughput at least ${TARGETS.throughputOverBaseline}× the baseline's`,
        target: `≥ ${TARGETS.throughputOverBaseline}×`,
        actual: `${(oursTp.sessionsPerSecond / baseTp.sessionsPerSecond).toFixed(2)}×`,
        met: oursTp.sessionsPerSecond / baseTp.sessionsPerSecond >= TARGETS.throughputOverBaseline,
      },
    );
  }
  targets.push(
    {
      name: 'webhook-ingest bundle carries no Salesforce client (no jsforce input)',
      target: '0 jsforce files',
      actual: `${ingestBundle?.jsforceInputs ?? 'no bundle'} jsforce files`,
      met: ingestBundle !== undefined && ingestBundle.jsforceInputs === 0,
    },
    { name: 'every org holds exactly what the rules say (both runs), nothing dead-lettered', target: 'all checks pass', actual: checksOk ? 'all pass' : 'FAILED', met: checksOk },
  );

  return {
    command: input.command,
    options: input.options,
    machine: { cpus: cpus().length, node: process.version, loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
    workload: workload.stats,
    orgs,
    totals: { ours: oursTotal, baseline: baselineTotal, lowerBound: boundTotal, oursOverBound: oursTotal / boundTotal, baselineOverOurs: baselineTotal === null ? null : baselineTotal / oursTotal },
    throughput: { ours: oursTp, baseline: baseTp, oursOverBaseline: baseTp ? oursTp.sessionsPerSecond / baseTp.sessionsPerSecond : null },
    lambda: {
      processor: {
        instances: ours.processors.length,
        meanBatch: batches.reduce((s, b) => s + b, 0) / Math.max(1, batches.length),
        maxBatch: Math.max(0, ...batches),
        failures: ours.processors.reduce((s, p) => s + p.invocations.reduce((f, i) => f + i.failures, 0), 0),
        durations: processorDurations,
        initMs: Math.max(...ours.processors.map((p) => p.initMs)),
        dynamoWaitShare: ours.processors.reduce((n, p) => n + p.aws.dynamoBusyMs, 0) / Math.max(1, processorDurations.billedMs),
        salesforceWaitShare: ours.processors.reduce((n, p) => n + (p.salesforceBusyMs ?? 0), 0) / Math.max(1, processorDurations.billedMs),
      },
      ingest: { durations: ingestDurations, rejected: ours.ingest.rejected ?? 0, initMs: ours.ingest.initMs },
    },
    memory: {
      processorMaxRssBytes: Math.max(...ours.processors.map((p) => p.memory.maxRssBytes)),
      processorPeakHeapBytes: Math.max(...ours.processors.map((p) => p.memory.peakHeapUsedBytes)),
      ingestMaxRssBytes: ours.ingest.memory.maxRssBytes,
    },
    aws: { ...aws, apiGatewayRequests: ingestDurations.count },
    cost: { pricesAsOf: PRICES_AS_OF, prices: PRICES, lines: cost.lines, totalUsdPerMillion: cost.totalUsd },
    bundles: input.bundles,
    checks: { ours: ours.checks, baseline: baseline?.checks ?? null, deadLettered: ours.deadLettered, ok: checksOk },
    targets,
  };
}

