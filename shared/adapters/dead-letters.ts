import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from './aws-clients.ts';
import { deadLetterEnvelope, type DeadLetterReason, type QueuedMessage } from '../dead-letter.ts';

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
