import type { Org } from './org.ts';
import { describeIssues, sessionEventSchema, type SessionEvent } from './session.ts';
import { routeSessionToOrg } from './org-routing.ts';
import { applyOrgBatch, type OrgBatchItem, type OrgSalesforce } from './org-batch.ts';
import { SalesforceCallError } from './salesforce-errors.ts';
import type { TraceStore } from './debug-trace.ts';
import type { DedupeLedger } from './adapters/dedupe-ledger.ts';
import type { Log } from './log.ts';

export interface QueuedMessage {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
}

export interface DeadLetterReason {
  reason: string;
  orgIds: string[];
  eventId?: string;
  sessionId?: string;
}

export interface ProcessorDeps {
  ledger: DedupeLedger;
  orgsForGroup(groupId: number): Promise<Org[]>;
  salesforceFor(org: Org): Promise<OrgSalesforce>;
  /** Where Debug Mode's traces go; orgs with Debug Mode off store none. */
  traces: TraceStore;
  chatterLeaseMs: number;
  deadLetter(message: QueuedMessage, reason: DeadLetterReason): Promise<void>;
  maxReceiveCount: number;
  /** How long a claim holds off a concurrent copy of the same event: the queue's visibility timeout. */
  leaseMs: number;
  log: Log;
}

export interface BatchOutcome {
  /** Message ids to hand back to SQS for another try (Lambda's batchItemFailures). */
  retry: string[];
  counts: { applied: number; duplicate: number; stale: number; busy: number; deadLettered: number; retried: number; skippedOrgs: number };
}

type OrgOutcome = { orgId: string } & ({ kind: 'ok' } | { kind: 'skipped'; reason: string } | { kind: 'permanent' | 'transient'; reason: string });

interface Claimed {
  message: QueuedMessage;
  event: SessionEvent;
  occurredAt: string;
}

const normalize = (iso: string) => new Date(iso).toISOString();

/**
 * One batch from the events queue: dedupe by event id, drop events older than what a session
 * already shows, fan each session out to every org paired with its group, and write each org's
 * records with one collection call. A bad record never fails its neighbours.
 */
export async function processSessionBatch(messages: QueuedMessage[], deps: ProcessorDeps): Promise<BatchOutcome> {
  const counts: BatchOutcome['counts'] = { applied: 0, duplicate: 0, stale: 0, busy: 0, deadLettered: 0, retried: 0, skippedOrgs: 0 };
  const retry: string[] = [];

  const parsed: Claimed[] = [];
  for (const message of messages) {
    let json: unknown;
    try {
      json = JSON.parse(message.body);
    } catch {
      await deps.deadLetter(message, { reason: 'message body is not JSON', orgIds: [] });
      counts.deadLettered++;
      continue;
    }
    const result = sessionEventSchema.safeParse(json);
    if (!result.success) {
      await deps.deadLetter(message, { reason: `message is not a session event: ${describeIssues(result.error)}`, orgIds: [] });
      counts.deadLettered++;
      continue;
    }
    parsed.push({ message, event: result.data, occurredAt: normalize(result.data.occurredAt) });
  }

  const claims = await Promise.all(parsed.map((c) => deps.ledger.claimEvent(c.event.eventId, deps.leaseMs)));
  const claimed: Claimed[] = [];
  parsed.forEach((c, i) => {
    if (claims[i] === 'claimed') claimed.push(c);
    else if (claims[i] === 'done') counts.duplicate++;
    else {
      counts.busy++;
      retry.push(c.message.messageId);
    }
  });

  const applied = await deps.ledger.lastApplied(claimed.map((c) => c.event.session.id));
  const current: Claimed[] = [];
  for (const c of claimed) {
    const newest = applied.get(c.event.session.id);
    if (newest && newest > c.occurredAt) {
      counts.stale++;
      await deps.ledger.completeEvent(c.event.eventId);
    } else current.push(c);
  }

  // Within the batch only the newest event of a session is written; the others share its fate.
  const winners = new Map<string, Claimed>();
  for (const c of current) {
    const best = winners.get(c.event.session.id);
    if (!best || c.occurredAt >= best.occurredAt) winners.set(c.event.session.id, c);
  }

  const orgsByGroup = new Map<number, Org[]>();
  for (const groupId of new Set([...winners.values()].map((c) => c.event.session.groupId))) {
    orgsByGroup.set(groupId, await deps.orgsForGroup(groupId));
  }

  const outcomes = new Map<string, OrgOutcome[]>(); // by session id
  const byOrg = new Map<string, { org: Org; items: Claimed[]; batch: OrgBatchItem[] }>();
  for (const c of winners.values()) {
    const list: OrgOutcome[] = [];
    outcomes.set(c.event.session.id, list);
    for (const org of orgsByGroup.get(c.event.session.groupId) ?? []) {
      const route = routeSessionToOrg(c.event.session, org);
      if (!route.record) {
        list.push({ orgId: org.orgId, kind: 'skipped', reason: route.reason });
        counts.skippedOrgs++;
        continue;
      }
      const entry = byOrg.get(org.orgId) ?? { org, items: [], batch: [] };
      entry.items.push(c);
      entry.batch.push({ event: c.event, occurredAt: c.occurredAt, launchedHere: route.launchedHere, routeReason: route.reason });
      byOrg.set(org.orgId, entry);
    }
  }

  await Promise.all(
    [...byOrg.values()].map(async ({ org, items, batch }) => {
      const results = await writeOrg(org, batch, deps);
      items.forEach((c, i) => outcomes.get(c.event.session.id)!.push(results[i]!));
    }),
  );

  for (const c of current) {
    const orgOutcomes = outcomes.get(c.event.session.id) ?? [];
    const permanent = orgOutcomes.filter((o) => o.kind === 'permanent');
    const transient = orgOutcomes.filter((o) => o.kind === 'transient');
    const describe = (list: OrgOutcome[]) => list.map((o) => `org ${o.orgId}: ${'reason' in o ? o.reason : ''}`).join('; ');
    const meta = { eventId: c.event.eventId, sessionId: c.event.session.id };
    if (permanent.length > 0) {
      await deps.deadLetter(c.message, { reason: `Salesforce refused the session: ${describe(permanent)}`, orgIds: permanent.map((o) => o.orgId), ...meta });
      await deps.ledger.releaseEvent(c.event.eventId);
      counts.deadLettered++;
    } else if (transient.length > 0) {
      if (c.message.receiveCount >= deps.maxReceiveCount) {
        await deps.deadLetter(c.message, {
          reason: `gave up after ${c.message.receiveCount} deliveries: ${describe(transient)}`,
          orgIds: transient.map((o) => o.orgId),
          ...meta,
        });
        counts.deadLettered++;
      } else {
        retry.push(c.message.messageId);
        counts.retried++;
      }
      await deps.ledger.releaseEvent(c.event.eventId);
      deps.log.warn('session will be retried', { ...meta, failures: describe(transient) });
    } else {
      await deps.ledger.markApplied(c.event.session.id, c.occurredAt);
      await deps.ledger.completeEvent(c.event.eventId);
      counts.applied++;
    }
  }
  return { retry, counts };
}

async function writeOrg(org: Org, batch: OrgBatchItem[], deps: ProcessorDeps): Promise<OrgOutcome[]> {
  try {
    const salesforce = await deps.salesforceFor(org);
    const { outcomes, traces } = await applyOrgBatch(org, batch, salesforce, { ledger: deps.ledger, log: deps.log, chatterLeaseMs: deps.chatterLeaseMs });
    if (traces.length) {
      await deps.traces.put(traces).catch((error: Error) => deps.log.warn('could not store debug traces', { orgId: org.orgId, error: error.message }));
    }
    return outcomes.map((o): OrgOutcome => (o.kind === 'ok' ? { orgId: org.orgId, kind: 'ok' } : { orgId: org.orgId, kind: o.kind, reason: o.reason }));
  } catch (error) {
    const reason = error instanceof SalesforceCallError ? error.message : `Salesforce call failed: ${(error as Error).message}`;
    deps.log.error('Salesforce call failed for org', { orgId: org.orgId, reason, sessions: batch.length });
    return batch.map(() => ({ orgId: org.orgId, kind: 'transient', reason }));
  }
}
