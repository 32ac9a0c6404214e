import { installAwsCounters } from './aws-counters.ts';
import { busyTracker, trackUndiciRequests } from './busy-time.ts';
import { pollUntil, type EventSourceOptions, type Invocation } from './event-source.ts';
import { memoryPeaks } from './memory.ts';
import type { WorkerReport } from './worker-protocol.ts';

/**
 * One session-processor Lambda instance, in a process of its own so that its memory and its
 * per-instance caches (Salesforce logins, describe results, secrets) are what one instance has.
 */
const options = JSON.parse(process.argv[2] ?? '{}') as EventSourceOptions;
const counts = installAwsCounters();
const memory = memoryPeaks();
const salesforceBusy = busyTracker();
trackUndiciRequests(salesforceBusy);
const initStarted = performance.now();
const { handler } = await import('../functions/session-processor/handler.ts');
const initMs = performance.now() - initStarted;

let stopping = false;
process.on('message', (m: { type?: string }) => {
  if (m.type === 'stop') stopping = true;
});
process.send!({ type: 'ready' });

const invocations: Invocation[] = [];
await pollUntil(() => stopping, handler as never, options, (i) => invocations.push(i));

const report: WorkerReport = {
  type: 'report',
  role: 'processor',
  initMs,
  invocations,
  aws: counts(),
  memory: memory.stop(),
  salesforceBusyMs: salesforceBusy.totalMs(),
};
process.send!(report, () => process.exit(0));
