/**
 * Simulated time for the benchmark: a discrete-event clock that real code can await.
 *
 * The pipeline's own code runs for real (the processing rules, the jsforce adapter, the Salesforce
 * simulator over loopback HTTP); only waiting is simulated. A virtual `sleep` resolves when the
 * clock reaches its time, and the clock moves to the next timer only once nothing real is under
 * way: every real operation (an HTTP call to the simulator) runs inside `real()`, one at a time
 * in the order asked, and the clock waits for it and for every continuation it sets off. So the
 * run's order of events depends on simulated time alone, never on how fast the machine is, and
 * the same seed gives the same calls.
 */
export interface SimClock {
  /** Simulated epoch milliseconds. */
  now(): number;
  /** Resolves when simulated time has moved on by `ms` (0 or less: at the current instant, after what is already due). */
  sleep(ms: number): Promise<void>;
  /** Calls `fn` at simulated time `at` (never before now). */
  at(at: number, fn: () => void): void;
  /** Runs `fn` (real work) while the clock is held; real operations run one at a time, in order. */
  real<T>(fn: () => Promise<T>): Promise<T>;
  /** Moves time forward timer by timer until none is left or `until` says stop; resolves with the final time. */
  run(until?: () => boolean): Promise<number>;
}

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** A binary min-heap on (at, seq): timers due at one instant fire in the order they were set. */
class TimerHeap {
  private items: Timer[] = [];
  get size(): number {
    return this.items.length;
  }
  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
const before = (x: Timer, y: Timer) => x.at < y.at || (x.at === y.at && x.seq < y.seq);

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createSimClock(start: number): SimClock {
  let t = start;
  let seq = 0;
  const timers = new TimerHeap();
  let inFlight = 0;
  let chain: Promise<unknown> = Promise.resolve();

  const clock: SimClock = {
    now: () => t,
    sleep: (ms) => new Promise<void>((resolve) => clock.at(t + Math.max(0, ms), resolve)),
    at(at, fire) {
      timers.push({ at: Math.max(at, t), seq: seq++, fire });
    },
    real<T>(fn: () => Promise<T>): Promise<T> {
      inFlight++;
      const result = chain.then(fn);
      chain = result.then(
        () => undefined,
        () => undefined,
      );
      return result.finally(() => inFlight--);
    },
    async run(until) {
      for (;;) {
        // Quiet: no real operation under way, and a full event-loop turn set none off.
        do {
          await turn();
          while (inFlight > 0) await turn();
          await turn();
        } while (inFlight > 0);
        if (until?.()) return t;
        const next = timers.pop();
        if (!next) return t;
        t = next.at;
        next.fire();
      }
    },
  };
  return clock;
}
