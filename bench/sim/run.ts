import { startSalesforceSim, type SalesforceSim } from '../../local/salesforce-sim/index.ts';
import { DEFAULT_API_USAGE_SHARE_LIMIT } from '../../shared/api-allowance.ts';
import { silentLog } from '../../shared/log.ts';
import { DEFAULTS, PROCESSOR_LEASE_MS, SESSION_PROCESSOR_EVENT_SOURCE } from '../../shared/config.ts';
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
}

export interface SimRun {
  calls: Map<string, CallCounts>;
  checks: OrgCheck[];
  /** Per (org, session) record: simulated ms from its session.started webhook to the record; likewise Chatter posts. */
  recordLatencyMs: number[];
  chatterLatencyMs: number[];
  /** Simulated ms from the first arrival to the last message done. */
  spanMs: number;
  events: number;
  awsRequests: number;
  deadLettered: number;
  eventSource: EventSourceStats;
}

/** The stack's event source settings (shared/pipeline-limits.ts) with the given latencies. */
export function stackSettings(salesforceLatencyMs = 100, awsLatencyMs = 7): SimSettings {
  const esm = SESSION_PROCESSOR_EVENT_SOURCE;
  return { batchSize: esm.batchSize, windowMs: esm.maxBatchingWindowSeconds * 1000, concurrency: esm.maxConcurrency, salesforceLatencyMs, awsLatencyMs };
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
    let deadLettered = 0;
    const containers: ProcessorDeps[] = [];
    const container = (i: number): ProcessorDeps =>
      (containers[i] ??= {
        ledger,
        orgsForGroup: async (groupId) => {
          await aws.roundTrips(2); // the registry's Query on the group, then BatchGetItem of its orgs
          const orgs = orgsOfGroup(groupId);
          return settings.debugMode ? orgs.map((o) => ({ ...o, settings: { ...o.settings, debugMode: true } })) : orgs;
        },
        salesforceFor: containerSalesforce(clock, sim, settings.salesforceLatencyMs, lat.observer),
        traces,
        chatterLeaseMs: PROCESSOR_LEASE_MS,
        leaseMs: PROCESSOR_LEASE_MS,
        deadLetter: async () => {
          await aws.roundTrips(1);
          deadLettered++;
        },
        maxReceiveCount: DEFAULTS.maxReceiveCount,
        pauses,
        requeue: async (event, delaySeconds) => {
          await aws.roundTrips(1);
          source.send(JSON.stringify(event), delaySeconds * 1000);
        },
        apiUsageShareLimit: DEFAULT_API_USAGE_SHARE_LIMIT,
        now: clock.now,
        log: silentLog,
      });
    const source = simEventSource(clock, aws, { ...settings, visibilityTimeoutMs: PROCESSOR_LEASE_MS }, async (instance, messages) => {
      const outcome = await processSessionBatch(messages, container(instance));
      return outcome.retry;
    });
    feed(clock, arrivals, settings, (event) => source.send(JSON.stringify(event)), (a) => lat.webhook(a.event.session.id, a.at));
    const end = await clock.run();
    const { record, chatter } = lat.result();
    return {
      calls: new Map(BENCH_ORGS.map(({ org }) => [org.orgId, countCalls(sim, org.orgId)])),
      checks: [...workload.expected.values()].map((e) => checkOrg(sim, e)),
      recordLatencyMs: record,
      chatterLatencyMs: chatter,
      spanMs: end - (arrivals[0]?.at ?? DAY),
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
      events: arrivals.length,
      awsRequests: aws.requests,
      deadLettered: 0,
      eventSource: source.stats,
    };
  } finally {
    await sim.stop();
  }
}
