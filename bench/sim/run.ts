import { startSalesforceSim, type SalesforceSim } from '../../local/salesforce-sim/index.ts';
import { DEFAULT_API_USAGE_SHARE_LIMIT } from '../../shared/api-allowance.ts';
import { silentLog } from '../../shared/log.ts';
import { DEFAULTS, PROCESSOR_LEASE_MS, PROCESSOR_REPORT_MARGIN_MS, SESSION_PROCESSOR_EVENT_SOURCE, SESSION_PROCESSOR_TIMEOUT_SECONDS } from '../../shared/config.ts';
import { flushDueOrgs, type FlushDeps } from '../../shared/processing/flush.ts';
import type { OutboxPolicy } from '../../shared/processing/outbox.ts';
import type { ChatterFlushMessage } from '../../shared/processing/outbox.ts';
import { FLUSH_LEASE_MS } from '../../functions/outbox-flusher/wiring.ts';
import { memoryDescribeCache, memoryKnownLeads, memoryOutboxStore } from './outbox.ts';
import { processSessionBatch, type ProcessorDeps } from '../../shared/processing/session-processing.ts';
import type { SessionEvent } from '../../shared/session.ts';
import { countCalls, type CallCounts } from '../api-calls.ts';
import { processForOrg, type OrgLink } from '../baseline.ts';
import { BENCH_ORGS, orgsOfGroup, simCredentials, simOrgConfig } from '../orgs.ts';
import { checkOrg, type OrgCheck } from '../verify.ts';
import { DAY, type Workload } from '../workload.ts';
import { awsMeter, memoryLedger, memoryPauses, memoryTraces } from './aws.ts';
import { createSimClock } from './clock.ts';
import { simEventSource, type EventSourceSettings, type EventSourceStats } from './event-source.ts';
import { containerSalesforce, timedSalesforce, type WriteObserver } from './salesforce.ts';
import type { TimedArrival } from './timeline.ts';
import { connectSalesforce } from '../../shared/adapters/salesforce.ts';

export interface SimSettings extends Omit<EventSourceSettings, 'visibilityTimeoutMs'> {
  /** Added to every Salesforce call, simulated ms. */
  salesforceLatencyMs: number;
  /** Added to every AWS request (DynamoDB, SQS), simulated ms. */
  awsLatencyMs: number;
  /** Debug Mode on in every org (its logs go to the org as Glance_Log__c). */
  debugMode?: boolean;
  /** The outbox as deployed (record budget, flush threshold, sweep, Chatter pool); recordBudgetMs 0: each batch written at once. */
  outbox: OutboxPolicy;
}

/** The outbox policy of the stack, from shared/config.ts (what outbox-flusher/wiring.ts reads from the stack's environment). */
export function stackOutboxPolicy(): OutboxPolicy {
  return {
    recordBudgetMs: DEFAULTS.recordBudgetSeconds * 1000,
    flushRecords: DEFAULTS.outboxFlushRecords,
    sweepMs: DEFAULTS.outboxSweepSeconds * 1000,
    chatterPoolMs: DEFAULTS.chatterPoolSeconds * 1000,
  };
}

export interface SimRun {
  calls: Map<string, CallCounts>;
  checks: OrgCheck[];
  /** Per (org, session) record: simulated ms from its session.started webhook to the record; likewise Chatter posts. */
  recordLatencyMs: number[];
  chatterLatencyMs: number[];
  /** Simulated ms from the first arrival to the last message done (with the outbox: the last record flushed). */
  spanMs: number;
  /** Simulated ms from the first arrival until the processor had taken the last session event off the queue (into Salesforce or an outbox). */
  drainedMs: number;
  events: number;
  awsRequests: number;
  deadLettered: number;
  eventSource: EventSourceStats;
}

/** The stack's event source settings (shared/pipeline-limits.ts) with the given latencies. */
export function stackSettings(salesforceLatencyMs = 100, awsLatencyMs = 7): SimSettings {
  const esm = SESSION_PROCESSOR_EVENT_SOURCE;
  return { batchSize: esm.batchSize, windowMs: esm.maxBatchingWindowSeconds * 1000, concurrency: esm.maxConcurrency, salesforceLatencyMs, awsLatencyMs, outbox: stackOutboxPolicy() };
}

/** What the webhook endpoint costs before the event is on the queue: the group read and the SendMessage. */
const INGEST_AWS_REQUESTS = 2;

async function orgsSim(workload: Workload): Promise<SalesforceSim> {
  const sim = await startSalesforceSim();
  for (const { org } of BENCH_ORGS) sim.addOrg(simOrgConfig(org.orgId));
  for (const seed of workload.seeds) sim.seed(seed.orgId, seed.sobject, seed.fields);
  return sim;
}

function latencies() {
  const arrived = new Map<string, number>();
  const record = new Map<string, number>();
  const chatter = new Map<string, number>();
  let now = () => 0;
  const observer: WriteObserver = {
    recorded: (orgId, ids) => ids.forEach((id) => record.has(`${orgId}|${id}`) || record.set(`${orgId}|${id}`, now())),
    posted: (orgId, ids) => ids.forEach((id) => chatter.has(`${orgId}|${id}`) || chatter.set(`${orgId}|${id}`, now())),
  };
  const since = (m: Map<string, number>) => [...m].flatMap(([key, at]) => (arrived.has(key.split('|')[1]!) ? [at - arrived.get(key.split('|')[1]!)!] : []));
  return {
    observer,
    setClock: (fn: () => number) => (now = fn),
    webhook: (sessionId: string, at: number) => arrived.set(sessionId, at),
    result: () => ({ record: since(record), chatter: since(chatter) }),
  };
}

/** Queues each arrival at its instant, after the endpoint's (or the sync run's) AWS requests. */
function feed(clock: ReturnType<typeof createSimClock>, arrivals: TimedArrival[], settings: SimSettings, send: (event: SessionEvent) => void, onWebhook?: (a: TimedArrival) => void) {
  for (const a of arrivals) {
    clock.at(a.at + INGEST_AWS_REQUESTS * settings.awsLatencyMs, () => send(a.event));
    if (a.source === 'webhook') onWebhook?.(a);
  }
}

/**
 * Our pipeline on a timeline, in simulated time: the events queue and the event source mapping of
 * event-source.ts, `processSessionBatch` (the code the session-processor handler runs) with the
 * handler's settings, one Salesforce client cache per warm container, the real jsforce adapter
 * and the Salesforce simulator; DynamoDB as in-memory ports that wait its latency per request.
 */
export async function runOursSim(workload: Workload, arrivals: TimedArrival[], settings: SimSettings): Promise<SimRun> {
  const sim = await orgsSim(workload);
  try {
    const clock = createSimClock(DAY);
    const aws = awsMeter(clock, settings.awsLatencyMs);
    const lat = latencies();
    lat.setClock(clock.now);
    const ledger = memoryLedger(clock, aws);
    const pauses = memoryPauses(clock, aws);
    const traces = memoryTraces(aws);
    const outbox = memoryOutboxStore(clock, aws);
    const describeCache = memoryDescribeCache(aws);
    const knownLeads = memoryKnownLeads(aws);
    const policy = settings.outbox;
    let deadLettered = 0;
    // The Lambda's time left, as the handlers compute their deadline.
    const deadline = () => clock.now() + SESSION_PROCESSOR_TIMEOUT_SECONDS * 1000 - PROCESSOR_REPORT_MARGIN_MS;
    /** What both Lambdas give the per-org writes (functions/outbox-flusher/wiring.ts orgWriteDepsFromEnv), one Salesforce client cache per container. */
    const writeDeps = (salesforceFor: ProcessorDeps['salesforceFor']): Omit<FlushDeps, 'outbox' | 'policy' | 'flushLeaseMs' | 'deadline'> => ({
      ledger,
      salesforceFor,
      traces,
      chatterLeaseMs: PROCESSOR_LEASE_MS,
      leaseMs: PROCESSOR_LEASE_MS,
      deadLetter: async () => {
        await aws.roundTrips(1);
        deadLettered++;
      },
      maxReceiveCount: DEFAULTS.maxReceiveCount,
      pauses,
      apiUsageShareLimit: DEFAULT_API_USAGE_SHARE_LIMIT,
      now: clock.now,
      log: silentLog,
      describeCache,
      knownLeads,
      getOrg: async (orgId) => {
        await aws.roundTrips(1);
        const org = BENCH_ORGS.find((o) => o.org.orgId === orgId)?.org ?? null;
        return org && settings.debugMode ? { ...org, settings: { ...org.settings, debugMode: true } } : org;
      },
    });
    const flushDeps = (base: ReturnType<typeof writeDeps>): FlushDeps => ({
      ...base,
      outbox,
      policy,
      flushLeaseMs: FLUSH_LEASE_MS,
      deadline,
      // The Chatter pool's timer: a delayed message on the events queue (SendMessage with DelaySeconds).
      scheduleChatterFlush: async (orgId, delaySeconds) => {
        await aws.roundTrips(1);
        const body: ChatterFlushMessage = { chatterFlush: { orgId } };
        source.send(JSON.stringify(body), delaySeconds * 1000);
      },
    });
    const containers: ProcessorDeps[] = [];
    const container = (i: number): ProcessorDeps => {
      if (containers[i]) return containers[i];
      const base = writeDeps(containerSalesforce(clock, sim, settings.salesforceLatencyMs, lat.observer));
      return (containers[i] = {
        ...base,
        orgsForGroup: async (groupId) => {
          await aws.roundTrips(2); // the registry's Query on the group, then BatchGetItem of its orgs
          const orgs = orgsOfGroup(groupId);
          return settings.debugMode ? orgs.map((o) => ({ ...o, settings: { ...o.settings, debugMode: true } })) : orgs;
        },
        requeue: async (event, delaySeconds) => {
          await aws.roundTrips(1);
          source.send(JSON.stringify(event), delaySeconds * 1000);
        },
        ...(policy.recordBudgetMs > 0 ? { outboxFlush: flushDeps(base) } : {}),
      });
    };
    let drainedAt = arrivals[0]?.at ?? DAY;
    const source = simEventSource(clock, aws, { ...settings, visibilityTimeoutMs: PROCESSOR_LEASE_MS }, async (instance, messages) => {
      const outcome = await processSessionBatch(messages, container(instance));
      // The Chatter pool's timers are not session events: the processor's drain is the last of those.
      if (messages.some((m) => !m.body.startsWith('{"chatterFlush"'))) drainedAt = Math.max(drainedAt, clock.now());
      return outcome.retry;
    });
    feed(clock, arrivals, settings, (event) => source.send(JSON.stringify(event)), (a) => lat.webhook(a.event.session.id, a.at));
    if (policy.recordBudgetMs > 0) {
      // The outbox flusher: one warm container of its own, invoked by the stack's schedule every
      // sweep interval (on the minute) while anything is still to come or waiting.
      const flusher = flushDeps(writeDeps(containerSalesforce(clock, sim, settings.salesforceLatencyMs, lat.observer)));
      const every = policy.sweepMs ?? 60_000;
      const last = arrivals.at(-1)?.at ?? DAY;
      const sweep = async () => {
        await flushDueOrgs(flusher);
        const more = clock.now() < last || source.pending() > 0 || outbox.waiting() > 0;
        // Two days past the last arrival is a run that cannot finish (a bug): the data checks then fail it.
        if (more && clock.now() < last + 2 * DAY) clock.at(clock.now() + every, () => void sweep());
      };
      clock.at(Math.ceil(DAY / every) * every + every, () => void sweep());
    }
    const end = await clock.run();
    const { record, chatter } = lat.result();
    return {
      calls: new Map(BENCH_ORGS.map(({ org }) => [org.orgId, countCalls(sim, org.orgId)])),
      checks: [...workload.expected.values()].map((e) => checkOrg(sim, e)),
      recordLatencyMs: record,
      chatterLatencyMs: chatter,
      spanMs: end - (arrivals[0]?.at ?? DAY),
      drainedMs: drainedAt - (arrivals[0]?.at ?? DAY),
      events: arrivals.length,
      awsRequests: aws.requests,
      deadLettered,
      eventSource: source.stats,
    };
  } finally {
    await sim.stop();
  }
}

/**
 * The obvious pipeline on the same footing: the same queue model (one message per invocation, no
 * window, the same concurrency), the same simulator and latencies, no dedupe ledger, one call per
 * record (baseline.ts's `processForOrg`). Each container logs in and describes once per org.
 */
export async function runNaiveSim(workload: Workload, arrivals: TimedArrival[], settings: SimSettings): Promise<SimRun> {
  const sim = await orgsSim(workload);
  try {
    const clock = createSimClock(DAY);
    const aws = awsMeter(clock, settings.awsLatencyMs);
    const links: Array<Map<string, Promise<OrgLink>>> = [];
    const timed = <T>(orgId: string, fn: () => Promise<T>, extra = 0) => timedSalesforce(clock, sim, settings.salesforceLatencyMs, orgId, fn, extra);
    const linkOf = (instance: number, orgId: string): Promise<OrgLink> => {
      const cache = (links[instance] ??= new Map());
      let link = cache.get(orgId);
      if (!link) {
        const org = BENCH_ORGS.find((o) => o.org.orgId === orgId)!.org;
        link = timed(orgId, async () => {
          const client = await connectSalesforce(simCredentials(orgId, sim.url));
          return { org, conn: client.connection, shape: await client.orgShape() };
        }, 1);
        cache.set(orgId, link);
      }
      return link;
    };
    const source = simEventSource(clock, aws, { batchSize: 1, windowMs: 0, concurrency: settings.concurrency, visibilityTimeoutMs: PROCESSOR_LEASE_MS }, async (instance, messages) => {
      for (const m of messages) {
        const event = JSON.parse(m.body) as SessionEvent;
        for (const org of orgsOfGroup(event.session.groupId)) {
          const link = await linkOf(instance, org.orgId);
          await timed(org.orgId, () => processForOrg(event, link));
        }
      }
      return [];
    });
    feed(clock, arrivals, settings, (event) => source.send(JSON.stringify(event)));
    const end = await clock.run();
    return {
      calls: new Map(BENCH_ORGS.map(({ org }) => [org.orgId, countCalls(sim, org.orgId)])),
      checks: [...workload.expected.values()].map((e) => checkOrg(sim, e)),
      recordLatencyMs: [],
      chatterLatencyMs: [],
      spanMs: end - (arrivals[0]?.at ?? DAY),
      drainedMs: end - (arrivals[0]?.at ?? DAY),
      events: arrivals.length,
      awsRequests: aws.requests,
      deadLettered: 0,
      eventSource: source.stats,
    };
  } finally {
    await sim.stop();
  }
}
