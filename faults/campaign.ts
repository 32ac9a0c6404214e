import type { Message } from '@aws-sdk/client-sqs';
import { mulberry32 } from '../local/glance-sim/sample-sessions.ts';
import type { Log } from '../shared/log.ts';
import type { ProcessorDeps } from '../shared/processing/session-processing.ts';
import { Chaos } from './chaos.ts';
import { crashAtOp, crashAtWrite, Invocation, SimulatedCrash, type CrashPlan, type CrashWhen } from './crash.ts';
import { flushDueOrgs } from '../shared/processing/flush.ts';
import { ENV } from '../shared/config.ts';
import { CAMPAIGN_OUTBOX, LEASE_MS, lambdaContainer, outboxEntries, registerOrgs, seedOrgs, startFaultEnv } from './env.ts';
import { expectedState } from './expect.ts';
import { generateModel } from './generate.ts';
import { invoke, queueDepth, receiveBatch, sendBodies, settle, type InvocationResult } from './lambda.ts';
import type { MessageKind } from './model.ts';
import { ProcessContainer, type ProcessResult } from './process-container.ts';
import { PROCESSOR_LEASE_MS } from '../shared/config.ts';
import { observe, verify, type Verdict } from './verify.ts';

export interface CampaignOptions {
  seed: number;
  events: number;
  /** Lambda containers working the queue at once. */
  concurrency?: number;
  /** Share of invocations that die somewhere between two writes. */
  crashRate?: number;
  /**
   * Of the containers, how many are real OS processes running the bundled handler (0 or 1); the
   * others run the handler's code in this process with every write wrapped for crashes.
   */
  processes?: number;
  /** Share of a process container's invocations that are SIGKILLed at a seeded write. */
  killRate?: number;
  /** Shares wait in per-org outboxes (issue 13) and the one-minute flusher sweep runs in the campaign; false: written at once. */
  outbox?: boolean;
  /** Share of rounds in which Salesforce starts misbehaving somewhere. */
  faultRate?: number;
  wallClockMs?: number;
  /** Narrates every delivery of messages whose body contains one of these (comma-separated session ids). */
  trace?: string;
  /** Virtual hours one org (with Chatter on) answers 503 to everything, from the middle of wave 1 into wave 2; 0: none. */
  outageHours?: number;
  progress?(line: string): void;
}

export interface CampaignStats {
  sent: Record<MessageKind, number>;
  crashes: Record<string, number>;
  /** SIGKILLs of the processor process, by point. */
  kills: Record<string, number>;
  /** Kill plans whose write never came (the batch had no such write): the invocation finished. */
  killsNotReached: number;
  /** Invocations run by the real bundled handler in its own process, and processes started. */
  processInvocations: number;
  processStarts: number;
  /** Rounds in which two or more containers worked batches of the same queue at the same time. */
  concurrentRounds: number;
  /** Records the simulator answered DUPLICATE_VALUE because a concurrent upsert created their external id first. */
  raceLosses: number;
  /** Outbox flusher sweeps run (one a virtual minute, and the final drain), those that crashed by point, and the shares they wrote. */
  sweeps: number;
  sweepCrashes: Record<string, number>;
  sweptRecords: number;
  faults: Record<string, number>;
  faultsLeftArmed: number;
  invocations: number;
  received: number;
  returned: number;
  rounds: number;
  pauses: Record<string, number>;
  recoveredClaims: number;
  /** Redeliveries that found their event's claim still leased (the claim was taken after the receive). */
  busyClaims: number;
  /** Shares that waited (paused org, Chatter claim held elsewhere) without counting as failed receives. */
  deferred: number;
  /** spannedWaves: its sessions ended (wave 2) while its shares waited on the queue; ranItsHours: it ended by its clock, not by the campaign's final calm. */
  outage: { org: string; hours: number; spannedWaves: boolean; ranItsHours: boolean } | null;
  wallMs: number;
  virtualHours: number;
  finished: boolean;
  stopReason: string | null;
}

export interface CampaignResult {
  options: Omit<CampaignOptions, 'progress'>;
  stats: CampaignStats;
  verdict: Verdict;
}

/**
 * New messages arrive while fewer than this many per container wait: enough for full batches, few
 * enough that moto's receive (which walks the whole queue) stays fast. Reordering comes from the
 * shuffled waves, not from a backlog.
 */
const BACKLOG_PER_CONTAINER = 12;
/**
 * Batches of up to 20 (the stack's mapping takes 50, but moto's receive slows with the queue's
 * length); many are smaller and crashing ones small, for more crash points per message.
 */
const BATCH_SIZE = 20;
const SMALL_BATCH = 10;
const CRASH_BATCH = 12;
/** A message that already failed this often is not crashed again: crashes alone must not exhaust maxReceiveCount (5). */
const CRASH_RECEIVE_LIMIT = 2;
const SALESFORCE_WRITES = ['sf upsert Lead', 'sf upsert Glance_Session__c', 'sf postChatter'];
/**
 * Virtual time each write of an invocation takes: claims and leases are taken after the receive,
 * as in a real deployment, so a redelivery at receive + visibility timeout can find them still held.
 */
const WORK_MS_PER_WRITE = 50;
/** The stack's flusher schedule: every minute (virtual). */
const SWEEP_MS = 60_000;
/** Sweeps after the waves, five virtual minutes apart, before the run counts what is left in outboxes as a failure. */
const MAX_DRAIN_SWEEPS = 60;
/** Real milliseconds an upsert's transaction stays open in the simulator (local/salesforce-sim/races.ts). */
const UPSERT_WINDOW_MS = 40;

const eventIdOf = (body: string | undefined): string | undefined => {
  try {
    return (JSON.parse(body ?? '') as { eventId?: string }).eventId;
  } catch {
    return undefined;
  }
};

/**
 * Half the crashes aim at one kind of Salesforce write (the points that duplicate Leads and posts
 * in a naive design), mostly just after it landed; the rest fall on any write, before or after.
 */
function randomCrashPlan(random: () => number, batchSize: number): CrashPlan {
  if (random() < 0.5) {
    const op = SALESFORCE_WRITES[Math.floor(random() * SALESFORCE_WRITES.length)]!;
    return crashAtOp(op, random() < 0.75 ? 'after' : 'before');
  }
  const when: CrashWhen = random() < 0.5 ? 'before' : 'after';
  const k = 1 + Math.floor(random() * (3 * batchSize + 4));
  return (n) => (n === k ? when : null);
}

/**
 * Where the processor process is SIGKILLed: just before a Salesforce write goes out, just after it
 * landed (its answer never arrives), or just after the k-th ledger write (a claim, a completion).
 */
function randomKillPlan(random: () => number): CrashPlan {
  const roll = random();
  if (roll < 1 / 2) {
    // The first Salesforce write of the batch, whichever kind it is: with the outbox, a batch holds few.
    const j = 1;
    const when: CrashWhen = roll < 1 / 4 ? 'before' : 'after';
    let salesforceWrites = 0;
    return (_n, op) => (op.startsWith('sf ') && ++salesforceWrites === j ? when : null);
  }
  return afterStateWrite(1 + Math.floor(random() * 6));
}

/** Dies just after the k-th ledger or outbox write: a claim, a completion, a share put in its org's outbox. */
function afterStateWrite(k: number): CrashPlan {
  let stateWrites = 0;
  return (_n, op) => ((op === 'ddb ledger write' || op === 'ddb outbox write') && ++stateWrites === k ? 'after' : null);
}

/** A process's answer in the shape the queue settles: a kill acknowledges nothing. */
function fromProcess(out: ProcessResult): InvocationResult {
  if (out.killed) return { crashed: true, point: `SIGKILL ${out.point}`, writes: out.writes };
  // Read from the handler's own 'batch processed' log line.
  return { crashed: false, busy: out.counts.busy ?? 0, deferred: out.counts.deferred ?? 0, retry: out.retry };
}

function narrate(round: number, slot: number, messages: Message[], result: InvocationResult, say: (line: string) => void): void {
  if (messages.length === 0) return;
  const what = messages.map((m) => `${eventIdOf(m.Body)} (receive ${m.Attributes?.ApproximateReceiveCount})`).join(', ');
  const outcome = result.crashed ? `crashed ${result.point}` : messages.some((m) => result.retry.has(m.MessageId!)) ? 'handed back' : 'acknowledged';
  say(`round ${round} container ${slot}: ${what}: ${outcome}`);
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as CampaignOptions;
  const opts = { concurrency: 2, crashRate: 0.4, faultRate: 0.5, wallClockMs: 600_000, outageHours: 3, processes: 1, killRate: 0.3, outbox: true, ...given };
  const { progress, ...shown } = opts;
  const started = Date.now();
  const model = generateModel({ seed: opts.seed, events: opts.events });
  const expected = expectedState(model);
  const random = mulberry32(opts.seed ^ 0x5eed5);
  let inProcessInvocations = 0;
  const stats: CampaignStats = {
    sent: { original: 0, duplicate: 0, resend: 0, 'late-resend': 0, malformed: 0 },
    crashes: {},
    kills: {},
    killsNotReached: 0,
    processInvocations: 0,
    processStarts: 0,
    concurrentRounds: 0,
    raceLosses: 0,
    sweeps: 0,
    sweepCrashes: {},
    sweptRecords: 0,
    faults: {},
    faultsLeftArmed: 0,
    invocations: 0,
    received: 0,
    returned: 0,
    rounds: 0,
    pauses: {},
    recoveredClaims: 0,
    busyClaims: 0,
    deferred: 0,
    outage: null,
    wallMs: 0,
    virtualHours: 0,
    finished: true,
    stopReason: null,
  };
  const env = await startFaultEnv();
  let process_: ProcessContainer | null = null;
  let flusherProcess: ProcessContainer | null = null;
  try {
    const startVirtual = env.clock.now();
    await registerOrgs(env, model.orgs);
    seedOrgs(env, model);
    // Upserts stay open a moment, so two containers creating one external id at once really race.
    env.sim.setUpsertWindow(UPSERT_WINDOW_MS);
    const label = new Map(model.orgs.map((o) => [o.orgId, o.label]));
    const traced = opts.trace?.split(',').filter(Boolean) ?? [];
    const tracing = (text: string) => traced.some((t) => text.includes(t));
    const traceLog: Log | undefined = opts.trace
      ? { info() {}, warn: (m, extra) => void (tracing(JSON.stringify(extra ?? {})) && progress?.(`  ${m} ${JSON.stringify(extra)}`)), error: (m, extra) => void (tracing(JSON.stringify(extra ?? {})) && progress?.(`  ${m} ${JSON.stringify(extra)}`)) }
      : undefined;
    const container = (): ProcessorDeps =>
      lambdaContainer(env, {
        log: traceLog,
        onPause: (orgId) => void (stats.pauses[label.get(orgId) ?? orgId] = (stats.pauses[label.get(orgId) ?? orgId] ?? 0) + 1),
        outbox: opts.outbox ? CAMPAIGN_OUTBOX : undefined,
      });
    const containers = Array.from({ length: opts.concurrency }, container);
    const countPause = (orgId: string) => void (stats.pauses[label.get(orgId) ?? orgId] = (stats.pauses[label.get(orgId) ?? orgId] ?? 0) + 1);
    // Slot 0 is the real bundled handler in its own process when asked for (the default).
    process_ =
      opts.processes > 0
        ? await ProcessContainer.start(env, {
            paused: countPause,
            log: opts.trace ? (line) => void (tracing(line) && progress?.(`  [process] ${line.slice(0, 400)}`)) : undefined,
            // The process reads the outbox policy from its environment, as the stack sets it.
            environment: opts.outbox
              ? { [ENV.recordBudgetSeconds]: String(CAMPAIGN_OUTBOX.recordBudgetMs / 1000), [ENV.outboxFlushRecords]: String(CAMPAIGN_OUTBOX.flushRecords) }
              : {},
          })
        : null;
    // The outbox flusher's own warm container; a crashed sweep is replaced by a cold one. With a
    // real process for the processor, the flusher is one too: the outbox-flusher bundle, SIGKILLed.
    let flusher = opts.outbox ? container() : null;
    flusherProcess =
      opts.outbox && opts.processes > 0
        ? await ProcessContainer.start(
            env,
            { paused: countPause, environment: { [ENV.recordBudgetSeconds]: String(CAMPAIGN_OUTBOX.recordBudgetMs / 1000), [ENV.outboxFlushRecords]: String(CAMPAIGN_OUTBOX.flushRecords) } },
            'outbox-flusher',
          )
        : null;
    const flusherProc = flusherProcess;
    let nextSweep = env.clock.now() + SWEEP_MS;
    /** One run of the flusher's sweep (flushDueOrgs) on the campaign's clock, crashing at a seeded write when `crash`. */
    const sweep = async (crash: boolean): Promise<void> => {
      if (!flusher?.outboxFlush) return;
      stats.sweeps++;
      if (flusherProc) {
        const out = await flusherProc.invokeEvent({}, crash ? randomKillPlan(random) : null);
        if (out.killed) {
          const point = `SIGKILL ${out.point}`;
          stats.sweepCrashes[point] = (stats.sweepCrashes[point] ?? 0) + 1;
        } else if (out.payload) {
          for (const r of Object.values(JSON.parse(out.payload) as Record<string, { kind: string; written?: number }>)) if (r.kind === 'flushed') stats.sweptRecords += r.written ?? 0;
        }
        return;
      }
      const invocation = new Invocation(crash ? randomCrashPlan(random, 4) : null, { wrote: () => env.clock.advance(WORK_MS_PER_WRITE) });
      try {
        const results = await flushDueOrgs(invocation.wrapFlush(flusher.outboxFlush));
        if (invocation.dead) throw new SimulatedCrash(invocation.crashedAt!);
        for (const r of results.values()) if (r.kind === 'flushed') stats.sweptRecords += r.written;
      } catch (error) {
        if (!(error instanceof SimulatedCrash) && !invocation.dead) throw error;
        const point = invocation.crashedAt!;
        stats.sweepCrashes[point] = (stats.sweepCrashes[point] ?? 0) + 1;
        flusher = container();
      }
    };
    const processContainer = process_;
    const chaos = new Chaos(env.sim, model.orgs, random, opts.faultRate);
    const chatterOrgs = model.orgs.filter((o) => o.settings.chatterOnSessionStart);
    const outageOrg = opts.outageHours > 0 && chatterOrgs.length ? chatterOrgs[Math.floor(random() * chatterOrgs.length)]! : null;
    const queueUrl = env.resources.eventsQueueUrl;
    const deadline = started + opts.wallClockMs;
    // Generous: every message may be received maxReceiveCount times, deferrals add some.
    const maxRounds = 40 + Math.ceil((opts.events * 8) / opts.concurrency);

    for (const [w, wave] of model.waves.entries()) {
      let next = 0;
      for (;;) {
        if (stats.rounds >= maxRounds || Date.now() > deadline) {
          stats.finished = false;
          stats.stopReason = stats.rounds >= maxRounds ? `stopped after ${maxRounds} rounds` : `stopped at the ${opts.wallClockMs / 1000} s wall-clock cap`;
          break;
        }
        stats.rounds++;
        const backlog = await queueDepth(queueUrl);
        const arriving = wave.slice(next, next + Math.max(0, BACKLOG_PER_CONTAINER * containers.length - backlog));
        next += arriving.length;
        for (const m of arriving) stats.sent[m.kind]++;
        if (arriving.length) await sendBodies(queueUrl, arriving);
        // The org goes down in the middle of wave 1 (sessions live) and comes back hours later, in wave 2 (sessions ended).
        if (outageOrg && w === 0 && !chaos.outage && next >= wave.length / 2) {
          chaos.startOutage(outageOrg.orgId, opts.outageHours, env.clock.now());
          stats.outage = { org: outageOrg.label, hours: opts.outageHours, spannedWaves: false, ranItsHours: false };
        }
        // No new weather once the wave is all sent, so the tail drains instead of dragging on.
        chaos.tick(env.clock.now(), next >= wave.length);

        const batches: Array<{ slot: number; messages: Message[]; crash: boolean }> = [];
        for (let slot = 0; slot < containers.length; slot++) {
          // A crash hands its whole batch back: crashing batches are small, so crashes stay many and cheap.
          const crash = random() < opts.crashRate;
          const size = crash ? 1 + Math.floor(random() * CRASH_BATCH) : random() < 0.5 ? 1 + Math.floor(random() * SMALL_BATCH) : BATCH_SIZE;
          const messages = await receiveBatch(queueUrl, size);
          if (messages.length) batches.push({ slot, messages, crash });
        }
        if (batches.length === 0) {
          if (next >= wave.length && backlog === 0) break;
          continue;
        }
        let received = batches.flatMap((b) => b.messages);
        const waiting = (m: Message) => (env.dueAt.get(eventIdOf(m.Body) ?? '') ?? 0) > env.clock.now();
        // Wave 1 is all sent while the org is down: its waiting shares are held back until wave 2,
        // so its sessions end while those shares, and their Chatter posts, still wait.
        if (w === 0 && next >= wave.length && chaos.outageActive) {
          const held = received.filter(waiting);
          if (held.length) {
            await settle(queueUrl, held, { crashed: true, point: 'held for the outage', writes: 0 });
            for (const b of batches) b.messages = b.messages.filter((m) => !held.includes(m));
            received = received.filter((m) => !held.includes(m));
          }
          if (received.length === 0) {
            stats.outage!.spannedWaves = true;
            break;
          }
        }
        // A delayed message is only delivered once its delay is over: jump there.
        for (const m of received) {
          const due = env.dueAt.get(eventIdOf(m.Body) ?? '');
          if (due) env.clock.advanceTo(due);
        }
        const receivedAt = env.clock.now();
        const active = batches.filter((b) => b.messages.length > 0);
        if (active.length > 1) stats.concurrentRounds++;
        // The one-minute schedule fires the flusher while the processors work.
        const sweeping = flusher && env.clock.now() >= nextSweep ? sweep(random() < opts.crashRate) : Promise.resolve();
        if (flusher && env.clock.now() >= nextSweep) nextSweep = env.clock.now() + SWEEP_MS;
        const results = await Promise.all(
          active.map(async ({ slot, messages, crash }): Promise<InvocationResult> => {
            stats.invocations++;
            stats.received += messages.length;
            const worn = messages.some((m) => Number(m.Attributes?.ApproximateReceiveCount ?? '1') > CRASH_RECEIVE_LIMIT);
            if (slot === 0 && processContainer) {
              stats.processInvocations++;
              // The first invocation the process gets is always killed after its first claim, so every
              // run (even a short one) has a kill; after that the seed decides.
              const first = stats.processInvocations === 1;
              const kill = worn ? null : first ? afterStateWrite(1) : random() < opts.killRate ? randomKillPlan(random) : null;
              const out = await processContainer.invoke(messages, kill);
              stats.processStarts = processContainer.started;
              if (kill && !out.killed) stats.killsNotReached++;
              return fromProcess(out);
            }
            // As with the process's kills: the first in-process invocation always dies after its
            // first write, so every run (even a short one whose drawn crash points meet no write)
            // has an in-process crash; after that the seed decides.
            const firstInProcess = ++inProcessInvocations === 1;
            const plan = worn ? null : firstInProcess ? crashAtWrite(1, 'after') : crash ? randomCrashPlan(random, messages.length) : null;
            return invoke(messages, containers[slot]!, plan, {
              recoveredClaim: () => void stats.recoveredClaims++,
              wrote: () => env.clock.advance(WORK_MS_PER_WRITE),
            });
          }),
        );
        await sweeping;
        let back = 0;
        let killed = false;
        for (const [i, result] of results.entries()) {
          const { slot, messages } = active[i]!;
          if (opts.trace) narrate(stats.rounds, slot, messages.filter((m) => tracing(m.Body ?? '')), result, (line) => progress?.(line));
          if (!result.crashed) {
            stats.busyClaims += result.busy;
            stats.deferred += result.deferred;
          }
          if (result.crashed && slot === 0 && processContainer) {
            stats.kills[result.point] = (stats.kills[result.point] ?? 0) + 1;
            killed = true;
          } else if (result.crashed) {
            stats.crashes[result.point] = (stats.crashes[result.point] ?? 0) + 1;
            containers[slot] = container(); // the dead container's warm state is gone
          }
          back += await settle(queueUrl, messages, result);
        }
        stats.returned += back;
        // What went back becomes visible when the visibility timeout (= the lease) has run from its
        // receive; claims taken later in the invocation may still be held then. The process runs the
        // stack's own lease (PROCESSOR_LEASE_MS, = its visibility timeout): a kill waits that out.
        if (back) env.clock.advanceTo(receivedAt + (killed ? PROCESSOR_LEASE_MS : LEASE_MS));
      }
      progress?.(`wave ${w + 1}: ${stats.rounds} rounds, ${stats.invocations} invocations, ${Object.values(stats.crashes).reduce((a, b) => a + b, 0)} crashes, ${Math.round((Date.now() - started) / 1000)} s`);
      if (!stats.finished) break;
    }
    // What still waits in outboxes goes out as the sweep finds it due: minutes pass, the sweep runs
    // (crashing now and then: a crashed flush's lease must run out before the next takes the org).
    // An org still down stays down until its outage has run its hours: its outbox waits it out.
    if (flusher) {
      for (let i = 0; i < MAX_DRAIN_SWEEPS && (await outboxEntries(env)) > 0; i++) {
        env.clock.advance(SWEEP_MS * 5);
        chaos.tick(env.clock.now(), true);
        await sweep(i < MAX_DRAIN_SWEEPS / 2 && random() < opts.crashRate);
      }
    }
    if (stats.outage) stats.outage.ranItsHours = !chaos.outageActive;
    chaos.calm();
    stats.faults = chaos.injected;
    stats.faultsLeftArmed = env.sim.pendingFaults().filter((f) => f.fault !== 'DUPLICATES_DETECTED').length;
    stats.raceLosses = env.sim.raceLosses();
    stats.virtualHours = (env.clock.now() - startVirtual) / 3_600_000;
    const actual = await observe(env, model);
    const verdict = verify(model, expected, actual, stats.finished ? null : stats.stopReason);
    stats.wallMs = Date.now() - started;
    return { options: shown, stats, verdict };
  } finally {
    await process_?.stop();
    await flusherProcess?.stop();
    await env.stop();
  }
}
