import { BatchWriteCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import { TRACE_RETENTION_DAYS, type DebugTrace, type TraceStore } from '../debug-trace.ts';

/**
 * Traces table: pk ORG#{orgId}, sk {at}#{sessionId}; TTL removes them after the retention. TTL
 * deletes up to about 48 hours late (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html),
 * so reads filter on `expiresAt` themselves: a trace past its retention is never shown.
 */
export function dynamoTraceStore(tableName: string, retentionDays = TRACE_RETENTION_DAYS, now: () => number = Date.now): TraceStore {
  return {
    async put(traces) {
      const expiresAt = Math.floor(now() / 1000) + retentionDays * 86_400;
      for (let i = 0; i < traces.length; i += 25) {
        let items: Array<Record<string, unknown>> | undefined = traces.slice(i, i + 25).map((t) => ({
          PutRequest: { Item: { pk: `ORG#${t.orgId}`, sk: `${t.at}#${t.sessionId}#${t.eventId}`, expiresAt, ...t } },
        }));
        while (items && items.length > 0) {
          const out = await dynamo().send(new BatchWriteCommand({ RequestItems: { [tableName]: items as never } }));
          items = out.UnprocessedItems?.[tableName] as Array<Record<string, unknown>> | undefined;
        }
      }
    },
    async list(orgId, options = {}) {
      const limit = options.limit ?? 50;
      const traces: DebugTrace[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out: QueryCommandOutput = await dynamo().send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            FilterExpression: `expiresAt > :now${options.sessionId ? ' AND sessionId = :session' : ''}`,
            ExpressionAttributeValues: {
              ':pk': `ORG#${orgId}`,
              ':now': Math.floor(now() / 1000),
              ...(options.sessionId ? { ':session': options.sessionId } : {}),
            },
            ScanIndexForward: false,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) {
          const { pk: _pk, sk: _sk, expiresAt: _exp, ...trace } = item;
          traces.push(trace as DebugTrace);
          if (traces.length >= limit) return traces;
        }
        start = out.LastEvaluatedKey;
      } while (start);
      return traces;
    },
  };
}
