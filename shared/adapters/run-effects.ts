import { BatchGetCommand, type BatchGetCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import { noRunEffects, RUN_EFFECT_NAMES, type RunEffects, type RunEffectsReader, type RunEffectsWriter } from '../sync/run-effects.ts';

/**
 * What each sync run's events did, one item per run in a partition of its own per org,
 * SYNCRUN#{orgId} / RUN#{runId}, apart from the run item the sync run writes, so the processor
 * never writes what the sync run does. Counters are added (DynamoDB ADD), one call per run per batch.
 */
export const RUN_EFFECTS_PREFIX = 'SYNCRUN#';
export const runEffectsKey = (orgId: string, runId: string) => ({ pk: `${RUN_EFFECTS_PREFIX}${orgId}`, sk: `RUN#${runId}` });

export function dynamoRunEffects(tableName: string): RunEffectsWriter & RunEffectsReader {
  return {
    async add(orgId, runId, effects) {
      const names = RUN_EFFECT_NAMES.filter((name) => effects[name] > 0);
      if (names.length === 0) return;
      await dynamo().send(
        new UpdateCommand({
          TableName: tableName,
          Key: runEffectsKey(orgId, runId),
          UpdateExpression: `SET #kind = :kind, #orgId = :orgId, #runId = :runId ADD ${names.map((n) => `#${n} :${n}`).join(', ')}`,
          ExpressionAttributeNames: { '#kind': 'kind', '#orgId': 'orgId', '#runId': 'runId', ...Object.fromEntries(names.map((n) => [`#${n}`, n])) },
          ExpressionAttributeValues: { ':kind': 'sync-run-effects', ':orgId': orgId, ':runId': runId, ...Object.fromEntries(names.map((n) => [`:${n}`, effects[n]])) },
        }),
      );
    },
    async read(orgId, runIds) {
      const result = new Map<string, RunEffects>();
      const unique = [...new Set(runIds)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((runId) => runEffectsKey(orgId, runId));
        while (keys && keys.length) {
          const out: BatchGetCommandOutput = await dynamo().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
          for (const item of out.Responses?.[tableName] ?? []) {
            const effects = noRunEffects();
            for (const name of RUN_EFFECT_NAMES) effects[name] = Number(item[name] ?? 0);
            result.set(String(item.runId), effects);
          }
          keys = out.UnprocessedKeys?.[tableName]?.Keys;
        }
      }
      return result;
    },
  };
}
