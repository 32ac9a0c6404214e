import type { CallCounts } from './api-calls.ts';
import type { ColdStart } from './cold-start.ts';
import type { LatencyAwareBound, LowerBound } from './lower-bound.ts';
import type { Pace } from './sim/timeline.ts';
import type { SimRun, SimSettings } from './sim/run.ts';
import type { OrgCheck } from './verify.ts';

export interface Percentiles {
  count: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface OrgFigures {
  label: string;
  orgId: string;
  ours: CallCounts;
  batchBound: LowerBound;
  latencyBound: LatencyAwareBound;
  naive: number | null;
}

export interface ScenarioSummary {
  id: string;
  label: string;
  pace: Pace;
  sessions: number;
  events: number;
  simulatedHours: number;
  /** All orgs together. */
  calls: CallCounts;
  orgs: OrgFigures[];
  per1000: { ours: number; batchBound: number; latencyBound: number; naive: number | null };
  oursOverLatencyBound: number;
  naiveOverOurs: number | null;
  naiveOverLatencyBound: number | null;
  invocations: number;
  meanMessagesPerInvocation: number;
  /** Salesforce calls (describes and logins aside) per invocation. */
  callsPerInvocation: number;
  awsRequestsPerEvent: number;
  retried: number;
  deadLettered: number;
  latency: { record: Percentiles; chatter: Percentiles };
  checks: OrgCheck[];
}

export interface Throughput {
  events: number;
  /** Events a simulated second, the processor draining the whole workload queued at once. */
  ours: number;
  naive: number;
  ratio: number;
  /** Ours counted until the last record was in Salesforce (the outbox waits up to the record budget), events/s, and that span in s. */
  allWritten: number;
  allWrittenSeconds: number;
}

export interface Target {
  name: string;
  met: boolean;
  figure: string;
  /** For a missed target: what bounds it, with the figure. */
  boundedBy?: string;
}

export interface BenchSummary {
  command: string;
  seed: number;
  settings: SimSettings;
  budget: { recordMs: number; chatterMs: number };
  scenarios: ScenarioSummary[];
  throughput: Throughput | null;
  coldStart: ColdStart[] | null;
  targets: Target[];
  /** Wrong data in an org (missing, extra or duplicate records, Leads or posts), by scenario: the run failed. */
  failures: string[];
  wallSeconds: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0);
  return { count: sorted.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted.at(-1) ?? 0 };
}

export function sumCounts(list: CallCounts[]): CallCounts {
  const out: CallCounts = { describe: 0, leadQueries: 0, leadWrites: 0, sessionWrites: 0, composite: 0, chatter: 0, adminRecords: 0, other: 0, total: 0, failed: 0 };
  for (const c of list) for (const k of Object.keys(out) as Array<keyof CallCounts>) out[k] += c[k];
  return out;
}

/** Per 1,000 sessions. */
export const per1000 = (n: number, sessions: number) => (n / sessions) * 1000;

export const failuresOf = (label: string, run: Pick<SimRun, 'checks' | 'deadLettered'>): string[] => [
  ...run.checks.filter((c) => !c.ok).map((c) => `${label}: org ${c.label} holds the wrong records, Leads or posts`),
  ...(run.deadLettered ? [`${label}: ${run.deadLettered} messages dead-lettered`] : []),
];
