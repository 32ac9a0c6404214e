import type { BenchSummary } from './summary.ts';
import { TARGETS } from './summary.ts';
import { fmt } from './table.ts';

const ASSUMED_SALESFORCE_MS = 100;

/** Explains, from the run's own counts, what keeps a missed target where it is. */
export function whatBounds(s: BenchSummary): string[] {
  const notes: string[] = [];
  const p = s.lambda.processor;
  const events = s.workload.arrivals;

  if (s.orgs.some((o) => o.oursOverBound > TARGETS.boundRatio)) {
    const worst = s.orgs.reduce((a, b) => (b.oursOverBound > a.oursOverBound ? b : a));
    const least = s.orgs.reduce((a, b) => (b.records < a.records ? b : a));
    notes.push(
      `API calls follow invocations, not records: every invocation costs each org it has records for one session upsert, ` +
        `one Lead query and one Lead upsert (when a new guest is in it) and one Chatter batch (when a session was launched from it). ` +
        `Batches averaged ${fmt(p.meanBatch, 1)} messages (mapping batch size ${s.options.batchSize}), so a session collection call carried ` +
        `${s.orgs.map((o) => `${fmt(o.recordsPerSessionWrite, 1)} (${o.label})`).join(', ')} records against the 200 it may. ` +
        `Worst org, ${worst.label}: session writes ${worst.ours.sessionWrites} vs ${worst.lowerBound.sessionWrites}, Lead queries ` +
        `${worst.ours.leadQueries} vs ${worst.lowerBound.leadQueries}, Lead writes ${worst.ours.leadWrites} vs ${worst.lowerBound.leadWrites}, ` +
        `Chatter ${worst.ours.chatter} vs ${worst.lowerBound.chatter}.`,
      `What bounds it is the event source mapping's batch size (${s.options.batchSize} here, 50 in infra/functions.ts), not shared/: the ` +
        `processor already makes one call per step per org per batch, and one org's share of a batch is a fraction of it. Batches of ` +
        `several hundred messages (SQS mappings allow up to 10,000 with a batching window of up to 300 s and a 6 MB payload) would bring ` +
        `each org's share near 200; --batch-size 500 shows it. At a real contact centre's pace ` +
        `(10,000 sessions a day is 0.12 a second) a 2 s window gathers about one message, so each session costs 3 to 4 calls per org ` +
        `whatever the batch size: there a longer maxBatchingWindow is the lever, at the price of later Chatter posts.`,
      `Larger batches alone cannot reach ${TARGETS.boundRatio}× for an org with few sessions: ${least.label} (${fmt(least.records)} records) ` +
        `paid its steps in ${least.ours.sessionWrites} batches where the bound allows ${least.lowerBound.sessionWrites}. Only accumulating each ` +
        `org's writes across invocations (a per-org buffer in DynamoDB flushed at 200 records or after a few minutes, Chatter posts ` +
        `still sent at once) would bring every org near the bound: a change to shared/processing/session-processing.ts and shared/processing/org-batch.ts.`,
    );
    const describes = s.orgs.map((o) => o.ours.describe);
    if (describes.some((d) => d > 2)) {
      notes.push(
        `Describe calls: ${describes.join('/')} instead of 2 per org, because the org shape (key prefixes, lookup fields) is cached per ` +
          `warm instance (shared/adapters/salesforce.ts orgShape, ${p.instances} instances here). Caching it with the org in DynamoDB ` +
          `(refreshed daily) would make it 2 per org per day: a change in shared/.`,
      );
    }
    const requeried = s.orgs.map((o) => o.ours.leadQueries - o.lowerBound.leadQueries);
    if (requeried.some((n) => n > 0)) {
      notes.push(
        `Lead queries above the bound (${requeried.join('/')}) come from checking emails batch by batch: a repeat guest, and every guest ` +
          `of a session the sync delivers again, is checked again in a later batch. A per-org cache of emails known to be Leads (in the ` +
          `dedupe table) would save most of them: a change in shared/processing/org-batch.ts.`,
      );
    }
  }

  if (s.throughput.oursOverBaseline !== null && s.throughput.oursOverBaseline < TARGETS.throughputOverBaseline && s.throughput.baseline) {
    const dynamo = Object.entries(s.aws.requests).filter(([k]) => k.startsWith('DynamoDB.')).reduce((n, [, v]) => n + v, 0);
    const baselineCalls = s.totals.baseline ?? 0;
    notes.push(
      `Throughput is bounded by the AWS stand-in, not by Salesforce: each event costs ${fmt(dynamo / events, 1)} DynamoDB requests ` +
        `(the dedupe ledger's claims, marks and completions) and ${fmt(s.aws.sqsBilled / events, 1)} SQS requests, and the processor ` +
        `awaits the ledger's writes one session after another (markApplied and completeEvent in a loop in shared/processing/session-processing.ts, ` +
        `each Chatter claim and completion in turn in shared/processing/org-batch.ts), so a batch of ${s.options.batchSize} waits on about ` +
        `${2 * s.options.batchSize} DynamoDB round trips in sequence. moto_server answers one request at a time in Python: a DynamoDB request was outstanding ` +
        `${fmt(100 * p.dynamoWaitShare, 0)}% of the processor's time (a Salesforce call ${fmt(100 * p.salesforceWaitShare, 0)}%), and it made ` +
        `${fmt(p.durations.billedMs / Math.max(1, events), 0)} ms of processor time per event and ${fmt(s.lambda.ingest.durations.meanMs, 0)} ms ` +
        `per webhook (load average ${s.machine.loadAverageAtEnd[0]} on ${s.machine.cpus} CPUs, shared with other work). Issuing a batch's ` +
        `ledger writes together (Promise.all, or TransactWriteItems of up to 100) is the change in shared/ that would shorten a batch.`,
    );
    notes.push(
      s.options.salesforceLatencyMs > 0
        ? `With ${s.options.salesforceLatencyMs} ms added to every Salesforce call, the baseline spends at least ` +
            `${fmt((baselineCalls * s.options.salesforceLatencyMs) / 1000, 0)} s waiting on its ${fmt(baselineCalls)} calls in sequence; ours ` +
            `${fmt((s.totals.ours * s.options.salesforceLatencyMs) / 1000, 0)} s of call time spread over ${p.instances} instances, so the moto bound above remains what limits ours.`
        : `The baseline talks to an in-process simulator on loopback at ${fmt(s.throughput.baseline.wallMs / Math.max(1, baselineCalls), 1)} ms ` +
            `a call with no AWS in its path, which is what makes a call per record look fast. A real org costs a round trip and its own ` +
            `time per call: at ${ASSUMED_SALESFORCE_MS} ms a call the baseline's ${fmt(baselineCalls)} calls in sequence would take ` +
            `${fmt((baselineCalls * ASSUMED_SALESFORCE_MS) / 1000, 0)} s against ${fmt((s.totals.ours * ASSUMED_SALESFORCE_MS) / 1000 / p.instances, 0)} s ` +
            `for ours over ${p.instances} instances (a model; --salesforce-latency-ms ${ASSUMED_SALESFORCE_MS} measures it).`,
    );
  }
  return notes;
}
