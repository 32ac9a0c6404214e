import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from './aws-clients.ts';
import type { SyncRequest } from '../sync/sync-request.ts';

/** The queue that starts sync runs; the org schedules (EventBridge Scheduler) put the same message shape on it. */
export function sqsSyncQueue(queueUrl: string): { send(message: SyncRequest): Promise<void> } {
  return {
    async send(message) {
      await sqs().send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(message),
          MessageAttributes: {
            orgId: { DataType: 'String', StringValue: message.orgId },
            trigger: { DataType: 'String', StringValue: message.trigger },
          },
        }),
      );
    },
  };
}
