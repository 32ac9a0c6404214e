import { mulberry32 } from '../../local/glance-sim/sample-sessions.ts';
import type { SessionEvent } from '../../shared/session.ts';
import { snapshotInstant, toSyncEvent } from '../../shared/sync/sync-events.ts';
import { DAY, type Workload } from '../workload.ts';

/**
 * When each session event of a workload reaches the pipeline, at a given pace.
 * - `perDay`: the sessions spread uniformly at random over days of `perDay` sessions (a day of
 *   1,000 is one session every 86 s on average; real days have peaks, which only help batching).
 * - `perSecond`: a steady stream, Poisson arrivals at `rate` sessions a second.
 * - `flood`: everything queued at once (a backlog), for throughput.
 * Every session.started webhook arrives when its session starts. The scheduled sync runs hourly at
 * the bench orgs' install minute (:14) and pulls the ended state of the overlapping sessions that
 * ended since its last run (one copy per session: a second org pulling the same state makes the
 * same event id, which the processor drops without a Salesforce call). The session payloads are the
 * workload's; only the arrival instants follow the pace.
 */
export type Pace = { kind: 'perDay'; perDay: number } | { kind: 'perSecond'; rate: number } | { kind: 'flood' };

export interface TimedArrival {
  /** Simulated epoch ms at which the event reaches the pipeline (webhook posted, or sync run). */
  at: number;
  source: 'webhook' | 'sync';
  event: SessionEvent;
}

const HOUR = 3600_000;
const SYNC_MINUTE = 14;

export function timeline(workload: Workload, pace: Pace): TimedArrival[] {
  const n = workload.sessions.length;
  const random = mulberry32(workload.options.seed * 7919 + 17);
  const starts: number[] = [];
  if (pace.kind === 'perDay') {
    const span = (n / pace.perDay) * 24 * HOUR;
    for (let i = 0; i < n; i++) starts.push(DAY + Math.floor(random() * span));
    starts.sort((a, b) => a - b);
  } else if (pace.kind === 'perSecond') {
    let t = DAY;
    for (let i = 0; i < n; i++) {
      t += Math.round((-Math.log(1 - random()) / pace.rate) * 1000);
      starts.push(t);
    }
  } else {
    for (let i = 0; i < n; i++) starts.push(DAY);
  }

  const arrivals: TimedArrival[] = workload.sessions.map((session, i) => ({
    at: starts[i]!,
    source: 'webhook',
    event: { eventId: `webhook:msg_bench_${workload.options.seed}_${i}`, source: 'webhook', type: 'session.started', occurredAt: snapshotInstant(session), session },
  }));
  const syncs: TimedArrival[] = [];
  workload.sessions.forEach((session, i) => {
    if (!workload.overlapping[i]) return;
    const ended = workload.ended[i]!;
    const endsAt = starts[i]! + (Date.parse(ended.endedAt!) - Date.parse(session.startedAt));
    syncs.push({ at: pace.kind === 'flood' ? DAY : nextSync(endsAt), source: 'sync', event: toSyncEvent(ended) });
  });
  // Stable sort: at one instant, webhooks first, then each sync run's page in session order.
  return [...arrivals, ...syncs].sort((a, b) => a.at - b.at);
}

/** The first hourly run at minute 14 at or after `t`. */
function nextSync(t: number): number {
  const hour = Math.floor(t / HOUR) * HOUR + SYNC_MINUTE * 60_000;
  return hour >= t ? hour : hour + HOUR;
}
