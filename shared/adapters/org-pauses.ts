import { BatchGetCommand, type BatchGetCommandOutput, DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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

/**
 * One item per pause episode (a pause and its failed probes share `since`), HEALTH#{orgId}/
 * PAUSEHIST#{since}, so `orgs show` can list an org's recent pauses, not only the one in force.
 * Kept PAUSE_HISTORY_DAYS (DynamoDB TTL on expiresAt, which may delete up to about 48 hours late,
 * so every read filters by it too) and read PAUSE_HISTORY_SHOWN at most.
 */
export const PAUSE_HISTORY_DAYS = 30;
export const PAUSE_HISTORY_SHOWN = 10;
const HISTORY_PREFIX = 'PAUSEHIST#';
export const pauseHistoryKey = (orgId: string, since: string) => ({ pk: `${HEALTH_PREFIX}${orgId}`, sk: `${HISTORY_PREFIX}${since}` });

/** One past or current pause of an org, as `orgs show` lists it. */
export interface PauseEpisode {
  since: string;
  /** The last pause's end (ISO), extended by each failed probe. */
  until: string;
  reason: string;
  kind?: PauseKind;
  probes: number;
  /** When the org resumed (ISO) and why: its probe succeeded, an admin stored new credentials, or fixed its setup. Absent while paused or never resumed. */
  endedAt?: string;
  endedBy?: 'probe' | 'credentials' | 'setup fixed';
}

const ENDED_BY: ReadonlyArray<unknown> = ['probe', 'credentials', 'setup fixed'] satisfies Array<PauseEpisode['endedBy']>;

async function recordEpisode(tableName: string, orgId: string, pause: OrgPause, nowMs: number): Promise<void> {
  const since = pause.since ?? new Date(nowMs).toISOString();
  await dynamo().send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...pauseHistoryKey(orgId, since),
        kind: 'pause-history',
        since,
        until: pause.until,
        reason: pause.reason.slice(0, 1000),
        ...(pause.kind ? { pauseKind: pause.kind } : {}),
        probes: pause.probes ?? 0,
        expiresAt: Math.floor(nowMs / 1000) + PAUSE_HISTORY_DAYS * 86_400,
      },
    }),
  );
}

async function endEpisode(tableName: string, orgId: string, pause: OrgPause, endedBy: PauseEpisode['endedBy'], nowMs: number): Promise<void> {
  if (!pause.since) return;
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName,
        Key: pauseHistoryKey(orgId, pause.since),
        UpdateExpression: 'SET endedAt = :at, endedBy = :by',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': new Date(nowMs).toISOString(), ':by': endedBy },
      }),
    );
  } catch (error) {
    // An episode recorded before the history existed, or already expired: nothing to close.
    if (!isConditionFailure(error)) throw error;
  }
}

/** The org's recent pauses, newest first, without those past their expiry (TTL deletes late). */
export async function recentPauses(tableName: string, orgId: string, now: () => number = Date.now): Promise<PauseEpisode[]> {
  const out = await dynamo().send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: { ':pk': `${HEALTH_PREFIX}${orgId}`, ':prefix': HISTORY_PREFIX, ':now': Math.floor(now() / 1000) },
      ScanIndexForward: false,
    }),
  );
  return (out.Items ?? []).slice(0, PAUSE_HISTORY_SHOWN).map((item) => ({
    since: String(item.since),
    until: String(item.until),
    reason: String(item.reason ?? ''),
    ...(typeof item.pauseKind === 'string' ? { kind: item.pauseKind as PauseKind } : {}),
    probes: Number(item.probes ?? 0),
    ...(typeof item.endedAt === 'string' ? { endedAt: item.endedAt } : {}),
    ...(ENDED_BY.includes(item.endedBy) ? { endedBy: item.endedBy } : {}),
  }));
}

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
      await recordEpisode(tableName, orgId, pause, now());
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
      if (ended) await endEpisode(tableName, orgId, ended, 'probe', now());
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
 * Ends an org's pause at once when an admin has just fixed its cause, as a successful probe
 * would: a pause for refused credentials (pauseKind 'credentials') when new credentials log in,
 * a setup pause (pauseKind 'setup': the org not as the package declares, or a recordMapping its
 * describe refuses) when a checked recordMapping is saved or `orgs check` finds the org ready.
 * Any other pause (an outage, the API allowance) is left to its probe. If the fix was not the
 * whole cause, the next batch pauses the org again, at the cost of one refused call. Returns the
 * pause ended, or null.
 */
export function dynamoCredentialsPauses(tableName: string, now: () => number = Date.now): CredentialsPauses {
  const endPauseOfKind = async (orgId: string, kind: 'credentials' | 'setup', endedBy: NonNullable<PauseEpisode['endedBy']>): Promise<OrgPause | null> => {
    try {
      const out = await dynamo().send(
        new DeleteCommand({
          TableName: tableName,
          Key: orgHealthKey(orgId),
          ConditionExpression: 'pauseKind = :kind',
          ExpressionAttributeValues: { ':kind': kind },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const ended = out.Attributes ? readHealth(out.Attributes).pause : null;
      if (ended) await endEpisode(tableName, orgId, ended, endedBy, now());
      return ended;
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw error;
    }
  };
  return {
    endCredentialsPause: (orgId) => endPauseOfKind(orgId, 'credentials', 'credentials'),
    endSetupPause: (orgId) => endPauseOfKind(orgId, 'setup', 'setup fixed'),
  };
}
