import { BatchGetCommand, type BatchGetCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import type { LoginState, LoginSystem, OrgHealthReader, OrgHealthRecord, OrgHealthRecorder } from '../org-health.ts';

/** Beside the org's item (which admins write with optimistic locking): ORG#{orgId}/HEALTH. */
export const healthKey = (orgId: string) => ({ pk: `ORG#${orgId}`, sk: 'HEALTH' });

const isConditionFailure = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';

/**
 * The orgs table's health items. Writes are conditional on a change (ok ⇄ failing, another error
 * message), and this container remembers what it last wrote per org for a few minutes, so a warm
 * processor spends at most one DynamoDB call per org every few minutes while nothing changes.
 */
export function dynamoOrgHealth(tableName: string, now: () => Date = () => new Date(), memoryMs = 5 * 60_000): OrgHealthRecorder & OrgHealthReader {
  // Forgotten after a while: another container may have recorded the opposite meanwhile.
  const seen = new Map<string, { value: string; until: number }>();
  const remember = async (key: string, value: string, write: () => Promise<unknown>) => {
    const hit = seen.get(key);
    if (hit && hit.value === value && hit.until > now().getTime()) return;
    try {
      await write();
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    seen.set(key, { value, until: now().getTime() + memoryMs });
  };
  return {
    async login(orgId, system, outcome) {
      const error = outcome.ok ? null : outcome.error;
      const state: LoginState = { ok: outcome.ok, since: now().toISOString(), error };
      const attribute = `login_${system}`;
      await remember(`${orgId}|login|${system}`, `${outcome.ok}|${error}`, async () => {
        try {
          // A flip (or the first record) writes the whole state, moving `since`.
          await dynamo().send(
            new UpdateCommand({
              TableName: tableName,
              Key: healthKey(orgId),
              UpdateExpression: 'SET #kind = :kind, #orgId = :orgId, #s = :state',
              ConditionExpression: 'attribute_not_exists(#s) OR #s.#ok <> :ok',
              ExpressionAttributeNames: { '#kind': 'kind', '#orgId': 'orgId', '#s': attribute, '#ok': 'ok' },
              ExpressionAttributeValues: { ':kind': 'org-health', ':orgId': orgId, ':state': state, ':ok': outcome.ok },
            }),
          );
        } catch (failure) {
          if (!isConditionFailure(failure) || outcome.ok) throw failure;
          // Still failing, perhaps for another reason: the reason changes, `since` stays.
          await dynamo().send(
            new UpdateCommand({
              TableName: tableName,
              Key: healthKey(orgId),
              UpdateExpression: 'SET #s.#error = :error',
              ExpressionAttributeNames: { '#s': attribute, '#error': 'error' },
              ExpressionAttributeValues: { ':error': error },
            }),
          );
        }
      });
      if (!outcome.ok) await this.error(orgId, `${system === 'salesforce' ? 'Salesforce' : 'Glance'} login failed: ${error}`);
    },
    async error(orgId, message) {
      await remember(`${orgId}|error`, message, () =>
        dynamo().send(
          new UpdateCommand({
            TableName: tableName,
            Key: healthKey(orgId),
            UpdateExpression: 'SET #kind = :kind, #orgId = :orgId, lastError = :e',
            ExpressionAttributeNames: { '#kind': 'kind', '#orgId': 'orgId' },
            ExpressionAttributeValues: { ':kind': 'org-health', ':orgId': orgId, ':e': { at: now().toISOString(), message: message.slice(0, 1000) } },
          }),
        ),
      );
    },
    async read(orgIds) {
      const result = new Map<string, OrgHealthRecord>();
      const unique = [...new Set(orgIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map(healthKey);
        while (keys && keys.length) {
          const out: BatchGetCommandOutput = await dynamo().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
          for (const item of out.Responses?.[tableName] ?? []) {
            const orgId = String(item.pk).slice(4);
            const login: OrgHealthRecord['login'] = {};
            for (const system of ['salesforce', 'glance'] as LoginSystem[]) {
              const state = item[`login_${system}`] as LoginState | undefined;
              if (state) login[system] = { ok: !!state.ok, since: String(state.since), error: state.error ?? null };
            }
            const lastError = item.lastError as { at: string; message: string } | undefined;
            result.set(orgId, { orgId, login, lastError: lastError ? { at: String(lastError.at), message: String(lastError.message) } : null });
          }
          keys = out.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return result;
    },
  };
}
