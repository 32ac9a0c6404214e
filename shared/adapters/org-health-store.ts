import { BatchGetCommand, type BatchGetCommandOutput, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { LoginState, LoginSystem, OrgHealthReader, OrgHealthRecord, OrgHealthRecorder } from '../org-health.ts';

/**
 * An org's health items live in a partition of their own, HEALTH#{orgId} (not beside the org
 * item, which admins write with optimistic locking), one item per fact: LOGIN#salesforce,
 * LOGIN#glance and ERROR. Separate items let every write be a plain conditional PutItem, so the
 * processor needs no UpdateItem and its grant can be limited to HEALTH# partitions.
 */
export const HEALTH_PREFIX = 'HEALTH#';
const LOGIN_SYSTEMS: LoginSystem[] = ['salesforce', 'glance'];
export const healthKeys = {
  login: (orgId: string, system: LoginSystem) => ({ pk: `${HEALTH_PREFIX}${orgId}`, sk: `LOGIN#${system}` }),
  error: (orgId: string) => ({ pk: `${HEALTH_PREFIX}${orgId}`, sk: 'ERROR' }),
  /** Every health item of an org, for its removal. */
  all: (orgId: string) => [...LOGIN_SYSTEMS.map((s) => healthKeys.login(orgId, s)), healthKeys.error(orgId)],
};

const isConditionFailure = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';

/**
 * Writes only changes: a login item is put when it flips (ok ⇄ failing) or, while failing, when the
 * reason changes (keeping `since`); this container also remembers what it wrote for a few minutes,
 * so a warm processor spends at most one DynamoDB call per org and system every few minutes while
 * nothing changes.
 */
export function dynamoOrgHealth(tableName: string, now: () => Date = () => new Date(), memoryMs = 5 * 60_000): OrgHealthRecorder & OrgHealthReader {
  // Forgotten after a while: another container may have recorded the opposite meanwhile.
  const seen = new Map<string, { value: string; until: number }>();
  const once = async (key: string, value: string, write: () => Promise<void>) => {
    const hit = seen.get(key);
    if (hit && hit.value === value && hit.until > now().getTime()) return;
    await write();
    seen.set(key, { value, until: now().getTime() + memoryMs });
  };
  const put = async (item: Record<string, unknown>, condition: string, values: Record<string, unknown>) => {
    try {
      await dynamo().send(new PutCommand({ TableName: tableName, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      return null;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // DynamoDB hands back the item that stopped the write, in its wire form.
      return ((error as { Item?: Record<string, { S?: string; BOOL?: boolean }> }).Item ?? {}) as Record<string, { S?: string; BOOL?: boolean }>;
    }
  };
  const recorder: OrgHealthRecorder & OrgHealthReader = {
    async login(orgId, system, outcome) {
      const error = outcome.ok ? null : outcome.error.slice(0, 1000);
      await once(`${orgId}|${system}`, `${outcome.ok}|${error}`, async () => {
        const key = healthKeys.login(orgId, system);
        const at = now().toISOString();
        const item = { ...key, kind: 'org-login', orgId, system, ok: outcome.ok, since: at, error };
        // A flip (or the first record) moves `since`.
        const current = await put(item, 'attribute_not_exists(pk) OR ok <> :ok', { ':ok': outcome.ok });
        if (current && !outcome.ok && current.error?.S !== error) {
          // Still failing, for another reason: the reason changes, `since` stays.
          await put({ ...item, since: current.since?.S ?? at }, 'ok = :ok', { ':ok': false });
        }
      });
      if (!outcome.ok) await recorder.error(orgId, `${system === 'salesforce' ? 'Salesforce' : 'Glance'} login failed: ${error}`);
    },
    async error(orgId, message) {
      const text = message.slice(0, 1000);
      await once(`${orgId}|error`, text, async () => {
        await put({ ...healthKeys.error(orgId), kind: 'org-error', orgId, at: now().toISOString(), message: text }, 'attribute_not_exists(pk) OR message <> :m', { ':m': text });
      });
    },
    async read(orgIds) {
      const result = new Map<string, OrgHealthRecord>();
      const keys = [...new Set(orgIds)].flatMap(healthKeys.all);
      for (let i = 0; i < keys.length; i += 100) {
        let batch: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
        while (batch && batch.length) {
          const out: BatchGetCommandOutput = await dynamo().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true } } }));
          for (const item of out.Responses?.[tableName] ?? []) {
            const orgId = String(item.pk).slice(HEALTH_PREFIX.length);
            const record = result.get(orgId) ?? { orgId, login: {}, lastError: null };
            if (item.sk === 'ERROR') record.lastError = { at: String(item.at), message: String(item.message) };
            else {
              const state: LoginState = { ok: item.ok === true, since: String(item.since), error: (item.error as string | null | undefined) ?? null };
              record.login[item.system as LoginSystem] = state;
            }
            result.set(orgId, record);
          }
          batch = out.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return result;
    },
  };
  return recorder;
}
