import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { SyncCursor } from '../sync/sync-cursor.ts';
import type { LeaseHolder, SyncHistory, SyncRun, SyncRunStatus, SyncTrigger } from '../sync/sync-history.ts';

/**
 * Items on the orgs table, beside the org's own item (which admin code writes with optimistic
 * locking, so sync state stays out of it): `RUN#{requestedAt}#{runId}` per run, sorting by
 * time; `LEASE` while a run holds the org; `SYNC` for the watermarks.
 */
export const syncKeys = {
  run: (orgId: string, requestedAt: string, runId: string) => ({ pk: `ORG#${orgId}`, sk: `RUN#${requestedAt}#${runId}` }),
  lease: (orgId: string) => ({ pk: `ORG#${orgId}`, sk: 'LEASE' }),
  cursor: (orgId: string) => ({ pk: `ORG#${orgId}`, sk: 'SYNC' }),
};

const isConditionFailure = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';

function toRun(item: Record<string, unknown>): SyncRun {
  const counts = (item.counts ?? {}) as Partial<SyncRun['counts']>;
  return {
    orgId: String(item.orgId),
    runId: String(item.runId),
    trigger: item.trigger as SyncTrigger,
    status: item.status as SyncRunStatus,
    requestedAt: String(item.requestedAt),
    startedAt: (item.startedAt as string | null | undefined) ?? null,
    endedAt: (item.endedAt as string | null | undefined) ?? null,
    counts: { fetched: Number(counts.fetched ?? 0), queued: Number(counts.queued ?? 0), alreadyKnown: Number(counts.alreadyKnown ?? 0), failed: Number(counts.failed ?? 0) },
    error: (item.error as string | null | undefined) ?? null,
    watermarkBefore: (item.watermarkBefore as string | null | undefined) ?? null,
    watermarkAfter: (item.watermarkAfter as string | null | undefined) ?? null,
  };
}

function toHolder(item: Record<string, unknown>): LeaseHolder {
  return { runId: String(item.runId), trigger: item.trigger as SyncTrigger, acquiredAt: String(item.acquiredAt), leaseUntil: String(item.leaseUntil) };
}

/** A failed condition hands back the item in DynamoDB's wire form; the lease holds strings only. */
function fromWire(item: Record<string, { S?: string }> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item ?? {}).map(([key, value]) => [key, value.S]));
}

export function dynamoSyncHistory(tableName: string): SyncHistory {
  const db = () => dynamo();
  const runItem = (run: SyncRun) => ({ ...syncKeys.run(run.orgId, run.requestedAt, run.runId), kind: 'sync-run', ...run });
  const cursorItem = (orgId: string, cursor: SyncCursor, runId: string, at: string) => ({
    ...syncKeys.cursor(orgId),
    kind: 'sync-cursor',
    groups: cursor.groups,
    updatedAt: at,
    updatedByRun: runId,
  });

  return {
    async createRun(run) {
      try {
        await db().send(new PutCommand({ TableName: tableName, Item: runItem(run), ConditionExpression: 'attribute_not_exists(pk)' }));
        return run;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const out = await db().send(
          new GetCommand({ TableName: tableName, Key: syncKeys.run(run.orgId, run.requestedAt, run.runId), ConsistentRead: true }),
        );
        return out.Item ? toRun(out.Item) : run;
      }
    },
    async getRun(orgId, runId) {
      // Run keys start with the request time, which a message does not carry; the run asked
      // about is almost always among the newest, so newest-first finds it on the first page.
      let start: Record<string, unknown> | undefined;
      do {
        const out: QueryCommandOutput = await db().send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
            FilterExpression: 'runId = :runId',
            ExpressionAttributeValues: { ':pk': `ORG#${orgId}`, ':run': 'RUN#', ':runId': runId },
            ScanIndexForward: false,
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        const item = out.Items?.[0];
        if (item) return toRun(item);
        start = out.LastEvaluatedKey;
      } while (start);
      return null;
    },
    async saveRun(run) {
      await db().send(new PutCommand({ TableName: tableName, Item: runItem(run) }));
    },
    async listRuns(orgId, limit = 20) {
      const out = await db().send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
          ExpressionAttributeValues: { ':pk': `ORG#${orgId}`, ':run': 'RUN#' },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map(toRun);
    },
    async acquireLease(orgId, holder, leaseMs, now) {
      const until = now.getTime() + leaseMs;
      try {
        const out = await db().send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...syncKeys.lease(orgId),
              kind: 'sync-lease',
              runId: holder.runId,
              trigger: holder.trigger,
              acquiredAt: now.toISOString(),
              leaseUntil: new Date(until).toISOString(),
              leaseUntilMs: until,
            },
            // A holder that died keeps the org only until its lease runs out.
            ConditionExpression: 'attribute_not_exists(pk) OR leaseUntilMs < :now',
            ExpressionAttributeValues: { ':now': now.getTime() },
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { acquired: true, previous: out.Attributes ? toHolder(out.Attributes) : null };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = fromWire((error as { Item?: Record<string, { S?: string }> }).Item);
        if (old.runId) return { acquired: false, holder: toHolder(old) };
        const out = await db().send(new GetCommand({ TableName: tableName, Key: syncKeys.lease(orgId), ConsistentRead: true }));
        return { acquired: false, holder: toHolder(out.Item ?? {}) };
      }
    },
    async releaseLease(orgId, runId) {
      await db()
        .send(
          new DeleteCommand({
            TableName: tableName,
            Key: syncKeys.lease(orgId),
            ConditionExpression: 'runId = :runId',
            ExpressionAttributeValues: { ':runId': runId },
          }),
        )
        .catch((error) => {
          // Someone else took over an expired lease: theirs now, not ours to delete.
          if (!isConditionFailure(error)) throw error;
        });
    },
    async currentLease(orgId, now) {
      const out = await db().send(new GetCommand({ TableName: tableName, Key: syncKeys.lease(orgId), ConsistentRead: true }));
      if (!out.Item || Number(out.Item.leaseUntilMs) < now.getTime()) return null;
      return toHolder(out.Item);
    },
    async readCursor(orgId) {
      const out = await db().send(new GetCommand({ TableName: tableName, Key: syncKeys.cursor(orgId), ConsistentRead: true }));
      return out.Item ? { groups: (out.Item.groups ?? {}) as SyncCursor['groups'] } : null;
    },
    async saveProgress(run, cursor) {
      await db().send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: runItem(run) } },
            { Put: { TableName: tableName, Item: cursorItem(run.orgId, cursor, run.runId, new Date().toISOString()) } },
          ],
        }),
      );
    },
  };
}
