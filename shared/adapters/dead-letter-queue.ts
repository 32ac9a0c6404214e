import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { sqs } from './aws-clients.ts';
import { sqsEventsQueue } from './events-queue.ts';
import {
  listDeadLetterEntries,
  redriveDeadLetterEntries,
  type DeadLetterEntry,
  type DeadLetterQueue,
  type HeldMessage,
  type ListOptions,
  type RedriveOptions,
  type RedriveResult,
} from '../dead-letter-admin.ts';

/** Long enough to read and act on a large backlog; a crashed admin run gives everything back after it. */
const HOLD_SECONDS = 300;

interface SqsHeld extends HeldMessage {
  receiptHandle: string;
}

/**
 * SQS has no peek: messages are received with a visibility timeout and made visible again
 * afterwards. Reading ends on an empty long poll, because an empty short poll may just have
 * sampled servers holding none.
 */
export function sqsDeadLetterQueue(dlqUrl: string, options: { holdSeconds?: number; sourceQueueUrl?: string } = {}): DeadLetterQueue {
  const holdSeconds = options.holdSeconds ?? HOLD_SECONDS;
  return {
    async hold(max) {
      const held: SqsHeld[] = [];
      for (let confirming = false; held.length < max; ) {
        const out = await sqs().send(
          new ReceiveMessageCommand({
            QueueUrl: dlqUrl,
            MaxNumberOfMessages: Math.min(10, max - held.length),
            VisibilityTimeout: holdSeconds,
            WaitTimeSeconds: confirming ? 1 : 0,
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) {
          if (confirming) break;
          confirming = true;
          continue;
        }
        confirming = false;
        for (const m of messages) {
          const sent = Number(m.Attributes?.SentTimestamp);
          held.push({
            messageId: m.MessageId!,
            body: m.Body ?? '',
            receiptHandle: m.ReceiptHandle!,
            sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
          });
        }
      }
      return held;
    },
    async release(messages) {
      const list = messages as SqsHeld[];
      for (let i = 0; i < list.length; i += 10) {
        const chunk = list.slice(i, i + 10);
        await sqs().send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: dlqUrl,
            Entries: chunk.map((m, n) => ({ Id: String(n), ReceiptHandle: m.receiptHandle, VisibilityTimeout: 0 })),
          }),
        );
      }
    },
    async remove(message) {
      await sqs().send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: (message as SqsHeld).receiptHandle }));
    },
    async sourceMaxReceiveCount() {
      // The source queue's own policy when it is known: listing sources needs one more permission.
      const sources = options.sourceQueueUrl
        ? [options.sourceQueueUrl]
        : ((await sqs().send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }))).queueUrls ?? []);
      for (const url of sources) {
        const attrs = await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }));
        const policy = attrs.Attributes?.RedrivePolicy;
        const count = policy ? Number((JSON.parse(policy) as { maxReceiveCount?: unknown }).maxReceiveCount) : NaN;
        if (Number.isInteger(count) && count > 0) return count;
      }
      return null;
    },
  };
}

/** The events DLQ's dead letters, oldest first; none is removed by reading. */
export function listDeadLetters(queueUrl: string, options: ListOptions & { sourceQueueUrl?: string } = {}): Promise<DeadLetterEntry[]> {
  const { sourceQueueUrl, ...list } = options;
  return listDeadLetterEntries(sqsDeadLetterQueue(queueUrl, sourceQueueUrl ? { sourceQueueUrl } : {}), list);
}

/** Sends dead letters back to the events queue; each leaves the DLQ only after its copy is sent. */
export function redriveDeadLetters(dlqUrl: string, targetQueueUrl: string, options: RedriveOptions = {}): Promise<RedriveResult> {
  const events = sqsEventsQueue(targetQueueUrl);
  return redriveDeadLetterEntries(sqsDeadLetterQueue(dlqUrl, { sourceQueueUrl: targetQueueUrl }), { send: (event) => events.send(event) }, options);
}
