import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * Wall time with at least one request outstanding. Summing each request's latency would count
 * the processor's parallel claims several times over; the union of the intervals does not.
 */
export function busyTracker() {
  let active = 0;
  let since = 0;
  let total = 0;
  return {
    start() {
      if (active++ === 0) since = performance.now();
    },
    end() {
      if (--active === 0) total += performance.now() - since;
    },
    totalMs: () => total + (active > 0 ? performance.now() - since : 0),
  };
}

export type BusyTracker = ReturnType<typeof busyTracker>;

/**
 * Times the process's HTTP requests made with undici (jsforce's client, and fetch): in the
 * processor those are the Salesforce calls, the AWS SDK using node:http instead.
 */
export function trackUndiciRequests(tracker: BusyTracker): void {
  const pending = new WeakSet<object>();
  diagnosticsChannel.subscribe('undici:request:create', (message) => {
    const { request } = message as { request: object };
    pending.add(request);
    tracker.start();
  });
  const done = (message: unknown) => {
    if (pending.delete((message as { request: object }).request)) tracker.end();
  };
  diagnosticsChannel.subscribe('undici:request:trailers', done);
  diagnosticsChannel.subscribe('undici:request:error', done);
}
