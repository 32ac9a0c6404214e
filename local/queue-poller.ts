import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqs } from '../shared/adapters/aws-clients.ts';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export function toRecord(message: Message, queueArn: string): SQSRecord {
  const attrs = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? '1',
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType ?? 'String', stringListValues: [], binaryListValues: [] }]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: process.env.AWS_REGION ?? 'us-east-1',
  };
}

/**
 * Does what a Lambda event source mapping with ReportBatchItemFailures does: receive a batch,
 * invoke the handler in-process, delete what succeeded, leave the failures to reappear after
 * their visibility timeout (or at once with `retryImmediately`). Returns how many it received.
 */
export async function pollOnce(
  queueUrl: string,
  handler: SqsHandler,
  options: { batchSize?: number; waitSeconds?: number; retryImmediately?: boolean } = {},
): Promise<number> {
  const out = await sqs().send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(options.batchSize ?? 10, 10),
      WaitTimeSeconds: options.waitSeconds ?? 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  const messages = out.Messages ?? [];
  if (messages.length === 0) return 0;
  const event: SQSEvent = { Records: messages.map((m) => toRecord(m, `arn:aws:sqs:local:000000000000:${queueUrl.split('/').pop()}`)) };
  let failed: Set<string>;
  try {
    const response = await handler(event);
    failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch {
    // A thrown handler fails the whole batch, as in Lambda.
    failed = new Set(messages.map((m) => m.MessageId!));
  }
  const done = messages.filter((m) => !failed.has(m.MessageId!));
  if (done.length) {
    await sqs().send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
    );
  }
  const retry = messages.filter((m) => failed.has(m.MessageId!));
  if (retry.length && options.retryImmediately) {
    await sqs().send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: retry.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    );
  }
  return messages.length;
}

/** Polls until the queue gives nothing `idleRounds` times in a row; for tests and scripts. */
export async function drainQueue(
  queueUrl: string,
  handler: SqsHandler,
  options: { batchSize?: number; maxRounds?: number; retryImmediately?: boolean; idleRounds?: number } = {},
): Promise<number> {
  let total = 0;
  let idle = 0;
  for (let round = 0; round < (options.maxRounds ?? 1000); round++) {
    const got = await pollOnce(queueUrl, handler, { ...options, waitSeconds: 0 });
    total += got;
    idle = got === 0 ? idle + 1 : 0;
    if (idle >= (options.idleRounds ?? 1)) break;
  }
  return total;
}

/** Long-polls forever (the local run) until the signal aborts. */
export async function pollForever(queueUrl: string, handler: SqsHandler, signal: AbortSignal, onError: (error: unknown) => void): Promise<void> {
  while (!signal.aborted) {
    try {
      await pollOnce(queueUrl, handler, { waitSeconds: 1 });
    } catch (error) {
      onError(error);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
