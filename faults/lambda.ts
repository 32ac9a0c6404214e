import { SendMessageBatchCommand, ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { sqs } from '../shared/adapters/aws-clients.ts';
import { processSessionBatch, type ProcessorDeps } from '../shared/processing/session-processing.ts';
import { Invocation, SimulatedCrash, type CrashPlan, type Observer } from './crash.ts';

/** What an SQS event source mapping does around one invocation, with the clock under the campaign's control. */

/**
 * Takes up to `max` messages, ten per receive, as the event source mapping gathers a batch (the
 * stack's is 50); they stay invisible until settled, however long the round takes.
 */
export async function receiveBatch(queueUrl: string, max: number): Promise<Message[]> {
  const batch: Message[] = [];
  while (batch.length < max) {
    const want = Math.min(10, max - batch.length);
    const out = await sqs().send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: want, WaitTimeSeconds: 0, VisibilityTimeout: 600, MessageSystemAttributeNames: ['All'] }),
    );
    batch.push(...(out.Messages ?? []));
    if ((out.Messages?.length ?? 0) < want) break;
  }
  return batch;
}

export type InvocationResult =
  /** busy: redeliveries that found their claim still leased; deferred: shares that waited without a failed receive. */
  | { crashed: false; busy: number; deferred: number; retry: Set<string> }
  | { crashed: true; point: string; writes: number };

export async function invoke(messages: Message[], deps: ProcessorDeps, plan: CrashPlan | null, observer: Observer = {}): Promise<InvocationResult> {
  const invocation = new Invocation(plan, observer);
  const batch = messages.map((m) => ({ messageId: m.MessageId!, body: m.Body ?? '', receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1') }));
  try {
    const outcome = await processSessionBatch(batch, invocation.wrap(deps));
    // The processor may have swallowed the crash as a Salesforce error: the process is dead all the same.
    if (invocation.dead) return { crashed: true, point: invocation.crashedAt!, writes: invocation.writes };
    return { crashed: false, busy: outcome.counts.busy, deferred: outcome.counts.deferred, retry: new Set(outcome.retry) };
  } catch (error) {
    if (error instanceof SimulatedCrash || invocation.dead) return { crashed: true, point: invocation.crashedAt!, writes: invocation.writes };
    throw error;
  }
}

/**
 * Deletes what succeeded; a crashed invocation deletes nothing. What is left is made visible at
 * once: the campaign advances its clock by the visibility timeout instead of waiting for it.
 * Returns how many messages go back to the queue.
 */
export async function settle(queueUrl: string, messages: Message[], result: InvocationResult): Promise<number> {
  const back = result.crashed ? messages : messages.filter((m) => result.retry.has(m.MessageId!));
  const done = result.crashed ? [] : messages.filter((m) => !result.retry.has(m.MessageId!));
  if (done.length) {
    await sqs().send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  if (back.length) {
    await sqs().send(
      new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: back.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })) }),
    );
  }
  return back.length;
}

/** Puts raw bodies on the queue, as the webhook endpoint and the sync would (malformed ones included). */
export async function sendBodies(queueUrl: string, messages: Array<{ body: string }>): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const out = await sqs().send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((m, n) => ({ Id: String(n), MessageBody: m.body })) }));
    if (out.Failed?.length) throw new Error(`could not send ${out.Failed.length} campaign messages`);
  }
}

/** Messages on the queue, visible, in flight or delayed. */
export async function queueDepth(queueUrl: string): Promise<number> {
  const out = await sqs().send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
}
