import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleData } from './data.ts';
import { HttpError } from './errors.ts';
import { errorReply, readBody, send, type Reply } from './http.ts';
import { handleInspect } from './inspect.ts';
import { identity, tokenEndpoint } from './oauth.ts';
import type { Simulator } from './sim.ts';

const DATA_PATH = /^\/services\/data\/v(\d+\.\d+)(?:\/.*)?$/;

/**
 * API versions Salesforce serves (API End-of-Life Policy, as of Winter '27): 31.0 through 68.0.
 * 21.0-30.0 were retired in Summer '25 and 7.0-20.0 in Summer '22; a retired version answers
 * 410 GONE. The body of that answer is undocumented (SOAP says UNSUPPORTED_API_VERSION, so this
 * does too); a version that never existed (69.0, 62.5) answers 404 NOT_FOUND, as any unknown path.
 */
export const OLDEST_SERVED_VERSION = 31;
export const NEWEST_SERVED_VERSION = 68;

function versions(): Reply {
  const list = [];
  for (let major = OLDEST_SERVED_VERSION; major <= NEWEST_SERVED_VERSION; major++) {
    list.push({ label: `v${major}.0`, url: `/services/data/v${major}.0`, version: `${major}.0` });
  }
  return { status: 200, body: list };
}

function unservedVersion(version: string): Reply | undefined {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  if (minor === 0 && major >= 7 && major < OLDEST_SERVED_VERSION) {
    return { status: 410, body: [{ errorCode: 'UNSUPPORTED_API_VERSION', message: `API version ${version} is retired and no longer available` }] };
  }
  if (minor !== 0 || major < 7 || major > NEWEST_SERVED_VERSION) {
    return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
  }
  return undefined;
}

function identityReply(sim: Simulator, req: IncomingMessage, url: URL): Reply {
  const [, , orgId = '', userId = ''] = url.pathname.split('/');
  const header = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
  const token = header ?? url.searchParams.get('oauth_token') ?? '';
  if (sim.state.tokens.orgOf(token) !== orgId) return { status: 403, body: 'Bad_OAuth_Token', contentType: 'text/plain' };
  return identity(sim.state.store, sim.state.baseUrl, orgId, userId);
}

async function dispatch(sim: Simulator, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  // The call's transaction starts on arrival; an upsert's stays open `windowMs` more (local/salesforce-sim/races.ts).
  const txStart = sim.state.races.begin();
  const raw = await readBody(req);
  const { pathname } = url;
  if (method === 'PATCH' && pathname.includes('/composite/sobjects/') && sim.state.races.windowMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, sim.state.races.windowMs));
  }
  if (pathname === '/services/oauth2/token') {
    if (method !== 'POST') return { status: 405, body: { error: 'invalid_request', error_description: 'must use HTTP POST' } };
    return tokenEndpoint(sim.state.store, sim.state.tokens, sim.state.baseUrl, String(req.headers['content-type'] ?? ''), raw);
  }
  if (pathname === '/services/oauth2/revoke' && method === 'POST') {
    sim.state.tokens.expire(new URLSearchParams(raw).get('token') ?? '');
    return { status: 200 };
  }
  if (pathname.startsWith('/id/') && method === 'GET') return identityReply(sim, req, url);
  if (pathname.startsWith('/__sim/')) return handleInspect(sim, method, url, raw);
  if ((pathname === '/services/data' || pathname === '/services/data/') && method === 'GET') return versions();
  const data = DATA_PATH.exec(pathname);
  if (data) return unservedVersion(data[1] as string) ?? handleData(sim.state, req, url, data[1] as string, raw, txStart);
  return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
}

export function createSimServer(sim: Simulator): Server {
  // Room for long query URLs, so the simulator (not Node) decides when one is too long.
  return createServer({ maxHeaderSize: 64 * 1024 }, (req: IncomingMessage, res: ServerResponse) => {
    dispatch(sim, req)
      .then((reply) => send(res, reply))
      .catch((error: unknown) => {
        if (error instanceof HttpError) return send(res, errorReply(error));
        send(res, { status: 500, body: [{ errorCode: 'UNKNOWN_EXCEPTION', message: String((error as Error)?.stack ?? error) }] });
      });
  });
}
