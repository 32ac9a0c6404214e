import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeIssues, glanceSessionSchema, type GlanceSession } from '../../shared/session.ts';
import { toCrrSession } from './crr.ts';

/**
 * A strict stand-in for Glance's Customer Records Retriever (CRR), speaking the documented wire
 * (help.glance.net/integrations/webservices/crr/, facts file §8): `POST /api/auth/service` with a
 * service username and password answers `{"access_token": JWT}`; `POST /api/crr/sessions/ended`
 * with `Authorization: Bearer JWT` and `{partnerId, apiKey, startDate, endDate, pageId,
 * channelBatchSize}` answers `{nextPageId, sessions}` of ended sessions. Strict on purpose:
 * whatever it lets through, a client bug could send to the real Glance.
 *
 * Undocumented, and chosen here (the client must not rely on any of it):
 * - token lifetime (default 3600 s) and that a token is refused with 401 once expired;
 * - refusals: 401 for a bad username/password or a bad/expired token, 403 for a partnerId/apiKey
 *   pair that does not match, 400 for a malformed body; bodies `{"error": "..."}`;
 * - the date range selects sessions by start time (the harder case for a client: a session that
 *   starts before a range and ends after it is listed only by a range containing its start);
 * - a range is at most 31 days (the Activity Service's documented maximum);
 * - a page holds whole sessions up to `channelBatchSize` channels (at least one session); page ids
 *   are opaque numbers; the last page has `nextPageId: null`;
 * - sessions ordered by start time, then id.
 */
export interface GlanceSimGroup {
  groupId: number;
  apiKey: string;
  /** The CRR service account with access to this group; several groups may share one. */
  username: string;
  password: string;
}

export interface GlanceSimRequest {
  method: string;
  path: string;
  /** The JSON body with apiKey and password replaced by "***". */
  body: Record<string, unknown> | null;
  status: number;
}

export type GlanceSimFault =
  | { kind: '503'; times: number }
  | { kind: '429'; times: number; retryAfterSeconds?: number }
  /** Breaks the first session of the next `times` non-empty pages (its id kept, its start time made unreadable). */
  | { kind: 'invalidSession'; times: number };

export interface GlanceSim {
  url: string;
  addGroup(group: GlanceSimGroup): void;
  /** Adds or replaces (by id) a session, served in CRR form once it has ended; refuses one the schema refuses. */
  addSession(session: GlanceSession): void;
  /** Adds a CRR item as is (its group, start and end read from it), to serve shapes our own sessions cannot make. */
  addCrrSession(groupId: number, item: Record<string, unknown>): void;
  sessions(groupId: number): GlanceSession[];
  requests(): GlanceSimRequest[];
  injectFault(fault: GlanceSimFault): void;
  /** Every token issued so far is refused as expired from now on. */
  expireTokens(): void;
  /** Lifetime of tokens issued from now on; 0 or less issues tokens that are already expired. */
  setTokenLifetime(seconds: number): void;
  reset(): void;
  stop(): Promise<void>;
}

export interface GlanceSimOptions {
  port?: number;
  host?: string;
  /** The clock tokens are issued and checked against. */
  now?: () => Date;
  tokenLifetimeSeconds?: number;
}

export const CRR_SIM_PATHS = { login: '/api/auth/service', ended: '/api/crr/sessions/ended' } as const;
const MAX_RANGE_MS = 31 * 24 * 60 * 60 * 1000;
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?Z$/;
const ZONELESS = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/;
const BODY_FIELDS = ['partnerId', 'apiKey', 'startDate', 'endDate', 'pageId', 'channelBatchSize'];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Stored {
  id: string;
  startedAt: number;
  endedAt: number | null;
  session: GlanceSession | null;
  item: Record<string, unknown>;
}

export async function startGlanceSim(options: GlanceSimOptions = {}): Promise<GlanceSim> {
  const now = options.now ?? (() => new Date());
  const signingKey = randomBytes(32);
  let tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
  let groups = new Map<number, { apiKey: string; username: string }>();
  let accounts = new Map<string, { password: string }>();
  let store = new Map<number, Map<string, Stored>>();
  let pages = new Map<string, { query: string; offset: number }>();
  let nextPage = 1_000_001;
  let tokenSerial = 0;
  let expiredThrough = 0;
  let log: GlanceSimRequest[] = [];
  let faults: Array<GlanceSimFault & { remaining: number }> = [];

  const sorted = (groupId: number): Stored[] =>
    [...(store.get(groupId)?.values() ?? [])].sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  function takeFault(kinds: Array<GlanceSimFault['kind']>): (GlanceSimFault & { remaining: number }) | undefined {
    const fault = faults.find((f) => f.remaining > 0 && kinds.includes(f.kind));
    if (fault) fault.remaining--;
    return fault;
  }

  function issueToken(username: string): string {
    const iat = Math.floor(now().getTime() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: username, iat, exp: iat + tokenLifetimeSeconds, jti: ++tokenSerial })).toString('base64url');
    return `${header}.${payload}.${createHmac('sha256', signingKey).update(`${header}.${payload}`).digest('base64url')}`;
  }

  /** The token's account, or a 401 naming what is wrong with it. */
  function verifyToken(authorization: string | undefined): string {
    const match = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
    if (!match) throw new HttpError(401, 'missing or malformed Authorization: Bearer <token>');
    const expected = createHmac('sha256', signingKey).update(`${match[1]}.${match[2]}`).digest();
    const given = Buffer.from(match[3]!, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'invalid token');
    const claims = JSON.parse(Buffer.from(match[2]!, 'base64url').toString('utf8')) as { sub: string; exp: number; jti: number };
    if (claims.exp * 1000 <= now().getTime() || claims.jti <= expiredThrough) throw new HttpError(401, 'token expired');
    return claims.sub;
  }

  function login(body: unknown): unknown {
    const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
    if (typeof username !== 'string' || typeof password !== 'string') throw new HttpError(400, 'body must be {"username": "...", "password": "..."}');
    const account = accounts.get(username);
    const ok = account && account.password.length === password.length && timingSafeEqual(Buffer.from(account.password), Buffer.from(password));
    if (!ok) throw new HttpError(401, 'invalid username or password');
    return { access_token: issueToken(username) };
  }

  function ended(body: unknown, username: string): unknown {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'body must be a JSON object');
    const request = body as Record<string, unknown>;
    const unknown = Object.keys(request).filter((k) => !BODY_FIELDS.includes(k));
    if (unknown.length) throw new HttpError(400, `unknown field ${unknown.join(', ')}`);
    const { partnerId, apiKey, pageId, channelBatchSize } = request;
    if (typeof partnerId !== 'number' || !Number.isSafeInteger(partnerId) || partnerId <= 0) throw new HttpError(400, 'partnerId must be the numeric group id');
    if (typeof apiKey !== 'string' || !apiKey) throw new HttpError(400, 'apiKey is required');
    const group = groups.get(partnerId);
    if (!group || group.apiKey !== apiKey || group.username !== username) throw new HttpError(403, 'invalid partnerId or apiKey');
    const from = instant(request.startDate, 'startDate');
    const to = instant(request.endDate, 'endDate');
    if (from >= to) throw new HttpError(400, 'startDate must be before endDate');
    if (to - from > MAX_RANGE_MS) throw new HttpError(400, 'date range is longer than 31 days');
    if (typeof channelBatchSize !== 'number' || !Number.isInteger(channelBatchSize) || channelBatchSize < 1 || channelBatchSize > 10_000) {
      throw new HttpError(400, 'channelBatchSize must be a whole number from 1 to 10000');
    }
    const query = JSON.stringify([partnerId, from, to, channelBatchSize]);
    let offset = 0;
    if (pageId !== 0) {
      const page = typeof pageId === 'number' || typeof pageId === 'string' ? pages.get(String(pageId)) : undefined;
      if (!page || page.query !== query) throw new HttpError(400, `pageId ${String(pageId)} does not belong to this query`);
      offset = page.offset;
    }
    const listed = sorted(partnerId).filter((s) => s.endedAt !== null && s.startedAt >= from && s.startedAt < to);
    const items: unknown[] = [];
    let channels = 0;
    let index = offset;
    for (; index < listed.length; index++) {
      const count = Array.isArray(listed[index]!.item.channels) ? (listed[index]!.item.channels as unknown[]).length : 0;
      if (items.length > 0 && channels + count > channelBatchSize) break;
      items.push(structuredClone(listed[index]!.item));
      channels += count;
    }
    let nextPageId: number | null = null;
    if (index < listed.length) {
      nextPageId = nextPage++;
      pages.set(String(nextPageId), { query, offset: index });
    }
    if (items.length > 0 && takeFault(['invalidSession'])) items[0] = { ...(items[0] as object), started_at: 'not a date' };
    return { nextPageId, sessions: items };
  }

  async function handle(req: IncomingMessage, text: string): Promise<{ body: unknown; parsed: unknown }> {
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    if (path !== CRR_SIM_PATHS.login && path !== CRR_SIM_PATHS.ended) throw new HttpError(404, `no route ${path}`);
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} not allowed`);
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'Content-Type must be application/json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
    const fault = takeFault(['503', '429']);
    if (fault?.kind === '503') throw new HttpError(503, 'service unavailable (injected)');
    if (fault?.kind === '429') throw new HttpError(429, 'too many requests (injected)', { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
    if (path === CRR_SIM_PATHS.login) return { body: login(parsed), parsed };
    return { body: ended(parsed, verifyToken(req.headers.authorization)), parsed };
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      void handle(req, text)
        .then(
          ({ body }) => ({ status: 200, body, headers: {} as Record<string, string> }),
          (error: unknown) =>
            error instanceof HttpError
              ? { status: error.status, body: { error: error.message }, headers: error.headers }
              : { status: 500, body: { error: error instanceof Error ? error.message : String(error) }, headers: {} },
        )
        .then((result) => {
          log.push({ method: req.method ?? '', path: new URL(req.url ?? '/', 'http://sim').pathname, body: redacted(text), status: result.status });
          const out = JSON.stringify(result.body);
          res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out), ...result.headers });
          res.end(out);
        });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  function put(groupId: number, entry: Stored): void {
    const byId = store.get(groupId) ?? new Map<string, Stored>();
    byId.set(entry.id, entry);
    store.set(groupId, byId);
  }

  return {
    url: `http://${host}:${address.port}`,
    addGroup({ groupId, apiKey, username, password }) {
      if (!Number.isSafeInteger(groupId) || groupId <= 0) throw new RangeError('groupId must be a positive whole number');
      if (!apiKey || !username || !password) throw new RangeError('apiKey, username and password must not be empty');
      groups.set(groupId, { apiKey, username });
      accounts.set(username, { password });
    },
    addSession(session) {
      const parsed = glanceSessionSchema.safeParse(session);
      if (!parsed.success) throw new RangeError(`invalid session: ${describeIssues(parsed.error)}`);
      const s = parsed.data;
      put(s.groupId, { id: s.id, startedAt: Date.parse(s.startedAt), endedAt: s.endedAt ? Date.parse(s.endedAt) : null, session: s, item: toCrrSession(s) });
    },
    addCrrSession(groupId, item) {
      const startedAt = Date.parse(String(item.started_at));
      if (!Number.isFinite(startedAt)) throw new RangeError('a CRR item needs a readable started_at');
      const endedAt = item.ended_at ? Date.parse(String(item.ended_at)) : null;
      put(groupId, { id: String(item.id), startedAt, endedAt, session: null, item: structuredClone(item) });
    },
    sessions: (groupId) => sorted(groupId).flatMap((s) => (s.session ? [structuredClone(s.session)] : [])),
    requests: () => log.map((r) => ({ ...r, body: r.body ? { ...r.body } : null })),
    injectFault(fault) {
      if (!Number.isInteger(fault.times) || fault.times < 1) throw new RangeError('times must be a positive whole number');
      faults.push({ ...fault, remaining: fault.times });
    },
    expireTokens() {
      expiredThrough = tokenSerial;
    },
    setTokenLifetime(seconds) {
      tokenLifetimeSeconds = seconds;
    },
    reset() {
      groups = new Map();
      accounts = new Map();
      store = new Map();
      pages = new Map();
      log = [];
      faults = [];
      expiredThrough = tokenSerial;
      tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function instant(value: unknown, name: string): number {
  if (typeof value !== 'string') throw new HttpError(400, `${name} is required`);
  if (ZONELESS.test(value)) throw new HttpError(400, `${name} "${value}" has no time zone (Glance would read it as US East Coast time): send UTC with Z`);
  const ms = Date.parse(value);
  if (!UTC_INSTANT.test(value) || !Number.isFinite(ms)) throw new HttpError(400, `${name} "${value}" must be an ISO-8601 UTC instant ending in Z`);
  return ms;
}

function redacted(text: string): Record<string, unknown> | null {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (!json || typeof json !== 'object') return null;
    return { ...json, ...('apiKey' in json ? { apiKey: '***' } : {}), ...('password' in json ? { password: '***' } : {}) };
  } catch {
    return null;
  }
}
