import { Connection } from 'jsforce';
import { SALESFORCE_API_VERSION } from '../config.ts';
import { GLANCE_SESSION_EXTERNAL_ID, GLANCE_SESSION_OBJECT, type GlanceSessionRecord } from '../glance-session-record.ts';
import { classifySalesforceError, isSetupFault, SalesforceCallError, type SalesforceFault } from '../salesforce-errors.ts';
import { fillRefs, type OrgSalesforce, type PostResult, type RecordResult, type UpsertRef, type UpsertSpec } from '../processing/org-batch.ts';
import type { OrgShape } from '../record-links.ts';
import { CHATTER_BATCH_LIMIT, type ChatterPost } from '../chatter.ts';
import { requestSalesforceToken } from './salesforce-auth.ts';
import type { SalesforceCredentials } from '../salesforce-credentials.ts';
import { retryDelay, sleep, withRetry, type RetryPolicy } from '../retry.ts';

/** Salesforce's limits for one sObject Collections call. */
export const COLLECTION_LIMIT = 200;

/**
 * Retries of one Salesforce call (and of the records a collection call refused for a passing
 * reason): three attempts with full jitter from 250 ms. The deadline is the invocation's, given
 * per invocation with `withDeadline`; without one, 30 s from each call.
 */
export const SALESFORCE_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250, jitter: 'full' };
const DEFAULT_DEADLINE_MS = 30_000;

interface CallPolicy extends RetryPolicy {
  /** Told before each attempt of a call (the token guard allows one refresh per attempt). */
  beforeAttempt?: () => void;
}

export interface ApiUsage {
  used: number;
  limit: number;
}

export interface SalesforceOrgClient extends OrgSalesforce {
  upsertGlanceSessions(records: GlanceSessionRecord[]): Promise<RecordResult[]>;
  readonly connection: Connection;
  upsertRecords(sobject: string, externalId: string, records: Array<Record<string, unknown>>): Promise<RecordResult[]>;
  /** Always present here: one Composite call where the limits allow. */
  upsertTogether(first: UpsertSpec, then: UpsertSpec & { refs: Array<UpsertRef | null> }): Promise<{ first: RecordResult[]; then: RecordResult[] }>;
  query<T extends Record<string, unknown>>(soql: string): Promise<T[]>;
  /** Always present here: up to 5 queries per Composite call. */
  queryAll<T extends Record<string, unknown>>(soqls: string[]): Promise<T[][]>;
  /** Key prefixes and Glance_Session__c lookups, from describe calls made once per warm Lambda. */
  orgShape(): Promise<OrgShape>;
  postChatter(posts: ChatterPost[]): Promise<PostResult[]>;
  /**
   * Up to 5 collection upserts, of any objects, in one Composite call (one API call), each of at
   * most 200 records; a result list per collection, in order. A collection Composite refuses as a
   * whole becomes that error on each of its records. Throws RangeError past those limits.
   */
  upsertCollections(collections: Array<{ sobject: string; externalId: string; records: Array<Record<string, unknown>> }>): Promise<RecordResult[][]>;
  /** The org's daily API usage as last reported in Sforce-Limit-Info, if any call was made. */
  apiUsage(): ApiUsage | null;
  /**
   * The same client (connection, cached org shape) whose retries never wait past `deadline`
   * (ms since the epoch): one invocation's remaining time, as the client outlives invocations.
   */
  withDeadline(deadline: () => number): SalesforceOrgClient;
}

function errorCodeOf(error: unknown): string {
  const e = error as { errorCode?: string; name?: string; code?: string; cause?: { code?: string }; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  // jsforce reports a refresh that failed as a plain Error "Unable to refresh session due to: …":
  // it is the org's login failing, not a record. Its code is the one guardedRefresh appended
  // (INVALID_GRANT for a refused refresh token: the breaker's credentials pause), else INVALID_SESSION_ID.
  if (/^Unable to refresh session due to:/.test(message)) return refreshFailureCode(message) ?? 'INVALID_SESSION_ID';
  return e.errorCode ?? e.code ?? e.cause?.code ?? (e.name && /^[A-Z_]+$/.test(e.name) ? e.name : 'UNKNOWN_ERROR');
}

/**
 * jsforce rethrows a failed token refresh as a plain Error ("Unable to refresh session due to:
 * " + the message; node_modules/jsforce/lib/session-refresh-delegate.js), dropping its code, so
 * guardedRefresh ends the messages it hands jsforce with "[CODE]": without it a refused refresh
 * token or a refused fresh token would read as an unknown, permanent refusal of the records.
 */
function refreshFailureCode(message: unknown): string | undefined {
  return typeof message === 'string' ? /^Unable to refresh session due to: .*\[([A-Z_0-9]+)\]$/s.exec(message)?.[1] : undefined;
}
const withCode = (error: Error): Error => {
  const code = errorCodeOf(error);
  return Object.assign(new Error(`${error.message} [${code}]`), { errorCode: code });
};

export function toCallError(error: unknown): SalesforceCallError {
  if (error instanceof SalesforceCallError) return error;
  const code = errorCodeOf(error);
  return new SalesforceCallError(code, (error as Error).message ?? String(error));
}

/**
 * jsforce refreshes and retries on every 401; if Salesforce keeps refusing fresh tokens it would
 * loop forever. Allow one refresh per attempt of a call and fail the attempt after that. (Not per
 * time window: a token that expires again a minute later must be refreshed, not left broken.)
 */
function guardedRefresh(credentials: SalesforceCredentials) {
  let refreshed = false;
  return {
    newAttempt: () => {
      refreshed = false;
    },
    refreshFn: (_conn: Connection, callback: (err: Error | null, accessToken?: string) => void) => {
      if (refreshed) {
        callback(withCode(Object.assign(new Error('Salesforce refused a freshly refreshed token (INVALID_SESSION_ID twice)'), { errorCode: 'INVALID_SESSION_ID' })));
        return;
      }
      refreshed = true;
      requestSalesforceToken(credentials).then(
        (token) => callback(null, token.accessToken),
        (err: Error) => callback(withCode(err)),
      );
    },
  };
}

/**
 * jsforce 3 retries GETs answered 429/5xx itself, five times, sleeping 0.5 to 8 s (15.5 s a call,
 * node_modules/jsforce/lib/request.js), unaware of the Lambda's deadline; under our own retries
 * that is 46 s for one query while an org is down. Our retry policy (withCallRetry, bounded by the
 * invocation's time) is the only one: jsforce's is switched off through the options its HTTP layer
 * reads (`retry.maxRetries`). Undocumented internals: a jsforce upgrade must keep this test-covered.
 */
function withoutTransportRetries(connection: Connection): void {
  const transport = (connection as unknown as { _transport?: { httpRequest: (req: unknown, options?: Record<string, unknown>) => unknown } })._transport;
  if (!transport) return;
  const original = transport.httpRequest.bind(transport);
  transport.httpRequest = (req, options = {}) => original(req, { ...options, retry: { ...((options.retry as object) ?? {}), maxRetries: 0 } });
}

export async function connectSalesforce(
  credentials: SalesforceCredentials,
  retry: RetryPolicy = SALESFORCE_RETRY,
): Promise<SalesforceOrgClient> {
  let token;
  try {
    token = await requestSalesforceToken(credentials);
  } catch (error) {
    throw toCallError(error);
  }
  const guard = guardedRefresh(credentials);
  const connection = new Connection({
    instanceUrl: token.instanceUrl,
    accessToken: token.accessToken,
    version: SALESFORCE_API_VERSION,
    refreshFn: guard.refreshFn,
  });
  withoutTransportRetries(connection);
  return salesforceOrgClient(connection, { ...retry, beforeAttempt: guard.newAttempt });
}

function withCallRetry<T>(retry: CallPolicy, call: () => Promise<T>): Promise<T> {
  return withRetry(
    retry,
    async () => {
      retry.beforeAttempt?.();
      return call().catch((error: unknown) => {
        throw toCallError(error);
      });
    },
    (error) => (error as SalesforceCallError).kind === 'transient',
  );
}

interface RawSaveResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; errorCode?: string; message?: string; fields?: string[] }>;
}

const toResult = (raw: RawSaveResult): RecordResult =>
  raw.success
    ? { ok: true, id: String(raw.id), created: !!raw.created }
    : {
        ok: false,
        faults: (raw.errors ?? []).map(
          (e): SalesforceFault => ({ code: e.statusCode ?? e.errorCode ?? 'UNKNOWN_ERROR', message: e.message ?? '', fields: e.fields ?? [] }),
        ),
      };

/** Composite takes at most 5 sObject Collections (or queries) among its 25 subrequests. */
export const COMPOSITE_COLLECTIONS_LIMIT = 5;

const chunked = <T>(items: T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Only a refusal with a Salesforce error code can be one record's doing; an unknown error or a setup problem is not split. */
const splittable = (callError: SalesforceCallError) => callError.kind === 'permanent' && callError.code !== 'UNKNOWN_ERROR' && !isSetupFault(callError.code, callError.message);

type CompositeAnswer = { compositeResponse?: Array<{ httpStatusCode: number; body: unknown }> };
type QueryPage<T> = { records: T[]; done: boolean; nextRecordsUrl?: string };

/** A Composite subrequest's refusal as a call error's parts (its body is a list of errors; a missing answer is ERROR_HTTP_0). */
function subrequestError(sub: { httpStatusCode: number; body: unknown } | undefined): { errorCode: string; message: string } {
  const error = (Array.isArray(sub?.body) ? sub.body[0] : undefined) as { errorCode?: string; message?: string } | undefined;
  return { errorCode: error?.errorCode ?? `ERROR_HTTP_${sub?.httpStatusCode ?? 0}`, message: error?.message ?? 'no answer for the subrequest' };
}

/** sObject Collections take 200 records per call; Chatter batch posts take 500. */
export { CHATTER_BATCH_LIMIT };

export function salesforceOrgClient(connection: Connection, policy: CallPolicy = SALESFORCE_RETRY): SalesforceOrgClient {
  let shape: Promise<OrgShape> | undefined;
  const withDeadlineOf = (deadline: () => number): SalesforceOrgClient => client({ ...policy, deadline });
  return policy.deadline ? client(policy) : withDeadlineOf(() => Date.now() + DEFAULT_DEADLINE_MS);

  function client(retry: CallPolicy): SalesforceOrgClient {

    async function upsertRecords(sobject: string, externalId: string, records: Array<Record<string, unknown>>): Promise<RecordResult[]> {
      const results: RecordResult[] = new Array(records.length);
      /**
       * A whole call refused for what one record holds (Salesforce's deserialiser stops the call
       * at the first value it cannot read: JSON_PARSER_ERROR) is split in halves until only the
       * records that cause it fail, each with that error; its neighbours are written. A refusal
       * of the call itself (a setup problem, an unknown object) is not split: it would fail every half.
       */
      const upsertSplitting = async (batch: Array<Record<string, unknown>>): Promise<RawSaveResult[]> => {
        try {
          return (await withCallRetry(retry, () =>
            connection.upsert(sobject, batch.map((r) => ({ ...r })) as never, externalId, { allOrNone: false }),
          )) as unknown as RawSaveResult[];
        } catch (error) {
          const callError = toCallError(error);
          if (!splittable(callError)) throw callError;
          if (batch.length === 1) return [{ success: false, errors: [{ statusCode: callError.code, message: callError.message }] }];
          const half = Math.ceil(batch.length / 2);
          return [...(await upsertSplitting(batch.slice(0, half))), ...(await upsertSplitting(batch.slice(half)))];
        }
      };
      let pending = records.map((record, index) => ({ record, index }));
      // Retry only the records that failed for a passing reason (a locked row), not their neighbours.
      for (let attempt = 0; pending.length > 0; attempt++) {
        const raw = await upsertOnce(sobject, externalId, pending.map((p) => p.record), upsertSplitting);
        const again: typeof pending = [];
        pending.forEach((p, i) => {
          const result = toResult(raw[i] ?? { success: false, errors: [{ statusCode: 'MISSING_RESULT', message: 'no result for record' }] });
          results[p.index] = result;
          if (!result.ok && result.faults.every((f) => classifySalesforceError(f.code) === 'transient')) again.push(p);
        });
        const delay = again.length ? retryDelay(retry, attempt) : null;
        if (delay === null) break;
        await sleep(delay);
        pending = again;
      }
      return results;
    }

    /**
     * One upsert pass: up to 200 records is one sObject Collections call; more go through
     * Composite, up to 5 collections (1,000 records) per call, which counts as one call. A
     * collection subrequest refused as a whole becomes that error on each of its records.
     */
    async function upsertOnce(
      sobject: string,
      externalId: string,
      records: Array<Record<string, unknown>>,
      oneCollection: (batch: Array<Record<string, unknown>>) => Promise<RawSaveResult[]>,
    ): Promise<RawSaveResult[]> {
      const chunks = chunked(records, COLLECTION_LIMIT);
      if (chunks.length <= 1) return oneCollection(records);
      const out: RawSaveResult[] = [];
      for (const group of chunked(chunks, COMPOSITE_COLLECTIONS_LIMIT)) {
        const subs = await compositeCollections(group.map((records) => ({ sobject, externalId, records })));
        for (const [i, chunk] of group.entries()) {
          const sub = subs[i]!;
          if ('results' in sub) out.push(...sub.results);
          // A collection refused for what one of its records holds is split on its own, as a lone collection would be.
          else if (splittable(new SalesforceCallError(sub.code, sub.message))) out.push(...(await oneCollection(chunk)));
          else out.push(...chunk.map(() => ({ success: false, errors: [{ statusCode: sub.code, message: sub.message }] })));
        }
      }
      return out;
    }

    /**
     * `first`'s records, then `then`'s with each ref filled from `first`'s answer, in ONE
     * Composite call when their collections fit its limit of 5 (REST API Developer Guide,
     * "Composite"; the reference is `@{firstN[i].id}`, the id of record i of collection N's
     * answer, allOrNone false so each collection stands alone). Otherwise two upserts. Whatever
     * the Composite could not settle goes again on its own, at the cost of one more call:
     *  - a `first` record that failed for a passing reason, or lost a concurrent create
     *    (DUPLICATE_VALUE: an update to retry), and a collection refused as a whole;
     *  - a `then` collection halted because a reference named a record `first` failed to write
     *    (PROCESSING_HALTED: Salesforce resolves references per subrequest, so one failed Lead
     *    halts its whole collection), or refused as a whole, and `then` records that failed for a
     *    passing reason: sent again with the refs filled from `first`'s final answer (none for a
     *    record that failed), so one bad Lead never costs its neighbours their session record.
     */
    async function upsertTogether(first: UpsertSpec, then: UpsertSpec & { refs: Array<UpsertRef | null> }): Promise<{ first: RecordResult[]; then: RecordResult[] }> {
      const firstChunks = chunked(first.records, COLLECTION_LIMIT);
      const thenChunks = chunked(then.records, COLLECTION_LIMIT);
      if (first.records.length === 0 || firstChunks.length + thenChunks.length > COMPOSITE_COLLECTIONS_LIMIT) {
        const firstResults = await upsertRecords(first.sobject, first.externalId, first.records);
        return { first: firstResults, then: await upsertRecords(then.sobject, then.externalId, fillRefs(then.records, then.refs, firstResults)) };
      }
      const reference = (index: number) => `@{first${Math.floor(index / COLLECTION_LIMIT)}[${index % COLLECTION_LIMIT}].id}`;
      const subrequest = (spec: UpsertSpec, referenceId: string, records: Array<Record<string, unknown>>) => ({
        method: 'PATCH',
        url: `/services/data/v${SALESFORCE_API_VERSION}/composite/sobjects/${spec.sobject}/${spec.externalId}`,
        referenceId,
        body: { allOrNone: false, records: records.map((r) => ({ attributes: { type: spec.sobject }, ...r })) },
      });
      const subrequests = [
          ...firstChunks.map((chunk, k) => subrequest(first, `first${k}`, chunk)),
          ...thenChunks.map((chunk, k) =>
            subrequest(
              then,
              `then${k}`,
              chunk.map((r, j) => {
                const ref = then.refs[k * COLLECTION_LIMIT + j];
                return ref ? { ...r, [ref.field]: reference(ref.index) } : r;
              }),
            ),
          ),
      ];
      const response = await composite(subrequests);
      /** Each record's result, or null where its whole collection failed (halted, or refused as a whole). */
      const answers = (chunks: Array<Array<Record<string, unknown>>>, offset: number): Array<RecordResult | null> =>
        chunks.flatMap((chunk, k) => {
          const sub = response.compositeResponse?.[offset + k];
          if (sub && sub.httpStatusCode < 300 && Array.isArray(sub.body)) {
            return chunk.map((_r, j) => toResult((sub.body as RawSaveResult[])[j] ?? { success: false, errors: [{ statusCode: 'MISSING_RESULT', message: 'no result for record' }] }));
          }
          return chunk.map(() => null);
        });
      const again = (r: RecordResult | null, alsoRetry: (code: string) => boolean) =>
        !r || (!r.ok && r.faults.length > 0 && r.faults.every((f) => classifySalesforceError(f.code) === 'transient' || alsoRetry(f.code)));
      const firstAnswers = answers(firstChunks, 0);
      const redoFirst = firstAnswers.flatMap((r, i) => (again(r, (code) => code === 'DUPLICATE_VALUE') ? [i] : []));
      if (redoFirst.length) {
        const redone = await upsertRecords(first.sobject, first.externalId, redoFirst.map((i) => first.records[i]!));
        redoFirst.forEach((i, k) => (firstAnswers[i] = redone[k]!));
      }
      const firstResults = firstAnswers as RecordResult[];
      const thenAnswers = answers(thenChunks, firstChunks.length);
      const redoThen = thenAnswers.flatMap((r, i) => (again(r, () => false) ? [i] : []));
      if (redoThen.length) {
        const filled = fillRefs(then.records, then.refs, firstResults);
        const redone = await upsertRecords(then.sobject, then.externalId, redoThen.map((i) => filled[i]!));
        redoThen.forEach((i, k) => (thenAnswers[i] = redone[k]!));
      }
      return { first: firstResults, then: thenAnswers as RecordResult[] };
    }

    /** One Composite call of collection upserts (at most 5, each at most 200 records): each one's results, or its refusal as a whole. */
    async function compositeCollections(
      collections: Array<{ sobject: string; externalId: string; records: Array<Record<string, unknown>> }>,
    ): Promise<Array<{ results: RawSaveResult[] } | { code: string; message: string }>> {
      const response = await composite(
        collections.map((c, i) => ({
          method: 'PATCH',
          url: `/services/data/v${SALESFORCE_API_VERSION}/composite/sobjects/${c.sobject}/${c.externalId}`,
          referenceId: `upsert${i}`,
          body: { allOrNone: false, records: c.records.map((r) => ({ attributes: { type: c.sobject }, ...r })) },
        })),
      );
      return collections.map((_c, i) => {
        const sub = response.compositeResponse?.[i];
        if (sub && sub.httpStatusCode < 300 && Array.isArray(sub.body)) return { results: sub.body as RawSaveResult[] };
        const error = subrequestError(sub);
        return { code: error.errorCode, message: error.message };
      });
    }

    /**
     * One Composite call (`POST /composite`, allOrNone false: each subrequest stands alone),
     * retried as a whole by the call's rules; Salesforce counts it as ONE API call. Each
     * subrequest's answer, in order (REST API Developer Guide, "Send Multiple Requests Using Composite":
     * at most 25 subrequests, at most 5 of them sObject Collections or query operations).
     */
    async function composite(subrequests: Array<{ method: string; url: string; referenceId: string; body?: unknown }>): Promise<CompositeAnswer> {
      const body = { allOrNone: false, compositeRequest: subrequests };
      return (await withCallRetry(retry, () =>
        connection.request({ method: 'POST', url: '/composite', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      )) as CompositeAnswer;
    }

    /** Every page of a query, from its first page on (`queryMore` while not done). */
    async function restOfQuery<T extends Record<string, unknown>>(first: QueryPage<T>): Promise<T[]> {
      const records: T[] = [...first.records];
      let page = first;
      while (!page.done && page.nextRecordsUrl) {
        const next = page.nextRecordsUrl;
        page = await withCallRetry(retry, async () => (await connection.queryMore<T>(next)) as QueryPage<T>);
        records.push(...page.records);
      }
      return records;
    }

    async function query<T extends Record<string, unknown>>(soql: string): Promise<T[]> {
      return restOfQuery(await withCallRetry(retry, async () => (await connection.query<T>(soql)) as QueryPage<T>));
    }

    /**
     * Several queries, up to 5 per Composite call (its limit on query subrequests; the whole
     * Composite is one API call); one alone is an ordinary query. A page that is not done is
     * followed with `queryMore`, as a lone query's is. A query subrequest Salesforce refuses is
     * classified as a lone query's refusal would be: a passing one (a lock, the org busy) is sent
     * again on its own under the call's retry rules; any other throws its SalesforceCallError.
     * Each query's rows, in order.
     */
    async function queryAll<T extends Record<string, unknown>>(soqls: string[]): Promise<T[][]> {
      const out: T[][] = [];
      for (const group of chunked(soqls, COMPOSITE_COLLECTIONS_LIMIT)) {
        if (group.length === 1) {
          out.push(await query<T>(group[0]!));
          continue;
        }
        const response = await composite(
          group.map((soql, i) => ({ method: 'GET', url: `/services/data/v${SALESFORCE_API_VERSION}/query?q=${encodeURIComponent(soql)}`, referenceId: `query${i}` })),
        );
        for (const [i, soql] of group.entries()) {
          const sub = response.compositeResponse?.[i];
          const page = sub?.body as QueryPage<T> | undefined;
          if (sub && sub.httpStatusCode < 300 && page && Array.isArray(page.records)) {
            out.push(await restOfQuery(page));
            continue;
          }
          const error = subrequestError(sub);
          const refused = new SalesforceCallError(error.errorCode, error.message);
          if (refused.kind !== 'transient') throw refused;
          out.push(await query<T>(soql));
        }
      }
      return out;
    }

    async function upsertCollections(collections: Array<{ sobject: string; externalId: string; records: Array<Record<string, unknown>> }>): Promise<RecordResult[][]> {
      if (collections.length > COMPOSITE_COLLECTIONS_LIMIT) throw new RangeError(`Composite takes at most ${COMPOSITE_COLLECTIONS_LIMIT} collections, got ${collections.length}`);
      const tooLong = collections.find((c) => c.records.length > COLLECTION_LIMIT);
      if (tooLong) throw new RangeError(`a collection takes at most ${COLLECTION_LIMIT} records, got ${tooLong.records.length} ${tooLong.sobject}`);
      const subs = await compositeCollections(collections);
      return collections.map((c, i) => {
        const sub = subs[i]!;
        if ('results' in sub) return c.records.map((_r, k) => toResult(sub.results[k] ?? { success: false, errors: [{ statusCode: 'MISSING_RESULT', message: 'no result for record' }] }));
        return c.records.map(() => toResult({ success: false, errors: [{ statusCode: sub.code, message: sub.message }] }));
      });
    }

    return {
      connection,
      withDeadline: withDeadlineOf,
      upsertTogether,
      apiUsage() {
        const usage = connection.limitInfo?.apiUsage;
        return usage ? { used: usage.used, limit: usage.limit } : null;
      },
      upsertGlanceSessions: (records: GlanceSessionRecord[]) => upsertRecords(GLANCE_SESSION_OBJECT, GLANCE_SESSION_EXTERNAL_ID, records),
      upsertRecords,
      upsertCollections,
      query,
      queryAll,
      orgShape() {
        shape ??= (async () => {
          const global = await withCallRetry(retry, () => connection.describeGlobal());
          const session = await withCallRetry(retry, () => connection.describe(GLANCE_SESSION_OBJECT));
          const objectByKeyPrefix = new Map<string, string>();
          for (const sobject of global.sobjects) if (sobject.keyPrefix) objectByKeyPrefix.set(sobject.keyPrefix, sobject.name);
          const lookupFieldByObject = new Map<string, string>();
          for (const field of session.fields) {
            const target = field.referenceTo?.[0];
            if (field.type === 'reference' && target && field.createable && !lookupFieldByObject.has(target)) lookupFieldByObject.set(target, field.name);
          }
          const sessionFields = new Map(session.fields.map((f) => [f.name, { type: f.type, length: f.length }]));
          return { objectByKeyPrefix, lookupFieldByObject, sessionFields };
        })();
        shape.catch(() => (shape = undefined));
        return shape;
      },
      async postChatter(posts: ChatterPost[]): Promise<PostResult[]> {
        const results: PostResult[] = [];
        for (let start = 0; start < posts.length; start += CHATTER_BATCH_LIMIT) {
          const chunk = posts.slice(start, start + CHATTER_BATCH_LIMIT);
          const body = {
            inputs: chunk.map((post) => ({
              richInput: { feedElementType: 'FeedItem', subjectId: post.subjectId, body: { messageSegments: post.segments } },
            })),
          };
          // Not retried as a whole: a post that went through must not be posted twice.
          retry.beforeAttempt?.();
          const out = (await connection.request({
            method: 'POST',
            url: '/chatter/feed-elements/batch',
            body: JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }).catch((error: unknown) => {
            throw toCallError(error);
          })) as { results?: Array<{ statusCode: number; result: { id?: string } | Array<{ errorCode?: string; message?: string }> }> };
          chunk.forEach((_post, i) => {
            const item = out.results?.[i];
            if (item && item.statusCode < 300 && !Array.isArray(item.result) && item.result.id) results.push({ ok: true, id: item.result.id });
            else {
              const errors = item && Array.isArray(item.result) ? item.result : [];
              results.push({
                ok: false,
                faults: errors.length
                  ? errors.map((e) => ({ code: e.errorCode ?? `ERROR_HTTP_${item?.statusCode ?? 0}`, message: e.message ?? '' }))
                  : [{ code: `ERROR_HTTP_${item?.statusCode ?? 0}`, message: 'no result for post' }],
              });
            }
          });
        }
        return results;
      },
    };
  }
}
