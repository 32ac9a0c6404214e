import { BatchGetCommand, type BatchGetCommandOutput, DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import { HEALTH_PREFIX } from './org-health-store.ts';
import type { OrgHealth, OrgPause, OrgPauses, PauseKind } from '../processing/session-processing.ts';
import type { CredentialsPauses } from '../org-admin.ts';

/**
 * Where an org's circuit breaker lives: HEALTH#{orgId}/PAUSE, in the org's health partition beside
 * its login state and last error (org-health-store.ts: LOGIN#salesforce, LOGIN#glance, ERROR),
 * rather than beside the org item (ORG#{orgId}/ORG, which admins write with optimistic locking), so
 * the processor's IAM grant can be limited to HEALTH#* partitions (dynamodb:LeadingKeys).
 */
export const orgHealthKey = (orgId: string) => ({ pk: `${HEALTH_PREFIX}${orgId}`, sk: 'PAUSE' });

const isConditionFailure = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';

function readHealth(item: Record<string, unknown>): OrgHealth {
  const pause: OrgPause | null =
    typeof item.until === 'string'
      ? {
          until: item.until,
          reason: String(item.reason ?? ''),
          ...(typeof item.since === 'string' ? { since: item.since } : {}),
          ...(typeof item.pauseKind === 'string' ? { kind: item.pauseKind as PauseKind } : {}),
          probes: Number(item.probes ?? 0),
        }
      : null;
  return { pause, failures: Number(item.failures ?? 0) };
}

export interface OrgPausesOptions {
  /**
   * Told once when an org's pause ends: the org answered again (its probe or any later write
   * succeeded) and the breaker's HEALTH# item was deleted. Only the invocation whose DeleteItem
   * removed an item that held a pause is told, so "resumed" is said once. A pause that has merely
   * run out is not over: the breaker is half-open until a probe succeeds (circuit-breaker.ts).
   */
  onResumed?(orgId: string, pause: OrgPause): Promise<void>;
}

/** Item shape: until, reason, since, pauseKind, probes (the pause); failures, failingSince, lastError; probeUntil (ms). */
export function dynamoOrgPauses(tableName: string, now: () => number = Date.now, options: OrgPausesOptions = {}): OrgPauses {
  async function health(orgIds: string[]): Promise<Map<string, OrgHealth>> {
    const result = new Map<string, OrgHealth>();
    const unique = [...new Set(orgIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((id) => orgHealthKey(id));
      while (keys && keys.length) {
        const out: BatchGetCommandOutput = await dynamo().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys } } }));
        for (const item of out.Responses?.[tableName] ?? []) result.set(String(item.pk).slice(HEALTH_PREFIX.length), readHealth(item));
        keys = out.UnprocessedKeys?.[tableName]?.Keys;
      }
    }
    return result;
  }
  return {
    health,
    async pausedOrgs(orgIds) {
      const result = new Map<string, OrgPause>();
      for (const [orgId, h] of await health(orgIds)) {
        if (h.pause && Date.parse(h.pause.until) > now()) result.set(orgId, h.pause);
      }
      return result;
    },
    async pause(orgId, pause) {
      const { kind, ...rest } = pause;
      await dynamo().send(
        new PutCommand({
          TableName: tableName,
          Item: { ...orgHealthKey(orgId), kind: 'pause', ...rest, ...(kind ? { pauseKind: kind } : {}), probes: pause.probes ?? 0 },
        }),
      );
    },
    async recordFailure(orgId, reason) {
      const at = new Date(now()).toISOString();
      const out = await dynamo().send(
        new UpdateCommand({
          TableName: tableName,
          Key: orgHealthKey(orgId),
          UpdateExpression: 'ADD failures :one SET failingSince = if_not_exists(failingSince, :at), lastError = :reason, #kind = if_not_exists(#kind, :health)',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':one': 1, ':at': at, ':reason': reason.slice(0, 1000), ':health': 'health' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { failures: Number(out.Attributes?.failures ?? 1), since: String(out.Attributes?.failingSince ?? at) };
    },
    async recover(orgId) {
      const out = await dynamo().send(new DeleteCommand({ TableName: tableName, Key: orgHealthKey(orgId), ReturnValues: 'ALL_OLD' }));
      const ended = out.Attributes ? readHealth(out.Attributes).pause : null;
      if (ended) await options.onResumed?.(orgId, { until: ended.until, reason: ended.reason });
    },
    async claimProbe(orgId, leaseMs) {
      try {
        await dynamo().send(
          new UpdateCommand({
            TableName: tableName,
            Key: orgHealthKey(orgId),
            UpdateExpression: 'SET probeUntil = :lease',
            ConditionExpression: 'attribute_exists(#until) AND #until <= :nowIso AND (attribute_not_exists(probeUntil) OR probeUntil < :now)',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: { ':lease': now() + leaseMs, ':now': now(), ':nowIso': new Date(now()).toISOString() },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}

/**
 * Ends an org's pause for refused credentials (pauseKind 'credentials') at once, as a successful
 * probe would: the admin has just stored credentials that log in. Any other pause (an outage, the
 * API allowance, a setup problem) is left to its probe. Returns the pause ended, or null.
 */
export function dynamoCredentialsPauses(tableName: string): CredentialsPauses {
  return {
    async endCredentialsPause(orgId) {
      try {
        const out = await dynamo().send(
          new DeleteCommand({
            TableName: tableName,
            Key: orgHealthKey(orgId),
            ConditionExpression: 'pauseKind = :credentials',
            ExpressionAttributeValues: { ':credentials': 'credentials' },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return out.Attributes ? readHealth(out.Attributes).pause : null;
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },
  };
}
