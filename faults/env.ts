import { startMoto, useLocalAws, type MotoServer } from '../local/moto.ts';
import { createLocalResources, exportResourceEnv, LOCAL_MAX_RECEIVE_COUNT, localSchedules, type LocalResources } from '../local/aws-resources.ts';
import { startSalesforceSim, type SalesforceSim } from '../local/salesforce-sim/index.ts';
import { dynamo, resetAwsClients } from '../shared/adapters/aws-clients.ts';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoOrgRegistry } from '../shared/adapters/org-registry.ts';
import type { OrgRegistry } from '../shared/org-admin-ports.ts';
import { cachedSecretReader, secretsManagerWriter } from '../shared/adapters/secrets.ts';
import { dynamoDedupeLedger } from '../shared/adapters/dedupe-ledger.ts';
import { dynamoOrgPauses } from '../shared/adapters/org-pauses.ts';
import { dynamoTraceStore } from '../shared/adapters/trace-store.ts';
import { sqsDeadLetters } from '../shared/adapters/dead-letters.ts';
import { sqsEventsQueue } from '../shared/adapters/events-queue.ts';
import { salesforceClientCache } from '../shared/adapters/salesforce-orgs.ts';
import { SALESFORCE_RETRY } from '../shared/adapters/salesforce.ts';
import type { Org } from '../shared/org.ts';
import { addOrg, pairOrg, registerGroup, type OrgAdminDeps } from '../shared/org-admin.ts';
import { DEFAULTS } from '../shared/config.ts';
import { silentLog, type Log } from '../shared/log.ts';
import type { ProcessorDeps } from '../shared/processing/session-processing.ts';
import type { FlushDeps } from '../shared/processing/flush.ts';
import type { OutboxPolicy } from '../shared/processing/outbox.ts';
import { dynamoOutboxStore } from '../shared/adapters/outbox-store.ts';
import { FLUSH_LEASE_MS } from '../functions/outbox-flusher/wiring.ts';
import type { SessionEvent } from '../shared/session.ts';
import type { CampaignModel, OrgSpec } from './model.ts';

/**
 * Simulated time for everything the pipeline times (leases, pauses, delays): the campaign moves it
 * forward when SQS would have waited (a visibility timeout, a DelaySeconds), so an hour-long org
 * pause costs no wall-clock time.
 */
export class VirtualClock {
  constructor(private t = Date.now()) {}
  readonly now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
  advanceTo(ms: number): void {
    this.t = Math.max(this.t, ms);
  }
}

/** Lease of event and Chatter claims, and the queue's visibility timeout, in virtual time. */
export const LEASE_MS = 60_000;

export interface FaultEnv {
  moto: MotoServer;
  sim: SalesforceSim;
  resources: LocalResources;
  registry: OrgRegistry;
  clock: VirtualClock;
  /** Virtual time at which each re-queued event becomes due (the real send has no delay). */
  dueAt: Map<string, number>;
  stop(): Promise<void>;
}

export async function startFaultEnv(): Promise<FaultEnv> {
  const moto = await startMoto();
  try {
    useLocalAws(moto.endpoint);
    resetAwsClients();
    const sim = await startSalesforceSim();
    const resources = await createLocalResources({ visibilityTimeoutSeconds: 600 });
    exportResourceEnv(resources);
    return {
      moto,
      sim,
      resources,
      registry: dynamoOrgRegistry(resources.orgsTable),
      clock: new VirtualClock(),
      dueAt: new Map(),
      async stop() {
        await sim.stop().catch(() => undefined);
        await moto.stop();
      },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

function adminDeps(env: FaultEnv): OrgAdminDeps {
  return {
    registry: env.registry,
    secrets: secretsManagerWriter(),
    secretPrefix: DEFAULTS.secretPrefix,
    schedules: localSchedules(env.resources),
    now: () => new Date(),
  };
}

/** Registers groups and orgs the way an admin would, and the same orgs in the Salesforce simulator. */
export async function registerOrgs(env: FaultEnv, orgs: OrgSpec[]): Promise<void> {
  const admin = adminDeps(env);
  for (const groupId of [...new Set(orgs.flatMap((o) => o.groups))]) await registerGroup(admin, groupId, `whsec_${Buffer.from(`group-${groupId}-key`).toString('base64')}`);
  for (const org of orgs) {
    const clientId = `client-${org.orgId}`;
    const refreshToken = `refresh-${org.orgId}`;
    env.sim.addOrg({ orgId: org.orgId, username: `admin@${org.label}.example`, clientId, refreshToken });
    await addOrg(
      admin,
      { orgId: org.orgId, name: org.label, environment: org.environment, installedAt: '2026-11-01T13:14:00Z', settings: { ...org.settings, syncFrequency: 'never' } },
      { authType: 'refresh_token', loginUrl: env.sim.url, clientId, refreshToken },
    );
    for (const groupId of org.groups) await pairOrg(admin, org.orgId, groupId);
  }
}

/** Records to launch sessions from, Leads that already exist, and the refusals the model plants. */
export function seedOrgs(env: FaultEnv, model: CampaignModel): void {
  for (const org of model.orgs) {
    for (const record of model.records.get(org.orgId) ?? []) env.sim.seed(org.orgId, record.sobject, { Id: record.id, ...record.fields });
    for (const email of model.existingLeadEmails.get(org.orgId) ?? []) env.sim.seed(org.orgId, 'Lead', { LastName: 'Known', Company: 'Acme', Email: email, LeadSource: 'Web' });
    for (const key of model.leadDuplicateRules.get(org.orgId) ?? []) {
      env.sim.injectFault({ orgId: org.orgId, fault: 'DUPLICATES_DETECTED', pathIncludes: '/composite/sobjects/Lead', recordMatch: { Glance_Guest_Key__c: key }, times: Infinity });
    }
  }
  for (const plan of model.sessions.filter((p) => p.refusedBy)) {
    env.sim.injectFault({
      orgId: plan.refusedBy!,
      fault: 'DUPLICATES_DETECTED',
      pathIncludes: '/composite/sobjects/Glance_Session__c',
      recordMatch: { Glance_Session_Id__c: plan.session.id },
      times: Infinity,
    });
  }
}

export interface WorkerHooks {
  log?: Log;
  onPause?(orgId: string, reason: string): void;
  /** Shares wait in each org's outbox (issue 13) under this policy; absent: written at once. */
  outbox?: OutboxPolicy;
}

/** The outbox as the campaign runs it: the stack's record budget, a small flush threshold so inline flushes happen too. */
export const CAMPAIGN_OUTBOX: OutboxPolicy = { recordBudgetMs: DEFAULTS.recordBudgetSeconds * 1000, flushRecords: 20 };

/**
 * What the outbox flusher (the one-minute sweep, or a flush inside a processor invocation) needs,
 * on the campaign's clock. Stops starting chunks a virtual minute after it began.
 */
export function flusherDeps(env: FaultEnv, base: ProcessorDeps, policy: OutboxPolicy): FlushDeps {
  return {
    ...base,
    outbox: dynamoOutboxStore(env.resources.outboxTable, env.clock.now),
    policy,
    flushLeaseMs: FLUSH_LEASE_MS,
    getOrg: (orgId) => env.registry.getOrg(orgId),
    deadline: () => env.clock.now() + 60_000,
  };
}

/**
 * One warm Lambda container: its own secret cache and Salesforce clients, so a crash (a new
 * container) logs in afresh. Salesforce back-off sleeps are kept to milliseconds.
 */
export function lambdaContainer(env: FaultEnv, hooks: WorkerHooks = {}): ProcessorDeps {
  const { resources, clock } = env;
  const events = sqsEventsQueue(resources.eventsQueueUrl);
  const salesforceClients = salesforceClientCache(cachedSecretReader(), DEFAULTS.secretPrefix, { ...SALESFORCE_RETRY, baseDelayMs: 5 });
  const salesforceFor = (org: Org) => salesforceClients(org, () => Date.now() + 10_000);
  const deps: ProcessorDeps = {
    ledger: dynamoDedupeLedger(resources.dedupeTable, clock.now),
    orgsForGroup: (groupId) => env.registry.orgsForGroup(groupId),
    salesforceFor,
    forgetSalesforce: (orgId) => salesforceClients.forget(orgId),
    traces: dynamoTraceStore(resources.tracesTable),
    chatterLeaseMs: LEASE_MS,
    leaseMs: LEASE_MS,
    deadLetter: sqsDeadLetters(resources.eventsDlqUrl, () => new Date(clock.now())),
    maxReceiveCount: LOCAL_MAX_RECEIVE_COUNT,
    pauses: dynamoOrgPauses(resources.orgsTable, clock.now),
    // Sent at once; the campaign honours the delay in virtual time when the message is received.
    requeue: async (event: SessionEvent, delaySeconds: number) => {
      env.dueAt.set(event.eventId, clock.now() + delaySeconds * 1000);
      await events.send(event);
    },
    apiUsageShareLimit: 0.9,
    now: clock.now,
    onPause: hooks.onPause,
    log: hooks.log ?? silentLog,
  };
  return hooks.outbox ? { ...deps, outboxFlush: flusherDeps(env, deps, hooks.outbox) } : deps;
}

/** Shares still waiting in any org's outbox (entries, not the orgs' META items). */
export async function outboxEntries(env: FaultEnv): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo().send(
      new ScanCommand({ TableName: env.resources.outboxTable, Select: 'COUNT', FilterExpression: 'begins_with(sk, :entry)', ExpressionAttributeValues: { ':entry': 'S#' }, ExclusiveStartKey: start }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}
