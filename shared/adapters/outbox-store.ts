import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { OutboxEntry, OutboxPut, OutboxState, OutboxStore } from '../processing/outbox.ts';
import { sessionEventSchema } from '../session.ts';

/** The sparse index of due outboxes: only META items of orgs with waiting entries carry `dueShard`. */
export const OUTBOX_DUE_INDEX = 'due';
const DUE_SHARD = 'DUE';
const META = 'META';
const ENTRY = 'S#';
/** The org's Chatter pool: posts waiting for their batch call (META's chatterOpenSince says a flush is scheduled). */
const CHATTER = 'C#';

const orgPk = (orgId: string) => `OUTBOX#${orgId}`;
const entryKey = (orgId: string, sessionId: string) => ({ pk: orgPk(orgId), sk: `${ENTRY}${sessionId}` });
const metaKey = (orgId: string) => ({ pk: orgPk(orgId), sk: META });
const chatterKey = (orgId: string, sessionId: string) => ({ pk: orgPk(orgId), sk: `${CHATTER}${sessionId}` });
const isConditionFailure = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';
const ignoreConditionFailure = (error: unknown) => {
  if (!isConditionFailure(error)) throw error;
};

function stateOf(item: Record<string, unknown> | undefined): OutboxState {
  return { pending: Math.max(0, Number(item?.pending ?? 0)), dueAt: item?.dueAt === undefined ? null : Number(item.dueAt) };
}

function entryOf(orgId: string, item: Record<string, unknown>): OutboxEntry {
  return {
    orgId,
    sessionId: String(item.sessionId),
    event: sessionEventSchema.parse(JSON.parse(String(item.event))),
    occurredAt: String(item.occurredAt),
    launchedHere: Boolean(item.launchedHere),
    routeReason: String(item.routeReason ?? ''),
    ...(typeof item.reachedLive === 'boolean' ? { reachedLive: item.reachedLive } : {}),
    enqueuedAt: Number(item.enqueuedAt),
    attempts: Number(item.attempts ?? 0),
  };
}

/**
 * The outbox in DynamoDB (table: pk + sk, sparse GSI `due` on dueShard + dueAt). Entry writes are
 * single-item conditional writes issued concurrently: BatchWriteItem cannot carry the version
 * condition, and a transaction would tie unrelated sessions' fates together.
 */
export function dynamoOutboxStore(tableName: string, now: () => number = Date.now): OutboxStore {
  const db = () => dynamo();

  async function queryAll(input: ConstructorParameters<typeof QueryCommand>[0], limit: number): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out: QueryCommandOutput = await db().send(new QueryCommand({ ...input, ExclusiveStartKey: start, Limit: Math.min(limit - items.length, 1000) }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }

  async function putEntry(entry: OutboxEntry): Promise<OutboxPut> {
    try {
      const out = await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: entryKey(entry.orgId, entry.sessionId),
          UpdateExpression:
            'SET sessionId = :sid, occurredAt = :at, #event = :event, launchedHere = :here, routeReason = :why, reachedLive = :live, enqueuedAt = if_not_exists(enqueuedAt, :now), attempts = :zero',
          ConditionExpression: 'attribute_not_exists(occurredAt) OR occurredAt <= :at',
          ExpressionAttributeNames: { '#event': 'event' },
          ExpressionAttributeValues: {
            ':sid': entry.sessionId,
            ':at': entry.occurredAt,
            ':event': JSON.stringify(entry.event),
            ':here': entry.launchedHere,
            ':why': entry.routeReason,
            ':live': entry.reachedLive ?? null,
            ':now': entry.enqueuedAt,
            ':zero': 0,
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      if (out.Attributes?.occurredAt === undefined) return { status: 'new' };
      const old = out.Attributes.event === undefined ? null : sessionEventSchema.safeParse(JSON.parse(String(out.Attributes.event)));
      return { status: 'replaced', replaced: old?.success ? old.data : null };
    } catch (error) {
      ignoreConditionFailure(error);
      return { status: 'older' };
    }
  }

  async function addPending(orgId: string, delta: number, dueAt: number | null): Promise<OutboxState> {
    const out = await db().send(
      new UpdateCommand({
        TableName: tableName,
        Key: metaKey(orgId),
        UpdateExpression: `ADD pending :n SET orgId = :org${dueAt === null ? '' : ', dueAt = if_not_exists(dueAt, :due), dueShard = :shard'}`,
        ExpressionAttributeValues: { ':n': delta, ':org': orgId, ...(dueAt === null ? {} : { ':due': dueAt, ':shard': DUE_SHARD }) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return stateOf(out.Attributes);
  }

  /** Sets chatterOpenSince unless set: true when this call opened the pool. */
  async function openChatter(orgId: string): Promise<boolean> {
    try {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: metaKey(orgId),
          UpdateExpression: 'SET chatterOpenSince = :now, orgId = :org',
          ConditionExpression: 'attribute_not_exists(chatterOpenSince)',
          ExpressionAttributeValues: { ':now': now(), ':org': orgId },
        }),
      );
      return true;
    } catch (error) {
      ignoreConditionFailure(error);
      return false;
    }
  }

  return {
    async putChatter(orgId, entries) {
      await Promise.all(
        entries.map((e) =>
          db().send(
            new PutCommand({
              TableName: tableName,
              Item: {
                ...chatterKey(orgId, e.sessionId),
                sessionId: e.sessionId,
                occurredAt: e.occurredAt,
                event: JSON.stringify(e.event),
                launchedHere: e.launchedHere,
                routeReason: e.routeReason,
                reachedLive: e.reachedLive ?? null,
                enqueuedAt: e.enqueuedAt,
              },
            }),
          ),
        ),
      );
      // After the posts: a flush that closed the pool meanwhile is followed by this opening.
      return openChatter(orgId);
    },
    openChatter,
    async takeChatter(orgId, limit) {
      await db().send(new UpdateCommand({ TableName: tableName, Key: metaKey(orgId), UpdateExpression: 'REMOVE chatterOpenSince' }));
      const items = await queryAll(
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chatter)',
          ExpressionAttributeValues: { ':pk': orgPk(orgId), ':chatter': CHATTER },
          ConsistentRead: true,
        },
        limit,
      );
      return items.map((item) => entryOf(orgId, item));
    },
    async removeChatter(orgId, done) {
      await Promise.all(done.map((e) => db().send(new DeleteCommand({ TableName: tableName, Key: chatterKey(orgId, e.sessionId) }))));
    },
    async put(orgId, entries, recordBudgetMs) {
      const results = await Promise.all(entries.map((e) => putEntry(e)));
      const added = results.filter((r) => r.status === 'new').length;
      const oldest = Math.min(...entries.map((e) => e.enqueuedAt));
      // Always after the entry writes: a flusher that found no entries and cleared the due time
      // is then followed by this update, which makes the org due again.
      return { ...(await addPending(orgId, added, entries.length ? oldest + recordBudgetMs : null)), puts: results };
    },
    async list(orgId, limit) {
      const items = await queryAll(
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :entry)',
          ExpressionAttributeValues: { ':pk': orgPk(orgId), ':entry': ENTRY },
          ConsistentRead: true,
        },
        limit,
      );
      return items.map((item) => entryOf(orgId, item));
    },
    async remove(orgId, flushed) {
      const removed = await Promise.all(
        flushed.map((e) =>
          db()
            .send(
              new DeleteCommand({
                TableName: tableName,
                Key: entryKey(orgId, e.sessionId),
                ConditionExpression: 'occurredAt = :at',
                ExpressionAttributeValues: { ':at': e.occurredAt },
              }),
            )
            .then(
              () => 1,
              (error: unknown) => {
                ignoreConditionFailure(error);
                return 0;
              },
            ),
        ),
      );
      const count = removed.reduce<number>((a, b) => a + b, 0);
      if (count) await addPending(orgId, -count, null);
      return count;
    },
    async countAttempt(orgId, entry) {
      await db()
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: entryKey(orgId, entry.sessionId),
            UpdateExpression: 'SET attempts = :n',
            ConditionExpression: 'occurredAt = :at',
            ExpressionAttributeValues: { ':n': entry.attempts + 1, ':at': entry.occurredAt },
          }),
        )
        .catch(ignoreConditionFailure);
    },
    async reschedule(orgId, recordBudgetMs, notBefore) {
      const meta = await db().send(new GetCommand({ TableName: tableName, Key: metaKey(orgId), ConsistentRead: true }));
      const seen = meta.Item?.pending ?? 0;
      const left = await queryAll(
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :entry)',
          ExpressionAttributeValues: { ':pk': orgPk(orgId), ':entry': ENTRY },
          ProjectionExpression: 'enqueuedAt',
          ConsistentRead: true,
        },
        Number.MAX_SAFE_INTEGER,
      );
      if (left.length === 0) {
        // Conditional on the count read before the query: a put that landed since changed it and
        // keeps the org due. Also heals a count left off by a crash.
        try {
          const out = await db().send(
            new UpdateCommand({
              TableName: tableName,
              Key: metaKey(orgId),
              UpdateExpression: 'SET pending = :zero REMOVE dueAt, dueShard',
              ConditionExpression: meta.Item ? 'pending = :seen' : 'attribute_not_exists(pending)',
              ExpressionAttributeValues: { ':zero': 0, ...(meta.Item ? { ':seen': seen } : {}) },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return stateOf(out.Attributes);
        } catch (error) {
          ignoreConditionFailure(error);
          return stateOf((await db().send(new GetCommand({ TableName: tableName, Key: metaKey(orgId), ConsistentRead: true }))).Item);
        }
      }
      const oldest = Math.min(...left.map((i) => Number(i.enqueuedAt)));
      const dueAt = Math.max(oldest + recordBudgetMs, notBefore ?? 0);
      const out = await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: metaKey(orgId),
          UpdateExpression: 'SET dueAt = :due, dueShard = :shard, orgId = :org, pending = :count',
          ExpressionAttributeValues: { ':due': dueAt, ':shard': DUE_SHARD, ':org': orgId, ':count': left.length },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return stateOf(out.Attributes);
    },
    async acquireLease(orgId, leaseMs) {
      const token = randomUUID();
      try {
        await db().send(
          new UpdateCommand({
            TableName: tableName,
            Key: metaKey(orgId),
            UpdateExpression: 'SET leaseUntil = :until, leaseToken = :token, orgId = :org',
            ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
            ExpressionAttributeValues: { ':until': now() + leaseMs, ':token': token, ':now': now(), ':org': orgId },
          }),
        );
        return token;
      } catch (error) {
        ignoreConditionFailure(error);
        return null;
      }
    },
    async releaseLease(orgId, token) {
      await db()
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: metaKey(orgId),
            UpdateExpression: 'REMOVE leaseUntil, leaseToken',
            ConditionExpression: 'leaseToken = :token',
            ExpressionAttributeValues: { ':token': token },
          }),
        )
        .catch(ignoreConditionFailure);
    },
    async dueOrgs(at, limit) {
      const items = await queryAll(
        {
          TableName: tableName,
          IndexName: OUTBOX_DUE_INDEX,
          KeyConditionExpression: 'dueShard = :shard AND dueAt <= :now',
          ExpressionAttributeValues: { ':shard': DUE_SHARD, ':now': at },
        },
        limit,
      );
      return items.map((i) => String(i.orgId));
    },
  };
}
