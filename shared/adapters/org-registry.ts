import { type BatchGetCommandOutput, type QueryCommandOutput, BatchGetCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import { canonicalOrgId, orgSchema, type Org } from '../org.ts';
import { orgHealthKey } from './org-pauses.ts';
import { healthKeys } from './org-health-store.ts';
import type { GroupRecord, OrgRegistry } from '../org-admin-ports.ts';

/**
 * The orgs table (single-table): ORG#{orgId}/ORG holds the org, GROUP#{groupId}/GROUP marks a
 * group we accept webhooks for, GROUP#{groupId}/ORG#{orgId} pairs them so the processor can
 * find every org of a group with one query.
 */
export const orgKeys = {
  org: (orgId: string) => ({ pk: `ORG#${orgId}`, sk: 'ORG' }),
  group: (groupId: number) => ({ pk: `GROUP#${groupId}`, sk: 'GROUP' }),
  pairing: (groupId: number, orgId: string) => ({ pk: `GROUP#${groupId}`, sk: `ORG#${orgId}` }),
};

function stripKeys<T extends Record<string, unknown>>(item: T): Omit<T, 'pk' | 'sk'> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}

function parseOrg(item: Record<string, unknown>): Org {
  const { kind: _kind, ...rest } = stripKeys(item);
  return orgSchema.parse(rest);
}

const ORG_INDEX_PK = 'ORGS';
const GROUP_INDEX_PK = 'GROUPS';

export function dynamoOrgRegistry(tableName: string): OrgRegistry {
  const db = () => dynamo();
  const batchGetOrgs = async (orgIds: string[]): Promise<Org[]> => {
    const orgs: Org[] = [];
    for (let i = 0; i < orgIds.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = orgIds.slice(i, i + 100).map((id) => orgKeys.org(id));
      while (keys && keys.length > 0) {
        const out: BatchGetCommandOutput = await db().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
        for (const item of out.Responses?.[tableName] ?? []) orgs.push(parseOrg(item));
        keys = out.UnprocessedKeys?.[tableName]?.Keys;
      }
    }
    return orgs.sort((a, b) => a.orgId.localeCompare(b.orgId));
  };
  const queryOrgIds = async (pk: string): Promise<string[]> => {
    const orgIds: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await db().send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :org)',
          ExpressionAttributeValues: { ':pk': pk, ':org': 'ORG#' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) orgIds.push(String(item.orgId));
      start = out.LastEvaluatedKey;
    } while (start);
    return orgIds;
  };
  return {
    async getGroup(groupId) {
      const out = await db().send(new GetCommand({ TableName: tableName, Key: orgKeys.group(groupId) }));
      return out.Item ? ({ groupId: Number(out.Item.groupId), createdAt: String(out.Item.createdAt) }) : null;
    },
    async putGroup(groupId) {
      await db()
        .send(
          new PutCommand({
            TableName: tableName,
            Item: { ...orgKeys.group(groupId), kind: 'group', groupId, createdAt: new Date().toISOString() },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        .catch((error: { name?: string }) => {
          if (error.name !== 'ConditionalCheckFailedException') throw error;
        });
      // Idempotent: also indexes a group registered before the index existed when it is added again.
      await db().send(new PutCommand({ TableName: tableName, Item: { pk: GROUP_INDEX_PK, sk: `GROUP#${groupId}`, kind: 'group-index', groupId } }));
    },
    async listGroups() {
      const ids = new Set<number>();
      let start: Record<string, unknown> | undefined;
      do {
        const out: QueryCommandOutput = await db().send(
          new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': GROUP_INDEX_PK }, ExclusiveStartKey: start }),
        );
        for (const item of out.Items ?? []) ids.add(Number(item.groupId));
        start = out.LastEvaluatedKey;
      } while (start);
      for (const org of await batchGetOrgs(await queryOrgIds(ORG_INDEX_PK))) for (const g of org.groups) ids.add(g);
      const groups: GroupRecord[] = [];
      for (const groupId of [...ids].sort((a, b) => a - b)) {
        const out = await db().send(new GetCommand({ TableName: tableName, Key: orgKeys.group(groupId) }));
        if (out.Item) groups.push({ groupId, createdAt: String(out.Item.createdAt) });
      }
      return groups;
    },
    async deleteGroup(groupId) {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: tableName, Key: orgKeys.group(groupId) } },
            { Delete: { TableName: tableName, Key: { pk: GROUP_INDEX_PK, sk: `GROUP#${groupId}` } } },
          ],
        }),
      );
    },
    async getOrg(orgId) {
      // Either form of the id finds the org: it is stored under the 18-character form.
      const out = await db().send(new GetCommand({ TableName: tableName, Key: orgKeys.org(canonicalOrgId(orgId) ?? orgId) }));
      return out.Item ? parseOrg(out.Item) : null;
    },
    async saveOrg(org, previous) {
      const before = new Set(previous?.groups ?? []);
      const after = new Set(org.groups);
      const condition = previous
        ? { ConditionExpression: 'updatedAt = :prev', ExpressionAttributeValues: { ':prev': previous.updatedAt } }
        : { ConditionExpression: 'attribute_not_exists(pk)' };
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: { ...orgKeys.org(org.orgId), kind: 'org', ...org }, ...condition } },
            { Put: { TableName: tableName, Item: { pk: ORG_INDEX_PK, sk: `ORG#${org.orgId}`, kind: 'org-index', orgId: org.orgId } } },
            ...[...after]
              .filter((g) => !before.has(g))
              .map((groupId) => ({
                Put: { TableName: tableName, Item: { ...orgKeys.pairing(groupId, org.orgId), kind: 'pairing', orgId: org.orgId, groupId } },
              })),
            ...[...before]
              .filter((g) => !after.has(g))
              .map((groupId) => ({ Delete: { TableName: tableName, Key: orgKeys.pairing(groupId, org.orgId) } })),
          ],
        }),
      );
    },
    async deleteOrg(org) {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: tableName, Key: orgKeys.org(org.orgId) } },
            { Delete: { TableName: tableName, Key: { pk: ORG_INDEX_PK, sk: `ORG#${org.orgId}` } } },
            // The sync watermark, lease and pause go too: an org registered again starts afresh.
            // Its Sync History stays, for the record.
            ...['SYNC', 'LEASE'].map((sk) => ({ Delete: { TableName: tableName, Key: { pk: `ORG#${org.orgId}`, sk } } })),
            // Its health too (breaker state, login state, last error): it says nothing about the next registration.
            { Delete: { TableName: tableName, Key: orgHealthKey(org.orgId) } },
            ...healthKeys.all(org.orgId).map((Key) => ({ Delete: { TableName: tableName, Key } })),
            ...org.groups.map((groupId) => ({ Delete: { TableName: tableName, Key: orgKeys.pairing(groupId, org.orgId) } })),
          ],
        }),
      );
    },
    async listOrgs() {
      return batchGetOrgs(await queryOrgIds(ORG_INDEX_PK));
    },
    async orgsForGroup(groupId) {
      return batchGetOrgs(await queryOrgIds(`GROUP#${groupId}`));
    },
  };
}
