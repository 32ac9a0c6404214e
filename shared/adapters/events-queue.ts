import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from './aws-clients.ts';
import type { SessionEvent } from '../session.ts';
import type { ChatterFlushMessage } from '../processing/outbox.ts';

/** Attributes let an operator see what a message is about without parsing its body. */
function attributes(event: SessionEvent) {
  return {
    eventId: { DataType: 'String', StringValue: event.eventId },
    sessionId: { DataType: 'String', StringValue: event.session.id },
    groupId: { DataType: 'Number', StringValue: String(event.session.groupId) },
    source: { DataType: 'String', StringValue: event.source },
  };
}

export interface EventsQueue {
  send(event: SessionEvent, delaySeconds?: number): Promise<void>;
  /** The org's Chatter pool flush (shared/processing/outbox.ts), visible after `delaySeconds` (at most 900). */
  sendChatterFlush(orgId: string, delaySeconds: number): Promise<void>;
  /** Sends up to any number of events, ten per SQS call; throws naming the events that failed. */
  sendMany(events: SessionEvent[]): Promise<void>;
}

export function sqsEventsQueue(queueUrl: string): EventsQueue {
  return {
    async sendChatterFlush(orgId, delaySeconds) {
      const body: ChatterFlushMessage = { chatterFlush: { orgId } };
      await sqs().send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(body),
          MessageAttributes: { chatterFlush: { DataType: 'String', StringValue: orgId } },
          DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))),
        }),
      );
    },
    async send(event, delaySeconds) {
      await sqs().send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: sqsSafeJson(event),
          MessageAttributes: attributes(event),
          ...(delaySeconds ? { DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))) } : {}),
        }),
      );
    },
    async sendMany(events) {
      for (let i = 0; i < events.length; i += 10) {
        const chunk = events.slice(i, i + 10);
        const out = await sqs().send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((event, n) => ({
              Id: String(n),
              MessageBody: sqsSafeJson(event),
              MessageAttributes: attributes(event),
            })),
          }),
        );
        if (out.Failed && out.Failed.length > 0) {
          const names = out.Failed.map((f) => `${chunk[Number(f.Id)]?.eventId}: ${f.Code} ${f.Message ?? ''}`);
          throw new Error(`could not queue ${out.Failed.length} session events: ${names.join('; ')}`);
        }
      }
    },
  };
}

// SQS message bodies may hold only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF
// (SendMessage, MessageBody). JSON.stringify already escapes control characters and lone
// surrogates, which leaves U+FFFE and U+FFFF: replaced by U+FFFD so a session carrying one is
// queued (with that character replaced), never answered 500.
const NOT_FOR_SQS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** The event as JSON SQS accepts: characters SQS refuses replaced by U+FFFD. */
export function sqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(NOT_FOR_SQS, '\uFFFD');
}
