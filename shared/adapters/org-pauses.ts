import { BatchGetCommand, type BatchGetCommandOutput, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { OrgPause, OrgPauses } from '../processing/session-processing.ts';

/**
 * Where an org's pause lives: HEALTH#{orgId}/PAUSE, a partition of its own rather than beside the
 * org item (ORG#{orgId}/ORG, which admins write with optimistic locking), so the processor's IAM
 * grant can be limited to HEALTH#* partitions (dynamodb:LeadingKeys) and can never overwrite an org.
 */
export const ORG_HEALTH_PREFIX = 'HEALTH#';
export const orgHealthKey = (orgId: string) => ({ pk: `${ORG_HEALTH_PREFIX}${orgId}`, sk: 'PAUSE' });

export function dynamoOrgPauses(tableName: string, now: () => number = Date.now): OrgPauses {
  return {
    async pausedOrgs(orgIds) {
      const result = new Map<string, OrgPause>();
      const unique = [...new Set(orgIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => orgHealthKey(id));
        while (keys && keys.length) {
          const out: BatchGetCommandOutput = await dynamo().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
          for (const item of out.Responses?.[tableName] ?? []) {
            if (Date.parse(String(item.until)) > now()) {
              result.set(String(item.pk).slice(ORG_HEALTH_PREFIX.length), { until: String(item.until), reason: String(item.reason) });
            }
          }
          keys = out.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return result;
    },
    async pause(orgId, pause) {
      await dynamo().send(new PutCommand({ TableName: tableName, Item: { ...orgHealthKey(orgId), kind: 'pause', ...pause } }));
    },
  };
}
