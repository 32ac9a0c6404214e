import type { CallContext } from '../context.ts';
import { apiError } from '../errors.ts';
import type { Reply } from '../http.ts';
import { newId } from '../ids.ts';
import { methodNotAllowed } from '../sobjects.ts';
import { runQuery } from './execute.ts';

const DEFAULT_BATCH = 2000;

/** `Sforce-Query-Options: batchSize=N` (200-2000) lets tests exercise paging with few records. */
function batchSize(ctx: CallContext): number {
  const header = String(ctx.headers['sforce-query-options'] ?? '');
  const m = /batchSize\s*=\s*(\d+)/i.exec(header);
  const asked = m ? Number(m[1]) : DEFAULT_BATCH;
  return Math.min(DEFAULT_BATCH, Math.max(200, asked));
}

function page(ctx: CallContext, locator: string, records: Array<Record<string, unknown>>, offset: number, size: number): Reply {
  const end = offset + size;
  const done = end >= records.length;
  const body: Record<string, unknown> = { totalSize: records.length, done, records: records.slice(offset, end) };
  if (!done) body.nextRecordsUrl = `/services/data/v${ctx.version}/query/${locator}-${end}`;
  return { status: 200, body };
}

/** `query`, `queryAll` and `query/{locator}`. */
export function queryRoute(ctx: CallContext, segments: string[]): Reply {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ['GET']);
  const [, locator, ...extra] = segments;
  if (extra.length) throw apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  if (locator !== undefined) {
    const m = /^(.+)-(\d+)$/.exec(locator);
    const cursor = m ? ctx.state.cursors.get(m[1] as string) : undefined;
    if (!m || !cursor || cursor.orgId !== ctx.org.orgId) throw apiError(404, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return page(ctx, m[1] as string, cursor.records, Number(m[2]), cursor.batchSize);
  }
  const soql = ctx.url.searchParams.get('q');
  if (soql === null || soql.trim() === '') throw apiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
  const result = runQuery(soql, ctx.store, ctx.org, ctx.version);
  const size = batchSize(ctx);
  if (result.records.length === 0) return { status: 200, body: { totalSize: result.totalSize, done: true, records: [] } };
  if (result.records.length <= size) return page(ctx, '', result.records, 0, size);
  const id = newId('01g');
  ctx.state.cursors.set(id, { orgId: ctx.org.orgId, records: result.records, batchSize: size });
  return page(ctx, id, result.records, 0, size);
}
