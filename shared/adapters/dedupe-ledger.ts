import { BatchGetCommand, type BatchGetCommandOutput, DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';

export type ClaimResult = 'claimed' | 'done' | 'busy';

/**
 * Idempotency records in the dedupe table. An event is claimed with a lease before it is
 * processed and marked done after; a crashed attempt's lease runs out, so the redelivery can
 * claim it again, while a finished event is never processed twice.
 */
export interface DedupeLedger {
  claimEvent(eventId: string, leaseMs: number): Promise<ClaimResult>;
  completeEvent(eventId: string): Promise<void>;
  releaseEvent(eventId: string): Promise<void>;
  /** When each session's newest applied event happened, so an older, late event cannot overwrite it. */
  lastApplied(sessionIds: string[]): Promise<Map<string, string>>;
  markApplied(sessionId: string, occurredAt: string): Promise<void>;
}

const EVENT_RETENTION_SECONDS = 14 * 24 * 3600; // longer than any queue or DLQ keeps a message
const SESSION_RETENTION_SECONDS = 90 * 24 * 3600;

const eventKey = (eventId: string) => ({ pk: `EVENT#${eventId}` });
const sessionKey = (sessionId: string) => ({ pk: `SESSION#${sessionId}` });
const isConditionFailure = (error: unknown) =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

export function dynamoDedupeLedger(tableName: string, now: () => number = Date.now): DedupeLedger {
  const db = () => dynamo();
  const expiresAt = (seconds: number) => Math.floor(now() / 1000) + seconds;
  return {
    async claimEvent(eventId, leaseMs) {
      try {
        await db().send(
          new PutCommand({
            TableName: tableName,
            Item: { ...eventKey(eventId), status: 'in_progress', leaseUntil: now() + leaseMs, expiresAt: expiresAt(EVENT_RETENTION_SECONDS) },
            ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now() },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return 'claimed';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = (error as { Item?: Record<string, { S?: string }> }).Item;
        return old?.status?.S === 'done' ? 'done' : 'busy';
      }
    },
    async completeEvent(eventId) {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: eventKey(eventId),
          UpdateExpression: 'SET #status = :done, completedAt = :at, expiresAt = :exp REMOVE leaseUntil',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':done': 'done', ':at': new Date(now()).toISOString(), ':exp': expiresAt(EVENT_RETENTION_SECONDS) },
        }),
      );
    },
    async releaseEvent(eventId) {
      await db().send(
        new DeleteCommand({
          TableName: tableName,
          Key: eventKey(eventId),
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress' },
        }),
      ).catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
    },
    async lastApplied(sessionIds) {
      const result = new Map<string, string>();
      const unique = [...new Set(sessionIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map(sessionKey);
        while (keys && keys.length > 0) {
          const out: BatchGetCommandOutput = await db().send(
            new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ProjectionExpression: 'pk, occurredAt' } } }),
          );
          for (const item of out.Responses?.[tableName] ?? []) {
            result.set(String(item.pk).slice('SESSION#'.length), String(item.occurredAt));
          }
          keys = out.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return result;
    },
    async markApplied(sessionId, occurredAt) {
      await db().send(
        new UpdateCommand({
          TableName: tableName,
          Key: sessionKey(sessionId),
          UpdateExpression: 'SET occurredAt = :at, expiresAt = :exp',
          ConditionExpression: 'attribute_not_exists(occurredAt) OR occurredAt <= :at',
          ExpressionAttributeValues: { ':at': occurredAt, ':exp': expiresAt(SESSION_RETENTION_SECONDS) },
        }),
      ).catch((error) => {
        if (!isConditionFailure(error)) throw error;
      });
    },
  };
}
