import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { ClaimResult, DedupeLedger } from '../processing/ledger.ts';

const EVENT_RETENTION_SECONDS = 14 * 24 * 3600; // longer than any queue or DLQ keeps a message
const SESSION_RETENTION_SECONDS = 90 * 24 * 3600;
// A Chatter post must never repeat, however late a redelivery or redrive comes.
const EFFECT_RETENTION_SECONDS = 400 * 24 * 3600;

const eventKey = (eventId: string) => ({ pk: `EVENT#${eventId}` });
const sessionKey = (sessionId: string) => ({ pk: `SESSION#${sessionId}` });
const isConditionFailure = (error: unknown) =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

/**
 * DynamoDB TTL deletes expired items up to about 48 hours late
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), so every
 * read and condition here treats an item past its `expiresAt` as gone, as if TTL had been on time.
 */
export function dynamoDedupeLedger(tableName: string, now: () => number = Date.now): DedupeLedger {
  const db = () => dynamo();
  const nowSeconds = () => Math.floor(now() / 1000);
  const expiresAt = (seconds: number) => nowSeconds() + seconds;
  const live = (item: Record<string, unknown> | undefined): item is Record<string, unknown> =>
    item !== undefined && (typeof item.expiresAt !== 'number' || item.expiresAt > nowSeconds());

  async function claim(key: { pk: string }, leaseMs: number, retentionSeconds: number): Promise<{ result: ClaimResult; recovered: boolean; leaseUntil?: number }> {
    try {
      const out = await db().send(
        new PutCommand({
          TableName: tableName,
          Item: { ...key, status: 'in_progress', leaseUntil: now() + leaseMs, expiresAt: expiresAt(retentionSeconds) },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds OR (#status = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now(), ':nowSeconds': nowSeconds() },
          ReturnValues: 'ALL_OLD',
        }),
      );
      // An expired record is no earlier attempt: nothing to recover from.
      return { result: 'claimed', recovered: live(out.Attributes) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await db().send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      if (live(current.Item) && current.Item.status === 'done') return { result: 'done', recovered: false };
      const leaseUntil = Number(current.Item?.leaseUntil);
      return { result: 'busy', recovered: false, ...(Number.isFinite(leaseUntil) ? { leaseUntil } : {}) };
    }
  }
  async function complete(key: { pk: string }, retentionSeconds: number, detail?: string): Promise<void> {
    await db().send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: `SET #status = :done, completedAt = :at, expiresAt = :exp${detail ? ', detail = :detail' : ''} REMOVE leaseUntil`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':done': 'done',
          ':at': new Date(now()).toISOString(),
          ':exp': expiresAt(retentionSeconds),
          ...(detail ? { ':detail': detail } : {}),
        },
      }),
    );
  }
  async function release(key: { pk: string }): Promise<void> {
    await db()
      .send(
        new DeleteCommand({
          TableName: tableName,
          Key: key,
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress' },
        }),
      )
      .catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  // Unconditional: the lease is the queue's visibility timeout, longer than any invocation, so a
  // holder that is still running has not lost its lock to another writer.
  async function unlock(sessionId: string): Promise<void> {
    await db().send(new UpdateCommand({ TableName: tableName, Key: sessionKey(sessionId), UpdateExpression: 'REMOVE lockedUntil' }));
  }

  return {
    claimEvent: async (eventId, leaseMs) => (await claim(eventKey(eventId), leaseMs, EVENT_RETENTION_SECONDS)).result,
    completeEvent: (eventId) => complete(eventKey(eventId), EVENT_RETENTION_SECONDS),
    releaseEvent: (eventId) => release(eventKey(eventId)),
    claimEffect: (key, leaseMs) => claim({ pk: `EFFECT#${key}` }, leaseMs, EFFECT_RETENTION_SECONDS),
    completeEffect: (key, detail) => complete({ pk: `EFFECT#${key}` }, EFFECT_RETENTION_SECONDS, detail),
    releaseEffect: (key) => release({ pk: `EFFECT#${key}` }),
    async lockSession(sessionId, leaseMs, seen) {
      try {
        const until = now() + leaseMs;
        // The expiry moves forward with every lock, so TTL cannot delete a lock while it is held.
        const out = await db().send(
          new UpdateCommand({
            TableName: tableName,
            Key: sessionKey(sessionId),
            // firstSeen: a live version makes it `live` for good; an ended one only fills it (SessionLock.reachedLive).
            UpdateExpression: `SET lockedUntil = :until, expiresAt = :exp${seen === 'live' ? ', firstSeen = :seen' : seen ? ', firstSeen = if_not_exists(firstSeen, :seen)' : ''}`,
            ConditionExpression: 'attribute_not_exists(lockedUntil) OR lockedUntil < :now OR expiresAt <= :nowSeconds',
            ExpressionAttributeValues: {
              ':until': until,
              ':now': now(),
              ':nowSeconds': nowSeconds(),
              ':exp': expiresAt(SESSION_RETENTION_SECONDS),
              ...(seen ? { ':seen': seen } : {}),
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const old = out.Attributes;
        if (old && !live(old) && (old.occurredAt !== undefined || old.firstSeen !== undefined)) {
          // What an expired record said is forgotten, as TTL would have forgotten it.
          await db().send(
            new UpdateCommand({
              TableName: tableName,
              Key: sessionKey(sessionId),
              UpdateExpression: seen ? 'REMOVE occurredAt SET firstSeen = :seen' : 'REMOVE occurredAt, firstSeen',
              ConditionExpression: 'lockedUntil = :until',
              ExpressionAttributeValues: { ':until': until, ...(seen ? { ':seen': seen } : {}) },
            }),
          );
          return { locked: true, lastApplied: null, reachedLive: seen === 'live' };
        }
        const firstSeen = seen === 'live' ? seen : (old?.firstSeen ?? seen);
        return { locked: true, lastApplied: old?.occurredAt ? String(old.occurredAt) : null, reachedLive: firstSeen === 'live' };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { locked: false, lastApplied: null, reachedLive: false };
      }
    },
    async markApplied(sessionId, occurredAt) {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: sessionKey(sessionId),
          UpdateExpression: 'SET occurredAt = :at, expiresAt = :exp REMOVE lockedUntil',
          ConditionExpression: 'attribute_not_exists(occurredAt) OR occurredAt <= :at',
          ExpressionAttributeValues: { ':at': occurredAt, ':exp': expiresAt(SESSION_RETENTION_SECONDS) },
        }),
      ).catch(async (error) => {
        if (!isConditionFailure(error)) throw error;
        await unlock(sessionId);
      });
    },
    unlockSession: (sessionId) => unlock(sessionId),
  };
}
