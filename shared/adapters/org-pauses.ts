import { BatchGetCommand, type BatchGetCommandOutput, DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { OrgPause, OrgPauses } from '../processing/session-processing.ts';

export interface OrgPausesOptions {
  /**
   * Told once when a pause is found over: the first reader to see it expired deletes it (on the
   * condition that it is still that pause) and only that reader is told, so "resumed" is said once.
   */
  onResumed?(orgId: string, pause: OrgPause): Promise<void>;
}

export function dynamoOrgPauses(tableName: string, now: () => number = Date.now, options: OrgPausesOptions = {}): OrgPauses {
  const endPause = async (orgId: string, pause: OrgPause) => {
    try {
      await dynamo().send(
        new DeleteCommand({
          TableName: tableName,
          Key: { pk: `ORG#${orgId}`, sk: 'PAUSE' },
          ConditionExpression: '#until = :until',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':until': pause.until },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return; // another reader ended it, or a new pause began
      throw error;
    }
    await options.onResumed?.(orgId, pause);
  };
  return {
    async pausedOrgs(orgIds) {
      const result = new Map<string, OrgPause>();
      const unique = [...new Set(orgIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => ({ pk: `ORG#${id}`, sk: 'PAUSE' }));
        while (keys && keys.length) {
          const out: BatchGetCommandOutput = await dynamo().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
          for (const item of out.Responses?.[tableName] ?? []) {
            const orgId = String(item.pk).slice(4);
            const pause = { until: String(item.until), reason: String(item.reason) };
            if (Date.parse(pause.until) > now()) result.set(orgId, pause);
            else if (options.onResumed) await endPause(orgId, pause);
          }
          keys = out.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return result;
    },
    async pause(orgId, pause) {
      await dynamo().send(new PutCommand({ TableName: tableName, Item: { pk: `ORG#${orgId}`, sk: 'PAUSE', kind: 'pause', ...pause } }));
    },
  };
}
