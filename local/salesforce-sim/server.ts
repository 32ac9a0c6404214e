import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleData } from './data.ts';
import { HttpError } from './errors.ts';
import { errorReply, readBody, send, type Reply } from './http.ts';
import { handleInspect } from './inspect.ts';
import { identity, tokenEndpoint } from './oauth.ts';
import type { Simulator } from './sim.ts';

const DATA_PATH = /^\/services\/data\/v(\d+\.\d+)(?:\/.*)?$/;

function versions(): Reply {
  const list = [];
  for (let major = 55; major <= 64; major++) {
    list.push({ label: `v${major}.0`, url: `/services/data/v${major}.0`, version: `${major}.0` });
  }
  return { status: 200, body: list };
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
  const raw = await readBody(req);
  const { pathname } = url;
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
  if (data) return handleData(sim.state, req, url, data[1] as string, raw);
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
