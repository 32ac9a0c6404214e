import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from './aws-clients.ts';
import type { DeadLetterReason, QueuedMessage } from '../session-processing.ts';

/**
 * What the processor puts on the DLQ: the original message untouched, wrapped with why it could
 * not be processed, so `dlq list` can show the reason and `dlq redrive` can send the body back.
 * Messages SQS itself moved there (a Lambda that crashed every time) are the bare body.
 */
export interface DeadLetterEnvelope extends DeadLetterReason {
  kind: 'glance-sync.dead-letter';
  version: 1;
  deadLetteredAt: string;
  receiveCount: number;
  body: string;
}

export function deadLetterEnvelope(message: QueuedMessage, reason: DeadLetterReason, now: Date): DeadLetterEnvelope {
  return { kind: 'glance-sync.dead-letter', version: 1, ...reason, deadLetteredAt: now.toISOString(), receiveCount: message.receiveCount, body: message.body };
}

export function parseDeadLetter(body: string): DeadLetterEnvelope | null {
  try {
    const value = JSON.parse(body) as Partial<DeadLetterEnvelope>;
    return value?.kind === 'glance-sync.dead-letter' && typeof value.body === 'string' ? (value as DeadLetterEnvelope) : null;
  } catch {
    return null;
  }
}

export function sqsDeadLetters(dlqUrl: string, now: () => Date = () => new Date()) {
  return async (message: QueuedMessage, reason: DeadLetterReason): Promise<void> => {
    const envelope = deadLetterEnvelope(message, reason, now());
    await sqs().send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: JSON.stringify(envelope),
        MessageAttributes: {
          reason: { DataType: 'String', StringValue: reason.reason.slice(0, 1000) || 'unknown' },
          ...(reason.orgIds.length ? { orgIds: { DataType: 'String', StringValue: reason.orgIds.join(',') } } : {}),
          ...(reason.sessionId ? { sessionId: { DataType: 'String', StringValue: reason.sessionId } } : {}),
        },
      }),
    );
  };
}
