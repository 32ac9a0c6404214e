import type { FaultKind, FaultSpec, SalesforceSim } from '../local/salesforce-sim/index.ts';
import type { OrgSpec } from './model.ts';

export type ChaosKind = FaultKind | 'API_USAGE_HIGH';

const WRITE_PATHS = ['/composite/sobjects/Lead', '/composite/sobjects/Glance_Session__c', '/chatter/'];
const ANY_PATHS = [undefined, '/query', '/sobjects/', ...WRITE_PATHS];
/** An org's allowance is back this long (virtual) after it ran high: the pause must wait it out. */
const USAGE_RECOVERY_MS = 20 * 60_000;

/**
 * Salesforce misbehaving at random while the campaign runs. Transient faults come with a small
 * `times`, so they are passing weather, not a permanent refusal; the refusals the bar allows on
 * the DLQ are planted by the model, not here.
 */
export class Chaos {
  readonly injected: Record<string, number> = {};
  private readonly high = new Map<string, number>();

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

  /** One round's weather at virtual time `now`; `calmOnly` lets allowances recover without new faults. */
  tick(now: number, calmOnly = false): void {
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
    else if (roll < 0.75) this.inject({ orgId, fault: 'UNABLE_TO_LOCK_ROW', times, pathIncludes: this.pick(WRITE_PATHS) });
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
  }
}
