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

export function dynamoDedupeLedger(tableName: string, now: () => number = Date.now): DedupeLedger {
  const db = () => dynamo();
  const expiresAt = (seconds: number) => Math.floor(now() / 1000) + seconds;

  async function claim(key: { pk: string }, leaseMs: number, retentionSeconds: number): Promise<{ result: ClaimResult; recovered: boolean }> {
    try {
      const out = await db().send(
        new PutCommand({
          TableName: tableName,
          Item: { ...key, status: 'in_progress', leaseUntil: now() + leaseMs, expiresAt: expiresAt(retentionSeconds) },
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now() },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { result: 'claimed', recovered: out.Attributes !== undefined };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = await db().send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      return { result: current.Item?.status === 'done' ? 'done' : 'busy', recovered: false };
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
    async lockSession(sessionId, leaseMs) {
      try {
        const out = await db().send(
          new UpdateCommand({
            TableName: tableName,
            Key: sessionKey(sessionId),
            UpdateExpression: 'SET lockedUntil = :until, expiresAt = if_not_exists(expiresAt, :exp)',
            ConditionExpression: 'attribute_not_exists(lockedUntil) OR lockedUntil < :now',
            ExpressionAttributeValues: { ':until': now() + leaseMs, ':now': now(), ':exp': expiresAt(SESSION_RETENTION_SECONDS) },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { locked: true, lastApplied: out.Attributes?.occurredAt ? String(out.Attributes.occurredAt) : null };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        return { locked: false, lastApplied: null };
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
