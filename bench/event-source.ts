import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from '../local/lambda/context.ts';
import { sqs } from '../shared/adapters/aws-clients.ts';

export interface EventSourceOptions {
  queueUrl: string;
  /** The mapping's batchSize (50 in infra/functions.ts). */
  batchSize: number;
  /** The mapping's maxBatchingWindow (2 s in infra/functions.ts). */
  windowMs: number;
  /** The function's timeout, for getRemainingTimeInMillis. */
  timeoutMs: number;
  memoryMb: number;
}

export type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface Invocation {
  durationMs: number;
  records: number;
  failures: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toRecord(m: Message, queueUrl: string): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'bench',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`,
    awsRegion: 'us-east-1',
  };
}

/**
 * One Lambda instance behind an SQS event source mapping: SQS hands out at most 10 messages per
 * receive, so the mapping receives again until it has batchSize or the batching window has passed
 * since the first message, invokes, deletes what succeeded and makes the failures visible again.
 */
export async function pollUntil(stopped: () => boolean, handler: Handler, options: EventSourceOptions, onInvoke: (i: Invocation) => void): Promise<void> {
  let invocations = 0;
  while (!stopped()) {
    const batch: Message[] = [];
    let firstAt = 0;
    while (batch.length < options.batchSize && !stopped()) {
      const out = await sqs().send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: Math.min(10, options.batchSize - batch.length),
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
      );
      const got = out.Messages ?? [];
      if (got.length && !firstAt) firstAt = Date.now();
      batch.push(...got);
      if (batch.length && Date.now() - firstAt >= options.windowMs) break;
      // The mapping long-polls; moto is reached through a one-at-a-time proxy, so pause instead of holding it.
      if (!got.length) await sleep(batch.length ? 100 : 250);
    }
    if (!batch.length) continue;

    const started = performance.now();
    let failed: Set<string>;
    try {
      const response = await handler({ Records: batch.map((m) => toRecord(m, options.queueUrl)) }, lambdaContext('session-processor', options.memoryMb, options.timeoutMs, `bench-${process.pid}-${++invocations}`));
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(batch.map((m) => m.MessageId!));
    }
    onInvoke({ durationMs: performance.now() - started, records: batch.length, failures: failed.size });

    const done = batch.filter((m) => !failed.has(m.MessageId!));
    const retry = batch.filter((m) => failed.has(m.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      const entries = done.slice(i, i + 10).map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle! }));
      await sqs().send(new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }));
    }
    // The queue's long visibility timeout would stall the run: failures come back at once.
    for (let i = 0; i < retry.length; i += 10) {
      const entries = retry.slice(i, i + 10).map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
      await sqs().send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }));
    }
  }
}
