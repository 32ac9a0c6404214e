import { BatchGetCommand, BatchWriteCommand, GetCommand, PutCommand, type BatchGetCommandOutput, type BatchWriteCommandInput, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { DescribeCache, KnownLeads } from '../processing/org-caches.ts';

const describeKey = (orgId: string) => ({ pk: `DESCRIBE#${orgId}` });
const leadKey = (orgId: string, email: string) => ({ pk: `KNOWNLEAD#${orgId}#${email}` });

/**
 * Describe results in the dedupe table (DESCRIBE#{orgId}, no expiresAt: kept until replaced), as
 * entry lists. Not in the orgs table: the processor may write only HEALTH# and SYNCRUN# there.
 */
export function dynamoDescribeCache(tableName: string): DescribeCache {
  return {
    async get(orgId) {
      const out = await dynamo().send(new GetCommand({ TableName: tableName, Key: describeKey(orgId) }));
      const item = out.Item;
      if (!item || !item.fetchedAt) return null;
      return {
        fetchedAt: Number(item.fetchedAt),
        shape: {
          objectByKeyPrefix: new Map(JSON.parse(String(item.objectByKeyPrefix)) as Array<[string, string]>),
          lookupFieldByObject: new Map(JSON.parse(String(item.lookupFieldByObject)) as Array<[string, string]>),
          ...(item.sessionFields ? { sessionFields: new Map(JSON.parse(String(item.sessionFields)) as Array<[string, { type: string; length: number }]>) } : {}),
        },
      };
    },
    async put(orgId, shape, fetchedAt) {
      await dynamo().send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...describeKey(orgId),
            kind: 'describe',
            fetchedAt,
            objectByKeyPrefix: JSON.stringify([...shape.objectByKeyPrefix]),
            lookupFieldByObject: JSON.stringify([...shape.lookupFieldByObject]),
            ...(shape.sessionFields ? { sessionFields: JSON.stringify([...shape.sessionFields]) } : {}),
          },
        }),
      );
    },
    // A put, not a delete: the next read finds it stale and describes again.
    async forget(orgId) {
      await dynamo().send(new PutCommand({ TableName: tableName, Item: { ...describeKey(orgId), kind: 'describe', fetchedAt: 0 } }));
    },
  };
}

/** Known Lead emails in the dedupe table (KNOWNLEAD#{orgId}#{email}), expired by its TTL and checked on read. */
export function dynamoKnownLeads(tableName: string): KnownLeads {
  return {
    async known(orgId, emails, now) {
      const found = new Set<string>();
      const unique = [...new Set(emails)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((e) => leadKey(orgId, e));
        while (keys && keys.length) {
          const out: BatchGetCommandOutput = await dynamo().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
          for (const item of out.Responses?.[tableName] ?? []) {
            // TTL deletes lazily: an expired item may still be read.
            if (Number(item.expiresAt) * 1000 > now) found.add(String(item.email));
          }
          keys = out.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return found;
    },
    async remember(orgId, emails, expiresAt) {
      const unique = [...new Set(emails)];
      for (let i = 0; i < unique.length; i += 25) {
        let requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string] | undefined = unique
          .slice(i, i + 25)
          .map((email) => ({ PutRequest: { Item: { ...leadKey(orgId, email), email, expiresAt: Math.floor(expiresAt / 1000) } } }));
        while (requests && requests.length) {
          const out: BatchWriteCommandOutput = await dynamo().send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
          requests = out.UnprocessedItems?.[tableName];
        }
      }
    },
  };
}
