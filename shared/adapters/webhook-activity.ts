import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';

/**
 * "Last webhook accepted at", one small item per group on the orgs table (`GROUP#{id}` / `WEBHOOK`),
 * so `orgs show` can say whether a group's webhooks arrive at all: Glance documents no webhook of
 * its own, so they come only from a relay the customer runs. Kept cheap: a warm Lambda writes a
 * group's item at most once per `minIntervalMs`, so the time shown may be that much old.
 */
export const webhookActivityKey = (groupId: number) => ({ pk: `GROUP#${groupId}`, sk: 'WEBHOOK' });

export interface WebhookActivityStore {
  noteAccepted(groupId: number, at: Date): Promise<void>;
  /** ISO instant, or null when no webhook of the group was ever accepted. */
  lastAccepted(groupId: number): Promise<string | null>;
}

export function dynamoWebhookActivity(tableName: string, minIntervalMs = 5 * 60_000): WebhookActivityStore {
  const written = new Map<number, number>();
  return {
    async noteAccepted(groupId, at) {
      const last = written.get(groupId);
      if (last !== undefined && at.getTime() - last < minIntervalMs) return;
      await dynamo().send(
        new PutCommand({ TableName: tableName, Item: { ...webhookActivityKey(groupId), kind: 'webhook-activity', groupId, lastAcceptedAt: at.toISOString() } }),
      );
      written.set(groupId, at.getTime());
    },
    async lastAccepted(groupId) {
      const out = await dynamo().send(new GetCommand({ TableName: tableName, Key: webhookActivityKey(groupId) }));
      return typeof out.Item?.lastAcceptedAt === 'string' ? out.Item.lastAcceptedAt : null;
    },
  };
}
