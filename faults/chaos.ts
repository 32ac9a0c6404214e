import type { FaultKind, FaultSpec, SalesforceSim } from '../local/salesforce-sim/index.ts';
import type { OrgSpec } from './model.ts';

export type ChaosKind = FaultKind | 'API_USAGE_HIGH' | 'ORG_OUTAGE';

const WRITE_PATHS = ['/composite/sobjects/Lead', '/composite/sobjects/Glance_Session__c', '/chatter/'];
const ANY_PATHS = [undefined, '/query', '/sobjects/', ...WRITE_PATHS];
/** An org's allowance is back this long (virtual) after it ran high: the pause must wait it out. */
const USAGE_RECOVERY_MS = 20 * 60_000;
/** Upserts two concurrent writers may both create: the race Salesforce answers DUPLICATE_VALUE to. */
const UPSERT_PATHS = ['/composite/sobjects/Lead', '/composite/sobjects/Glance_Session__c'];

/** One org answering 503 to everything for a stretch of virtual time (a maintenance window). */
export interface Outage {
  orgId: string;
  hours: number;
  startedAt: number | null;
  endedAt: number | null;
}

/**
 * Salesforce misbehaving at random while the campaign runs. Transient faults come with a small
 * `times`, so they are passing weather, not a permanent refusal; the refusals the bar allows on
 * the DLQ are planted by the model, not here.
 */
export class Chaos {
  readonly injected: Record<string, number> = {};
  private readonly high = new Map<string, number>();
  outage: Outage | null = null;

  constructor(
    private readonly sim: SalesforceSim,
    private readonly orgs: OrgSpec[],
    private readonly random: () => number,
    private readonly rate: number,
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private inject(spec: FaultSpec): void {
    this.sim.injectFault(spec);
    this.injected[spec.fault] = (this.injected[spec.fault] ?? 0) + 1;
  }

  /** Takes the org down now: every call it gets answers 503 until `hours` of virtual time have passed. */
  startOutage(orgId: string, hours: number, now: number): void {
    this.outage = { orgId, hours, startedAt: now, endedAt: null };
    this.sim.injectFault({ orgId, fault: 'SERVICE_UNAVAILABLE', times: Infinity });
    this.injected.ORG_OUTAGE = (this.injected.ORG_OUTAGE ?? 0) + 1;
  }

  get outageActive(): boolean {
    return this.outage !== null && this.outage.endedAt === null;
  }

  private endOutageIfDue(now: number): void {
    const o = this.outage;
    if (!o || o.endedAt !== null || o.startedAt === null || now < o.startedAt + o.hours * 3_600_000) return;
    // Only the outage's 503s: the refusals the model planted on this org stay armed.
    this.sim.clearFaults(o.orgId, 'SERVICE_UNAVAILABLE');
    o.endedAt = now;
  }

  /** One round's weather at virtual time `now`; `calmOnly` lets allowances recover without new faults. */
  tick(now: number, calmOnly = false): void {
    this.endOutageIfDue(now);
    for (const [orgId, until] of this.high) {
      if (until <= now) {
        this.sim.setApiUsage(orgId, 1_000);
        this.high.delete(orgId);
      }
    }
    if (calmOnly || this.random() >= this.rate) return;
    const orgId = this.pick(this.orgs).orgId;
    const times = 1 + Math.floor(this.random() * 3);
    const roll = this.random();
    if (roll < 0.25) this.inject({ orgId, fault: 'EXPIRED_SESSION', times: 1 });
    else if (roll < 0.5) this.inject({ orgId, fault: 'SERVICE_UNAVAILABLE', times, pathIncludes: this.pick(ANY_PATHS) });
    else if (roll < 0.65) this.inject({ orgId, fault: 'UNABLE_TO_LOCK_ROW', times, pathIncludes: this.pick(WRITE_PATHS) });
    // Another processor created the same new external id a moment earlier (two processors at once).
    else if (roll < 0.8) this.inject({ orgId, fault: 'DUPLICATE_VALUE', times, pathIncludes: this.pick(UPSERT_PATHS) });
    else if (roll < 0.9) this.inject({ orgId, fault: 'REQUEST_LIMIT_EXCEEDED', times: 1, pathIncludes: this.pick(ANY_PATHS) });
    else if (!this.high.has(orgId)) {
      // Above the 90% share the processor pauses at, below the hard limit.
      this.sim.setApiUsage(orgId, 95_000);
      this.high.set(orgId, now + USAGE_RECOVERY_MS);
      this.injected.API_USAGE_HIGH = (this.injected.API_USAGE_HIGH ?? 0) + 1;
    }
  }

  /** Lets every org's allowance recover, so the last deferred shares can go through. */
  calm(): void {
    for (const orgId of this.high.keys()) this.sim.setApiUsage(orgId, 1_000);
    this.high.clear();
    if (this.outageActive) {
      this.sim.clearFaults(this.outage!.orgId, 'SERVICE_UNAVAILABLE');
      this.outage!.endedAt = -1;
    }
  }
}
