import { BatchGetCommand, type BatchGetCommandOutput, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { OrgPause, OrgPauses } from '../processing/session-processing.ts';

export function dynamoOrgPauses(tableName: string, now: () => number = Date.now): OrgPauses {
  return {
    async pausedOrgs(orgIds) {
      const result = new Map<string, OrgPause>();
      const unique = [...new Set(orgIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => ({ pk: `ORG#${id}`, sk: 'PAUSE' }));
        while (keys && keys.length) {
          const out: BatchGetCommandOutput = await dynamo().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
          for (const item of out.Responses?.[tableName] ?? []) {
            if (Date.parse(String(item.until)) > now()) {
              result.set(String(item.pk).slice(4), { until: String(item.until), reason: String(item.reason) });
            }
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
