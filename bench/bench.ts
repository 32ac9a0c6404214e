import { LATENCY_BUDGET } from '../shared/config.ts';
import type { BenchArgs } from './args.ts';
import { coldStarts } from './cold-start.ts';
import { latencyAwareBound, lowerBound } from './lower-bound.ts';
import { BENCH_ORGS } from './orgs.ts';
import { runNaiveSim, runOursSim, stackOutboxPolicy, type SimRun, type SimSettings } from './sim/run.ts';
import { timeline, type Pace } from './sim/timeline.ts';
import { failuresOf, per1000, percentiles, sumCounts, type BenchSummary, type ScenarioSummary, type Throughput } from './summary.ts';
import { evaluateTargets } from './targets.ts';
import { generateWorkload, type Workload } from './workload.ts';

export interface Scenario {
  id: string;
  label: string;
  pace: Pace;
  /** Which workload: the larger (`--sessions`) or a tenth of it. */
  size: 'large' | 'small';
}

/** The paces issue 13 asks for, side by side. */
export const SCENARIOS: Scenario[] = [
  { id: '1k/day', label: '1,000 a day', pace: { kind: 'perDay', perDay: 1000 }, size: 'small' },
  { id: '10k/day', label: '10,000 a day', pace: { kind: 'perDay', perDay: 10_000 }, size: 'large' },
  { id: '3/s', label: '3 a second', pace: { kind: 'perSecond', rate: 3 }, size: 'large' },
  { id: '10/s', label: '10 a second', pace: { kind: 'perSecond', rate: 10 }, size: 'large' },
];

const total = (run: SimRun) => [...run.calls.values()].reduce((n, c) => n + c.total, 0);

function summarizeScenario(s: Scenario, workload: Workload, run: SimRun, naive: SimRun | null): ScenarioSummary {
  const arrivals = timeline(workload, s.pace);
  const n = workload.sessions.length;
  const orgs = BENCH_ORGS.map(({ org, label }) => ({
    label,
    orgId: org.orgId,
    ours: run.calls.get(org.orgId)!,
    batchBound: lowerBound(workload.expected.get(org.orgId)!),
    latencyBound: latencyAwareBound(org, arrivals, workload.knownEmails, LATENCY_BUDGET),
    naive: naive?.calls.get(org.orgId)?.total ?? null,
  }));
  const calls = sumCounts(orgs.map((o) => o.ours));
  const batchBound = orgs.reduce((x, o) => x + o.batchBound.total, 0);
  const latencyBound = orgs.reduce((x, o) => x + o.latencyBound.total, 0);
  const naiveTotal = naive ? total(naive) : null;
  const es = run.eventSource;
  return {
    id: s.id,
    label: s.label,
    pace: s.pace,
    sessions: n,
    events: run.events,
    simulatedHours: run.spanMs / 3600_000,
    calls,
    orgs,
    per1000: { ours: per1000(calls.total, n), batchBound: per1000(batchBound, n), latencyBound: per1000(latencyBound, n), naive: naiveTotal === null ? null : per1000(naiveTotal, n) },
    oursOverLatencyBound: calls.total / latencyBound,
    naiveOverOurs: naiveTotal === null ? null : naiveTotal / calls.total,
    naiveOverLatencyBound: naiveTotal === null ? null : naiveTotal / latencyBound,
    invocations: es.invocations,
    meanMessagesPerInvocation: es.messagesDelivered / Math.max(1, es.invocations),
    callsPerInvocation: (calls.total - calls.describe) / Math.max(1, es.invocations),
    awsRequestsPerEvent: run.awsRequests / Math.max(1, run.events),
    retried: es.retried,
    deadLettered: run.deadLettered,
    latency: { record: percentiles(run.recordLatencyMs), chatter: percentiles(run.chatterLatencyMs) },
    checks: run.checks,
  };
}

/**
 * The whole benchmark: each scenario through our pipeline in simulated time; the naive baseline
 * and ours draining each workload queued at once (call counts do not depend on pace for the
 * baseline, and the drain gives throughput on the same footing); then the bundles' import times.
 */
export async function runBench(args: BenchArgs, command: string, progress: (line: string) => void = () => undefined): Promise<BenchSummary> {
  const started = Date.now();
  const settings: SimSettings = {
    batchSize: args.batchSize,
    windowMs: args.windowMs,
    concurrency: args.concurrency,
    salesforceLatencyMs: args.salesforceLatencyMs,
    awsLatencyMs: args.awsLatencyMs,
    outbox: stackOutboxPolicy(),
    debugMode: args.debugMode,
  };
  const workloads = {
    large: generateWorkload({ sessions: args.sessions, seed: args.seed }),
    small: generateWorkload({ sessions: Math.max(10, Math.round(args.sessions / 10)), seed: args.seed }),
  };
  const failures: string[] = [];
  const naive = new Map<'large' | 'small', SimRun>();
  if (args.baseline) {
    for (const size of ['small', 'large'] as const) {
      const w = workloads[size];
      progress(`naive baseline: ${w.sessions.length} sessions queued at once`);
      const run = await runNaiveSim(w, timeline(w, { kind: 'flood' }), settings);
      failures.push(...failuresOf(`naive, ${w.sessions.length} sessions`, run));
      naive.set(size, run);
    }
  }
  let throughput: Throughput | null = null;
  if (args.baseline) {
    const w = workloads.large;
    progress(`ours: ${w.sessions.length} sessions queued at once`);
    const run = await runOursSim(w, timeline(w, { kind: 'flood' }), settings);
    failures.push(...failuresOf('ours, queued at once', run));
    const b = naive.get('large')!;
    // The processor's throughput: the queue drained (into Salesforce or the outboxes), against the
    // naive pipeline writing every event; the outbox's own wait (the record budget) is printed beside it.
    const ours = run.events / (run.drainedMs / 1000);
    const base = b.events / (b.drainedMs / 1000);
    throughput = { events: run.events, ours, naive: base, ratio: ours / base, allWritten: run.events / (run.spanMs / 1000), allWrittenSeconds: run.spanMs / 1000 };
  }
  const scenarios: ScenarioSummary[] = [];
  for (const s of SCENARIOS) {
    const w = workloads[s.size];
    progress(`scenario ${s.label}: ${w.sessions.length} sessions`);
    const run = await runOursSim(w, timeline(w, s.pace), settings);
    failures.push(...failuresOf(`ours, ${s.label}`, run));
    scenarios.push(summarizeScenario(s, w, run, naive.get(s.size) ?? null));
  }
  let coldStart = null;
  if (args.coldStart) {
    progress('building the bundles and timing their import');
    coldStart = await coldStarts();
  }
  return {
    command,
    seed: args.seed,
    settings,
    budget: LATENCY_BUDGET,
    scenarios,
    throughput,
    coldStart,
    targets: evaluateTargets(scenarios, throughput, settings),
    failures,
    wallSeconds: (Date.now() - started) / 1000,
  };
}
