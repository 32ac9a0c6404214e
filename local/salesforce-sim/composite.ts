import type { CallContext } from './context.ts';
import { apiError, HttpError, RequestFailure } from './errors.ts';
import { errorReply, isPlainObject, safeDecode, type Reply } from './http.ts';
import { methodNotAllowed } from './sobjects.ts';

/*
 * Composite (`POST /services/data/vXX.X/composite`), as documented in the REST API Developer
 * Guide ("Send Multiple Requests Using Composite", "Composite Request Body"):
 *  - up to 25 subrequests, of which at most 5 may be sObject Collections or query operations
 *    (Query, QueryAll); the whole request counts as ONE call against the daily allowance (the
 *    counting happens once, in data.ts, before this runs);
 *  - subrequests run in order; `@{referenceId.path}` in a later url or body is replaced by a
 *    value of an earlier response body (`@{ref.id}`, `@{ref.records[0].Id}`, `@{ref[0].id}`);
 *  - allOrNone true: any subrequest that fails (HTTP status >= 400) rolls back all of them, and
 *    the others answer PROCESSING_HALTED; false: only a subrequest whose reference cannot be
 *    resolved fails (PROCESSING_HALTED), the rest stand;
 *  - the answer is 200 with { compositeResponse: [{ body, httpHeaders, httpStatusCode, referenceId }] }.
 * Undocumented, so not guessed beyond this: the exact wording of the limit errors (we answer 400
 * with errorCode LIMIT_EXCEEDED and a plain message) and the httpHeaders of each subrequest
 * (we return Location for a created record only).
 */

export const COMPOSITE_MAX_SUBREQUESTS = 25;
export const COMPOSITE_MAX_COLLECTIONS_OR_QUERIES = 5;

type Route = (ctx: CallContext, segments: string[]) => Reply;

interface Subrequest {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
}

interface SubResponse {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

const SUB_PATH = /^\/services\/data\/v(\d+\.\d+)\/(.*)$/;
const REFERENCE = /@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}/g;
const REFERENCE_ID = /^[A-Za-z][A-Za-z0-9_]*$/;

function readRequest(body: unknown): { allOrNone: boolean; subrequests: Subrequest[] } {
  if (!isPlainObject(body) || !Array.isArray(body.compositeRequest)) {
    throw apiError(400, 'JSON_PARSER_ERROR', 'The request body must be {"allOrNone": boolean, "compositeRequest": [...]}');
  }
  if (body.allOrNone !== undefined && typeof body.allOrNone !== 'boolean') {
    throw apiError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of boolean from allOrNone value ${JSON.stringify(body.allOrNone)}`);
  }
  const subrequests = body.compositeRequest.map((sub, i): Subrequest => {
    if (!isPlainObject(sub) || typeof sub.method !== 'string' || typeof sub.url !== 'string') {
      throw apiError(400, 'JSON_PARSER_ERROR', `compositeRequest[${i}] needs a method and a url`);
    }
    if (typeof sub.referenceId !== 'string' || !REFERENCE_ID.test(sub.referenceId)) {
      throw apiError(400, 'INVALID_INPUT', `compositeRequest[${i}]: referenceId is required and must start with a letter and contain only letters, digits and underscores`);
    }
    return { method: sub.method.toUpperCase(), url: sub.url, referenceId: sub.referenceId, body: sub.body };
  });
  if (subrequests.length === 0) throw apiError(400, 'INVALID_INPUT', 'compositeRequest must contain at least one subrequest');
  const ids = subrequests.map((s) => s.referenceId);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw apiError(400, 'INVALID_INPUT', `Duplicate referenceId '${duplicate}'`);
  if (subrequests.length > COMPOSITE_MAX_SUBREQUESTS) {
    throw apiError(400, 'LIMIT_EXCEEDED', `A composite request can contain at most ${COMPOSITE_MAX_SUBREQUESTS} subrequests; it had ${subrequests.length}`);
  }
  const heavy = subrequests.filter((s) => isCollectionOrQuery(s.url)).length;
  if (heavy > COMPOSITE_MAX_COLLECTIONS_OR_QUERIES) {
    throw apiError(
      400,
      'LIMIT_EXCEEDED',
      `A composite request can contain at most ${COMPOSITE_MAX_COLLECTIONS_OR_QUERIES} sObject Collections or query subrequests; it had ${heavy}`,
    );
  }
  return { allOrNone: body.allOrNone === true, subrequests };
}

/** sObject Collections (/composite/sobjects) and Query / QueryAll count against the 5. */
function isCollectionOrQuery(url: string): boolean {
  const rest = SUB_PATH.exec(url.split('?')[0]!)?.[2] ?? '';
  return /^(composite\/sobjects|query|queryAll)(\/|$)/.test(rest);
}

class UnresolvedReference extends Error {}

/** The value at `path` (".id", "[0].id", ".records[0].Id") of an earlier subrequest's body. */
function lookUp(responses: Map<string, SubResponse>, referenceId: string, path: string): unknown {
  const earlier = responses.get(referenceId);
  if (!earlier || earlier.httpStatusCode >= 400) {
    throw new UnresolvedReference(`Provided referenceId ('${referenceId}') is not valid or the result of that reference is not a successful response`);
  }
  let value: unknown = earlier.body;
  for (const step of path.match(/\.[A-Za-z0-9_]+|\[\d+\]/g) ?? []) {
    const key = step.startsWith('[') ? Number(step.slice(1, -1)) : step.slice(1);
    value = value === null || value === undefined ? undefined : (value as Record<string | number, unknown>)[key];
  }
  if (value === undefined || value === null) throw new UnresolvedReference(`No value for ${referenceId}${path} found in ${referenceId}`);
  return value;
}

function resolve(value: unknown, responses: Map<string, SubResponse>): unknown {
  if (typeof value === 'string') {
    const whole = /^@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}$/.exec(value);
    if (whole) return lookUp(responses, whole[1]!, whole[2]!);
    return value.replace(REFERENCE, (_m, ref: string, path: string) => String(lookUp(responses, ref, path)));
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, responses));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, responses)]));
  return value;
}

const halted = (referenceId: string, message: string): SubResponse => ({
  body: [{ errorCode: 'PROCESSING_HALTED', message }],
  httpHeaders: {},
  httpStatusCode: 400,
  referenceId,
});

function runSubrequest(ctx: CallContext, route: Route, sub: Subrequest, responses: Map<string, SubResponse>): SubResponse {
  let url: string;
  let body: unknown;
  try {
    url = resolve(sub.url, responses) as string;
    body = resolve(sub.body, responses);
  } catch (error) {
    if (error instanceof UnresolvedReference) return halted(sub.referenceId, error.message);
    throw error;
  }
  const path = SUB_PATH.exec(url.split('?')[0]!);
  if (!path) return { body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }], httpHeaders: {}, httpStatusCode: 404, referenceId: sub.referenceId };
  const parsed = new URL(url, 'http://sim.invalid');
  const segments = path[2]!.split('/').filter(Boolean).map(safeDecode);
  let reply: Reply;
  // Faults armed for records of an object hit them however they are sent: matched on the
  // subrequest's own method and path, as a lone request's are (an injection aid, not Salesforce behaviour).
  const faults = ctx.state.faults.forRecords({ orgId: ctx.org.orgId, method: sub.method, path: safeDecode(parsed.pathname + parsed.search) });
  try {
    if (segments[0] === 'composite' && segments[1] !== 'sobjects') throw apiError(400, 'INVALID_INPUT', 'A composite subrequest cannot be another composite request');
    reply = route({ ...ctx, faults, version: path[1]!, method: sub.method, url: parsed, body }, segments);
  } catch (error) {
    if (error instanceof RequestFailure) reply = { status: 400, body: [error.error] };
    else if (error instanceof HttpError) reply = errorReply(error);
    else throw error;
  } finally {
    faults.finish();
  }
  const id = isPlainObject(reply.body) ? reply.body.id : undefined;
  const httpHeaders: Record<string, string> = reply.status === 201 && typeof id === 'string' ? { Location: `/services/data/v${path[1]}/sobjects/${segments[1] ?? ''}/${id}` } : {};
  return { body: reply.body ?? null, httpHeaders, httpStatusCode: reply.status, referenceId: sub.referenceId };
}

/** `POST /composite`: runs the subrequests through the simulator's own routes (`route`), in order. */
export function compositeRoute(ctx: CallContext, route: Route): Reply {
  if (ctx.method !== 'POST') return methodNotAllowed(ctx.method, ['POST']);
  const { allOrNone, subrequests } = readRequest(ctx.body);
  const responses = new Map<string, SubResponse>();
  const compositeResponse = ctx.store.atomically(ctx.org, () => {
    const out: SubResponse[] = [];
    for (const sub of subrequests) {
      const response = runSubrequest(ctx, route, sub, responses);
      responses.set(sub.referenceId, response);
      out.push(response);
      if (allOrNone && response.httpStatusCode >= 400) break;
    }
    const failed = out.find((r) => r.httpStatusCode >= 400);
    if (!allOrNone || !failed) return { commit: true, value: out };
    const rolledBack = 'The transaction was rolled back since another operation in the same transaction failed.';
    return {
      commit: false,
      value: subrequests.map((sub) => (sub.referenceId === failed.referenceId ? failed : halted(sub.referenceId, rolledBack))),
    };
  });
  return { status: 200, body: { compositeResponse } };
}
