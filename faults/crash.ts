import type { ProcessorDeps } from '../shared/processing/session-processing.ts';
import type { DedupeLedger } from '../shared/processing/ledger.ts';
import type { FlushDeps } from '../shared/processing/flush.ts';
import type { OutboxStore } from '../shared/processing/outbox.ts';

/** The Lambda died. Not an Error a handler may catch and carry on from: everything after it fails too. */
export class SimulatedCrash extends Error {
  constructor(readonly point: string) {
    super(`simulated crash ${point}`);
    this.name = 'SimulatedCrash';
  }
}

/** Whose claim: CHATTER#{org}#{session} for a post. */
const kind = (key: string) => key.split('#')[0];

export type CrashWhen = 'before' | 'after';

/** Decides, at the n-th write of one invocation, whether the process dies just before it or just after it landed. */
export type CrashPlan = (n: number, op: string) => CrashWhen | null;

/** Dies at the k-th write, before or after it as the coin says. */
export const crashAtWrite =
  (k: number, when: CrashWhen): CrashPlan =>
  (n) =>
    n === k ? when : null;

/** Dies at the first write whose name is `op` (e.g. 'sf upsert Lead'). */
export const crashAtOp = (op: string, when: CrashWhen): CrashPlan => {
  let fired = false;
  return (_n, name) => {
    if (fired || name !== op) return null;
    fired = true;
    return when;
  };
};

export interface Observer {
  /** Told of every write that reached its target (whether or not a crash followed). */
  wrote?(op: string): void;
  recoveredClaim?(key: string): void;
}

/**
 * One Lambda invocation's view of the world: every DynamoDB, SQS and Salesforce write goes
 * through `write`, so a crash can fall between any two of them. Once dead, every further call
 * (reads too) throws, because the pipeline catches Salesforce errors and would otherwise carry on
 * as if a dead process could still write.
 */
export class Invocation {
  writes = 0;
  crashedAt: string | null = null;

  constructor(
    private readonly plan: CrashPlan | null,
    private readonly observer: Observer = {},
  ) {}

  get dead(): boolean {
    return this.crashedAt !== null;
  }

  private alive(): void {
    if (this.crashedAt) throw new SimulatedCrash(this.crashedAt);
  }

  private die(point: string): never {
    this.crashedAt = point;
    throw new SimulatedCrash(point);
  }

  async write<T>(op: string, run: () => Promise<T>): Promise<T> {
    this.alive();
    const when = this.plan?.(++this.writes, op) ?? null;
    if (when === 'before') this.die(`before ${op}`);
    const out = await run();
    this.observer.wrote?.(op);
    // A parallel branch (another org) may have died while this write was in flight.
    this.alive();
    if (when === 'after') this.die(`after ${op}`);
    return out;
  }

  async read<T>(run: () => Promise<T>): Promise<T> {
    this.alive();
    const out = await run();
    this.alive();
    return out;
  }

  /** The writes an org's share goes through, in the processor and the flusher alike. */
  private wrapWrites<D extends Pick<ProcessorDeps, 'ledger' | 'salesforceFor' | 'traces' | 'deadLetter' | 'pauses'>>(deps: D): D {
    const l = deps.ledger;
    const observer = this.observer;
    const ledger: DedupeLedger = {
      claimEvent: (id, ms) => this.write('ddb claimEvent', () => l.claimEvent(id, ms)),
      completeEvent: (id) => this.write('ddb completeEvent', () => l.completeEvent(id)),
      releaseEvent: (id) => this.write('ddb releaseEvent', () => l.releaseEvent(id)),
      claimEffect: async (key, ms) => {
        const out = await this.write(`ddb claimEffect ${kind(key)}`, () => l.claimEffect(key, ms));
        if (out.recovered) observer.recoveredClaim?.(key);
        return out;
      },
      completeEffect: (key, detail) => this.write(`ddb completeEffect ${kind(key)}`, () => l.completeEffect(key, detail)),
      releaseEffect: (key) => this.write(`ddb releaseEffect ${kind(key)}`, () => l.releaseEffect(key)),
      lockSession: (id, ms, seen) => this.write('ddb lockSession', () => l.lockSession(id, ms, seen)),
      markApplied: (id, at) => this.write('ddb markApplied', () => l.markApplied(id, at)),
      unlockSession: (id) => this.write('ddb unlockSession', () => l.unlockSession(id)),
    };
    return {
      ...deps,
      ledger,
      salesforceFor: async (org) => {
        const sf = await this.read(() => deps.salesforceFor(org));
        return {
          orgShape: () => this.read(() => sf.orgShape()),
          query: <T extends Record<string, unknown>>(soql: string) => this.read(() => sf.query<T>(soql)),
          ...(sf.queryAll ? { queryAll: <T extends Record<string, unknown>>(soqls: string[]) => this.read(() => sf.queryAll!<T>(soqls)) } : {}),
          upsertRecords: (sobject, externalId, records) => this.write(`sf upsert ${sobject}`, () => sf.upsertRecords(sobject, externalId, records)),
          postChatter: (posts) => this.write('sf postChatter', () => sf.postChatter(posts)),
          apiUsage: () => sf.apiUsage(),
        };
      },
      traces: { ...deps.traces, put: (traces) => this.write('ddb traces', () => deps.traces.put(traces)) },
      deadLetter: (message, reason) => this.write('sqs deadLetter', () => deps.deadLetter(message, reason)),
      pauses: {
        pausedOrgs: (ids) => this.read(() => deps.pauses.pausedOrgs(ids)),
        health: (ids) => this.read(() => deps.pauses.health(ids)),
        pause: (orgId, pause) => this.write('ddb pause', () => deps.pauses.pause(orgId, pause)),
        recordFailure: (orgId, reason) => this.write('ddb recordFailure', () => deps.pauses.recordFailure(orgId, reason)),
        recover: (orgId) => this.write('ddb recover', () => deps.pauses.recover(orgId)),
        claimProbe: (orgId, ms) => this.write('ddb claimProbe', () => deps.pauses.claimProbe(orgId, ms)),
      },
    };
  }

  /** The outbox flusher's dependencies (the sweep, or a flush inside a processor invocation), every write passing through here. */
  wrapFlush(deps: FlushDeps): FlushDeps {
    const o = deps.outbox;
    const outbox: OutboxStore = {
      put: (orgId, entries, budget) => this.write('ddb outbox put', () => o.put(orgId, entries, budget)),
      list: (orgId, limit) => this.read(() => o.list(orgId, limit)),
      remove: (orgId, flushed) => this.write('ddb outbox remove', () => o.remove(orgId, flushed)),
      countAttempt: (orgId, entry) => this.write('ddb outbox countAttempt', () => o.countAttempt(orgId, entry)),
      reschedule: (orgId, budget, notBefore) => this.write('ddb outbox reschedule', () => o.reschedule(orgId, budget, notBefore)),
      acquireLease: (orgId, ms) => this.write('ddb outbox lease', () => o.acquireLease(orgId, ms)),
      releaseLease: (orgId, token) => this.write('ddb outbox release', () => o.releaseLease(orgId, token)),
      dueOrgs: (now, limit) => this.read(() => o.dueOrgs(now, limit)),
      // The Chatter pool (outbox.ts), passing through like the rest.
      putChatter: (orgId, entries) => this.write('ddb outbox putChatter', () => o.putChatter(orgId, entries)),
      openChatter: (orgId) => this.write('ddb outbox openChatter', () => o.openChatter(orgId)),
      takeChatter: (orgId, limit) => this.write('ddb outbox takeChatter', () => o.takeChatter(orgId, limit)),
      removeChatter: (orgId, done) => this.write('ddb outbox removeChatter', () => o.removeChatter(orgId, done)),
    };
    return { ...this.wrapWrites(deps), outbox, getOrg: (orgId) => this.read(() => deps.getOrg(orgId)) };
  }

  /** The processor's dependencies with every write and read passing through this invocation. */
  wrap(deps: ProcessorDeps): ProcessorDeps {
    return {
      ...this.wrapWrites(deps),
      orgsForGroup: (groupId) => this.read(() => deps.orgsForGroup(groupId)),
      requeue: (event, delay) => this.write('sqs requeue', () => deps.requeue(event, delay)),
      ...(deps.outboxFlush ? { outboxFlush: this.wrapFlush(deps.outboxFlush) } : {}),
    };
  }
}
