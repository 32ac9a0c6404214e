import type { QueuedMessage } from '../../shared/dead-letter.ts';
import type { AwsMeter } from './aws.ts';
import type { SimClock } from './clock.ts';

/**
 * The events queue and Lambda's SQS event source mapping, in simulated time.
 *
 * The mapping's pollers (one per allowed concurrent invocation) each long-poll the queue. A message
 * that becomes visible goes to one of the pollers not busy invoking, in turn (SQS hands a message to
 * one of the waiting receives; taking turns is the deterministic stand-in for its choice). A poller
 * that got a first message gathers until it holds `batchSize` or the batching window has passed
 * since, then invokes the function with what it holds. Messages it could not hand out wait, and
 * a poller back from an invocation takes them first. A message the function hands back (a batch
 * item failure) becomes visible again a visibility timeout after it was received, as in SQS.
 * Documented: Lambda "Using Lambda with Amazon SQS" (batch size, batching window, maximum
 * concurrency); how pollers split messages is not documented, hence the turn-taking.
 */
export interface EventSourceSettings {
  batchSize: number;
  windowMs: number;
  concurrency: number;
  visibilityTimeoutMs: number;
}

/** One invocation: the instance (a warm Lambda container) and its batch; returns the message ids to retry. */
export type Invoke = (instance: number, messages: QueuedMessage[]) => Promise<string[]>;

export interface EventSourceStats {
  invocations: number;
  messagesDelivered: number;
  retried: number;
  /** Simulated milliseconds the instances spent invoking, summed. */
  busyMs: number;
  /** Messages per invocation, in order. */
  batchSizes: number[];
}

export interface SimEventSource {
  /** Puts a message on the queue now, visible after `delayMs`. */
  send(body: string, delayMs?: number): void;
  stats: EventSourceStats;
  /** Messages on the queue or in flight. */
  pending(): number;
}

interface Message {
  messageId: string;
  body: string;
  receiveCount: number;
  receivedAt: number;
}

interface Poller {
  index: number;
  state: 'idle' | 'gathering' | 'invoking';
  batch: Message[];
  generation: number;
}

export function simEventSource(clock: SimClock, aws: AwsMeter, settings: EventSourceSettings, invoke: Invoke): SimEventSource {
  const pollers: Poller[] = Array.from({ length: settings.concurrency }, (_, index) => ({ index, state: 'idle', batch: [], generation: 0 }));
  const backlog: Message[] = [];
  const stats: EventSourceStats = { invocations: 0, messagesDelivered: 0, retried: 0, busyMs: 0, batchSizes: [] };
  let turnAt = 0;
  let sent = 0;
  let done = 0;

  const nextReceiver = (): Poller | undefined => {
    for (let k = 0; k < pollers.length; k++) {
      const p = pollers[(turnAt + k) % pollers.length]!;
      if (p.state !== 'invoking') {
        turnAt = p.index + 1;
        return p;
      }
    }
    return undefined;
  };

  const give = (p: Poller, m: Message) => {
    m.receiveCount++;
    m.receivedAt = clock.now();
    p.batch.push(m);
    if (p.state === 'idle') {
      p.state = 'gathering';
      const generation = ++p.generation;
      clock.at(clock.now() + settings.windowMs, () => {
        if (p.generation === generation && p.state === 'gathering') startInvocation(p);
      });
    }
    if (p.batch.length >= settings.batchSize) startInvocation(p);
  };

  const visible = (m: Message) => {
    const p = nextReceiver();
    if (p) give(p, m);
    else backlog.push(m);
  };

  const startInvocation = (p: Poller) => {
    p.state = 'invoking';
    p.generation++;
    const batch = p.batch;
    p.batch = [];
    stats.invocations++;
    stats.messagesDelivered += batch.length;
    stats.batchSizes.push(batch.length);
    const started = clock.now();
    void (async () => {
      let retry: string[];
      try {
        retry = await invoke(
          p.index,
          batch.map((m) => ({ messageId: m.messageId, body: m.body, receiveCount: m.receiveCount })),
        );
      } catch {
        retry = batch.map((m) => m.messageId); // the whole invocation failed: SQS redelivers every message
      }
      const again = new Set(retry);
      const finished = batch.filter((m) => !again.has(m.messageId));
      if (finished.length) await aws.roundTrips(Math.ceil(finished.length / 10)); // DeleteMessageBatch, 10 a call
      done += finished.length;
      for (const m of batch) {
        if (!again.has(m.messageId)) continue;
        stats.retried++;
        clock.at(m.receivedAt + settings.visibilityTimeoutMs, () => visible(m));
      }
      stats.busyMs += clock.now() - started;
      p.state = 'idle' as Poller['state'];
      // give() may start the next invocation once the batch is full.
      while (backlog.length && p.state !== 'invoking') give(p, backlog.shift()!);
    })();
  };

  return {
    stats,
    send(body, delayMs = 0) {
      const m: Message = { messageId: `m-${++sent}`, body, receiveCount: 0, receivedAt: 0 };
      clock.at(clock.now() + delayMs, () => visible(m));
    },
    pending: () => sent - done,
  };
}
