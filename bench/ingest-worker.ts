import { readFileSync } from 'node:fs';
import { signWebhook } from '../local/glance-sim/webhook-sender.ts';
import { webhookApiEvent } from '../local/http-api.ts';
import { sqsEventsQueue } from '../shared/adapters/events-queue.ts';
import { installAwsCounters } from './aws-counters.ts';
import { lambdaContext } from '../local/lambda/context.ts';
import { withRetry } from '../shared/retry.ts';
import type { Invocation } from './event-source.ts';
import { memoryPeaks } from './memory.ts';
import { WEBHOOK_SECRETS } from './orgs.ts';
import { queueDepth, waitForEmpty } from './queue-depth.ts';
import type { Arrival } from './workload.ts';
import type { WorkerReport } from './worker-protocol.ts';

/**
 * Glance's webhook sender, API Gateway and the webhook-ingest Lambda, in a process of their own;
 * also the scheduled sync, whose pages go onto the events queue the way sync-run queues them.
 */
const { feedPath, queueUrl, concurrency, maxBacklog } = JSON.parse(process.argv[2] ?? '{}') as {
  feedPath: string;
  queueUrl: string;
  concurrency: number;
  maxBacklog: number;
};
const feed = JSON.parse(readFileSync(feedPath, 'utf8')) as Arrival[];
const counts = installAwsCounters();
const memory = memoryPeaks();
const initStarted = performance.now();
const { handler } = await import('../functions/webhook-ingest/handler.ts');
const initMs = performance.now() - initStarted;

const invocations: Invocation[] = [];
let rejected = 0;
let seq = 0;

/**
 * A webhook sender redelivers what was not answered (Standard Webhooks); the webhook-id keeps the
 * copies one event. On a loaded machine an invocation can run past the 10 s the Lambda has.
 */
const deliver = (arrival: Extract<Arrival, { kind: 'webhook' }>): Promise<void> =>
  withRetry({ attempts: 5, baseDelayMs: 500, jitter: 'full' }, () => deliverOnce(arrival), () => true);

async function deliverOnce(arrival: Extract<Arrival, { kind: 'webhook' }>): Promise<void> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = signWebhook({ secret: WEBHOOK_SECRETS[arrival.groupId]!, id: arrival.webhookId, timestamp, body: arrival.body });
  const event = webhookApiEvent(String(arrival.groupId), arrival.body, {
    'content-type': 'application/json',
    'webhook-id': arrival.webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  });
  const started = performance.now();
  const answer = (await handler(event, lambdaContext('webhook-ingest', 256, 10_000, `bench-ingest-${++seq}`))) as { statusCode?: number };
  invocations.push({ durationMs: performance.now() - started, records: 1, failures: answer.statusCode === 202 ? 0 : 1 });
  if (answer.statusCode !== 202) rejected++;
}

/**
 * moto scans a whole queue on every receive and delete, so a backlog of thousands would measure
 * moto rather than the pipeline: the sender holds back while the queue is deeper than maxBacklog.
 */
async function holdBack(): Promise<void> {
  while ((await queueDepth(queueUrl)) > maxBacklog) await new Promise((r) => setTimeout(r, 200));
}

async function run(): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  for (const arrival of feed) {
    if (arrival.kind === 'webhook') {
      if (++sent % 50 === 0) await holdBack();
      const p = deliver(arrival).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      continue;
    }
    // A sync run comes after the webhooks before it; the last one an hour later, when all is processed.
    await Promise.all(inFlight);
    if (arrival.afterDrain) await waitForEmpty(queueUrl);
    await sqsEventsQueue(queueUrl).sendMany(arrival.events);
  }
  await Promise.all(inFlight);
}

process.on('message', (m: { type?: string }) => {
  if (m.type !== 'go') return;
  run().then(
    () => {
      const report: WorkerReport = { type: 'report', role: 'ingest', initMs, invocations, aws: counts(), memory: memory.stop(), rejected };
      process.send!(report, () => process.exit(0));
    },
    (error: Error) => {
      process.stderr.write(`ingest failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
});
process.send!({ type: 'ready' });
