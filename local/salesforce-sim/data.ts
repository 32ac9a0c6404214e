import type { IncomingMessage } from 'node:http';
import { chatterRoute } from './chatter.ts';
import { collectionsRoute } from './collections.ts';
import { compositeRoute } from './composite.ts';
import type { CallContext, SimState } from './context.ts';
import { HttpError, RequestFailure } from './errors.ts';
import { errorReply, notFound, parseJsonBody, safeDecode, type Reply } from './http.ts';
import { queryRoute } from './soql/route.ts';
import { methodNotAllowed, sobjectsRoute } from './sobjects.ts';
import type { Org } from './store.ts';

const INVALID_SESSION = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];
const LIMIT_EXCEEDED = [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }];
const MAINTENANCE_PAGE =
  '<html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request due to maintenance downtime or capacity problems.</p></body></html>';
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
// Salesforce refuses a URI (or URI plus headers) over 16,384 bytes: a query checking many emails must be split.
const MAX_URI = 16_384;

function bearer(req: IncomingMessage): string | undefined {
  const m = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

/** Refused at the edge, before authentication or counting: URI, or URI plus headers, over 16,384 bytes. */
function oversizeRequest(req: IncomingMessage): Reply | undefined {
  const uri = Buffer.byteLength(req.url ?? '');
  if (uri > MAX_URI) return { status: 414, body: [{ errorCode: 'URI_TOO_LONG', message: `The request URI is longer than ${MAX_URI} bytes` }] };
  const headers = req.rawHeaders.reduce((n, h) => n + Buffer.byteLength(h) + 2, 0);
  if (uri + headers > MAX_URI) {
    return { status: 431, body: [{ errorCode: 'REQUEST_HEADER_FIELDS_TOO_LARGE', message: `The request URI and headers exceed ${MAX_URI} bytes` }] };
  }
  return undefined;
}

const limitHeader = (org: Org) => ({ 'Sforce-Limit-Info': `api-usage=${org.apiUsed}/${org.dailyApiLimit}` });

function route(ctx: CallContext, segments: string[]): Reply {
  const [head, ...tail] = segments;
  switch (head) {
    case undefined:
      if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ['GET']);
      return {
        status: 200,
        body: Object.fromEntries(
          ['sobjects', 'query', 'queryAll', 'limits', 'composite', 'chatter'].map((k) => [k, `/services/data/v${ctx.version}/${k}`]),
        ),
      };
    case 'sobjects':
      return sobjectsRoute(ctx, tail);
    case 'query':
    case 'queryAll':
      return queryRoute(ctx, segments);
    case 'composite':
      if (tail.length === 0) return compositeRoute(ctx, route);
      if (tail[0] !== 'sobjects') throw notFound();
      return collectionsRoute(ctx, tail.slice(1));
    case 'chatter':
      return chatterRoute(ctx, tail);
    case 'limits': {
      if (ctx.method !== 'GET' || tail.length) throw notFound();
      const { apiUsed, dailyApiLimit } = ctx.org;
      return { status: 200, body: { DailyApiRequests: { Max: dailyApiLimit, Remaining: Math.max(0, dailyApiLimit - apiUsed) } } };
    }
    default:
      throw notFound();
  }
}

/**
 * One call under `/services/data/vNN.N/`: authenticate, apply whole-request faults and the daily
 * limit, count it, then route it. Only calls that reach the org's API are counted.
 */
export function handleData(state: SimState, req: IncomingMessage, url: URL, version: string, rawBody: string, txStart = state.races.begin()): Reply {
  const tooLarge = oversizeRequest(req);
  if (tooLarge) return tooLarge;
  const token = bearer(req);
  const orgId = token ? state.tokens.orgOf(token) : undefined;
  const org = orgId ? state.store.orgs.get(orgId) : undefined;
  if (!token || !org) return { status: 401, body: INVALID_SESSION };
  const method = (req.method ?? 'GET').toUpperCase();
  const path = safeDecode(url.pathname + url.search);
  const info = { orgId: org.orgId, method, path };
  const requestFault = state.faults.take(info, ['EXPIRED_SESSION', 'SERVICE_UNAVAILABLE', 'REQUEST_LIMIT_EXCEEDED']);
  if (requestFault === 'EXPIRED_SESSION') {
    state.tokens.expire(token);
    return { status: 401, body: INVALID_SESSION };
  }
  if (requestFault === 'SERVICE_UNAVAILABLE') return { status: 503, body: MAINTENANCE_PAGE, contentType: 'text/html' };
  if (requestFault === 'REQUEST_LIMIT_EXCEEDED' || org.apiUsed >= org.dailyApiLimit) {
    return { status: 403, body: LIMIT_EXCEEDED, headers: limitHeader(org) };
  }
  org.apiUsed += 1;
  const entry = { method, path, status: 0 };
  org.callLog.push(entry);
  const recordFaults = state.faults.forRecords(info);
  let reply: Reply;
  try {
    const ctx: CallContext = {
      state,
      store: state.store,
      org,
      faults: recordFaults,
      race: { races: state.races, start: txStart },
      version,
      method,
      url,
      headers: req.headers,
      body: WRITE_METHODS.has(method) ? parseJsonBody(req, rawBody) : undefined,
    };
    const rest = url.pathname.replace(/^\/services\/data\/v\d+\.\d+\/?/, '');
    const segments = rest.split('/').filter(Boolean).map(safeDecode);
    reply = route(ctx, segments);
  } catch (error) {
    if (error instanceof RequestFailure) reply = { status: 400, body: [error.error] };
    else if (error instanceof HttpError) reply = errorReply(error);
    else throw error;
  } finally {
    recordFaults.finish();
  }
  entry.status = reply.status;
  return { ...reply, headers: { ...(reply.headers ?? {}), ...limitHeader(org) } };
}
