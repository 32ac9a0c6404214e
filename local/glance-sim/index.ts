import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GLANCE_ACTIVITY_WIRE } from '../../shared/adapters/glance-activity.ts';
import { verifyLoginKey } from '../../shared/glance/login-key.ts';
import { describeIssues, glanceSessionSchema, GLANCE_SITES, type GlanceSession } from '../../shared/session.ts';

/**
 * A strict stand-in for the Glance activity endpoint, speaking the wire format defined in
 * shared/adapters/glance-activity.ts. Strict on purpose: whatever it lets through, a client
 * bug could send to the real Glance.
 */
export interface GlanceSimGroup {
  groupId: number;
  apiKey: string;
  partnerUserIds: string[];
}

export interface GlanceSimRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
}

export type GlanceSimFault =
  | { kind: '503'; times: number }
  | { kind: '429'; times: number; retryAfterSeconds?: number }
  /** Breaks the first session of the next `times` non-empty pages (id and startedAt kept). */
  | { kind: 'invalidSession'; times: number };

export interface GlanceSim {
  url: string;
  addGroup(group: GlanceSimGroup): void;
  /** Adds or replaces (by id) a session; refuses one the schema refuses. */
  addSession(session: GlanceSession): void;
  sessions(groupId: number): GlanceSession[];
  requests(): GlanceSimRequest[];
  injectFault(fault: GlanceSimFault): void;
  reset(): void;
  stop(): Promise<void>;
}

export interface GlanceSimOptions {
  port?: number;
  host?: string;
  /** The clock login keys are checked against. */
  now?: () => Date;
}

const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const ZONELESS_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface CursorState {
  q: string;
  startedAt: number;
  id: string;
}

export async function startGlanceSim(options: GlanceSimOptions = {}): Promise<GlanceSim> {
  const now = options.now ?? (() => new Date());
  const groups = new Map<number, { apiKey: string; partnerUserIds: Set<string> }>();
  const store = new Map<number, Map<string, GlanceSession>>();
  let log: GlanceSimRequest[] = [];
  let faults: Array<GlanceSimFault & { remaining: number }> = [];

  const sorted = (groupId: number): GlanceSession[] =>
    [...(store.get(groupId)?.values() ?? [])].sort(
      (a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );

  function takeFault(kinds: Array<GlanceSimFault['kind']>): (GlanceSimFault & { remaining: number }) | undefined {
    const fault = faults.find((f) => f.remaining > 0 && kinds.includes(f.kind));
    if (fault) fault.remaining--;
    return fault;
  }

  function handle(req: IncomingMessage): { status: number; body: unknown; headers?: Record<string, string> } {
    const url = new URL(req.url ?? '/', 'http://sim');
    const match = GLANCE_ACTIVITY_WIRE.pathPattern.exec(url.pathname);
    if (!match) throw new HttpError(404, `no route ${url.pathname}`);
    if (req.method !== 'GET') throw new HttpError(405, `${req.method} not allowed`);

    const fault = takeFault(['503', '429']);
    if (fault?.kind === '503') throw new HttpError(503, 'service unavailable (injected)');
    if (fault?.kind === '429') {
      throw new HttpError(429, 'too many requests (injected)', { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
    }

    const groupId = Number(match[1]);
    const group = Number.isSafeInteger(groupId) && groupId > 0 ? groups.get(groupId) : undefined;
    if (!group) throw new HttpError(404, `unknown group ${match[1]}`);
    authenticate(req, groupId, group);

    const query = readQuery(url.searchParams);
    const q = JSON.stringify([groupId, query.from, query.to, query.site ?? null]);
    let after: CursorState | null = null;
    if (query.cursor !== undefined) {
      after = decodeCursor(query.cursor);
      if (after.q !== q) throw new HttpError(400, 'cursor does not belong to this query (group, from, to, site)');
    }

    const candidates = sorted(groupId).filter((s) => {
      const startedAt = Date.parse(s.startedAt);
      if (startedAt < query.fromMs || startedAt >= query.toMs) return false;
      if (query.site && s.site !== query.site) return false;
      return !after || startedAt > after.startedAt || (startedAt === after.startedAt && s.id > after.id);
    });
    const page: unknown[] = candidates.slice(0, query.pageSize).map((s) => structuredClone(s));
    const last = candidates[query.pageSize - 1];
    const nextCursor =
      candidates.length > query.pageSize && last ? encodeCursor({ q, startedAt: Date.parse(last.startedAt), id: last.id }) : null;
    if (page.length > 0 && takeFault(['invalidSession'])) {
      page[0] = { ...(page[0] as GlanceSession), type: 'Z', unexpectedField: true };
    }
    return { status: 200, body: { sessions: page, nextCursor } };
  }

  function authenticate(req: IncomingMessage, groupId: number, group: { apiKey: string; partnerUserIds: Set<string> }): void {
    const partnerId = header(req, GLANCE_ACTIVITY_WIRE.headers.partnerId);
    const partnerUserId = header(req, GLANCE_ACTIVITY_WIRE.headers.partnerUserId);
    const authorization = header(req, GLANCE_ACTIVITY_WIRE.headers.authorization);
    if (!partnerId || !partnerUserId || !authorization) {
      throw new HttpError(401, 'missing X-Glance-Partner-Id, X-Glance-Partner-User-Id or Authorization header');
    }
    if (partnerId !== String(groupId)) throw new HttpError(401, `partner id ${partnerId} does not match group ${groupId}`);
    if (!group.partnerUserIds.has(partnerUserId)) throw new HttpError(401, `unknown partner user id for group ${groupId}`);
    const [scheme, loginKey, ...rest] = authorization.split(' ');
    if (scheme !== GLANCE_ACTIVITY_WIRE.authScheme || !loginKey || rest.length > 0) {
      throw new HttpError(401, `Authorization must be "${GLANCE_ACTIVITY_WIRE.authScheme} <login key>"`);
    }
    const verdict = verifyLoginKey(loginKey, { partnerId: groupId, partnerUserId, apiKey: group.apiKey, now: now() });
    if (!verdict.ok) throw new HttpError(401, verdict.reason);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    let result: { status: number; body: unknown; headers?: Record<string, string> };
    try {
      result = handle(req);
    } catch (error) {
      result =
        error instanceof HttpError
          ? { status: error.status, body: { error: error.message }, headers: error.headers }
          : { status: 500, body: { error: error instanceof Error ? error.message : String(error) } };
    }
    log.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), status: result.status });
    const text = JSON.stringify(result.body);
    res.writeHead(result.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...result.headers });
    res.end(text);
    req.resume();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    addGroup({ groupId, apiKey, partnerUserIds }) {
      if (!Number.isSafeInteger(groupId) || groupId <= 0) throw new RangeError('groupId must be a positive whole number');
      if (!apiKey) throw new RangeError('apiKey must not be empty');
      groups.set(groupId, { apiKey, partnerUserIds: new Set(partnerUserIds) });
    },
    addSession(session) {
      const parsed = glanceSessionSchema.safeParse(session);
      if (!parsed.success) throw new RangeError(`invalid session: ${describeIssues(parsed.error)}`);
      const byId = store.get(parsed.data.groupId) ?? new Map<string, GlanceSession>();
      byId.set(parsed.data.id, parsed.data);
      store.set(parsed.data.groupId, byId);
    },
    sessions: (groupId) => sorted(groupId).map((s) => structuredClone(s)),
    requests: () => log.map((r) => ({ ...r, query: { ...r.query } })),
    injectFault(fault) {
      if (!Number.isInteger(fault.times) || fault.times < 1) throw new RangeError('times must be a positive whole number');
      faults.push({ ...fault, remaining: fault.times });
    },
    reset() {
      groups.clear();
      store.clear();
      log = [];
      faults = [];
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

interface ActivityQuery {
  from: string;
  to: string;
  fromMs: number;
  toMs: number;
  site?: string;
  pageSize: number;
  cursor?: string;
}

function readQuery(params: URLSearchParams): ActivityQuery {
  const allowed: readonly string[] = GLANCE_ACTIVITY_WIRE.queryParams;
  for (const key of new Set(params.keys())) {
    if (!allowed.includes(key)) throw new HttpError(400, `unknown query parameter ${key}`);
    if (params.getAll(key).length > 1) throw new HttpError(400, `query parameter ${key} given more than once`);
  }
  const from = instant(params.get('from'), 'from');
  const to = instant(params.get('to'), 'to');
  if (from.ms >= to.ms) throw new HttpError(400, 'from must be before to');
  if (to.ms - from.ms > GLANCE_ACTIVITY_WIRE.maxRangeMs) throw new HttpError(400, 'range from..to is longer than 31 days');
  const site = params.get('site') ?? undefined;
  if (site !== undefined && !(GLANCE_SITES as readonly string[]).includes(site)) {
    throw new HttpError(400, `site must be one of ${GLANCE_SITES.join(', ')}`);
  }
  const rawPageSize = params.get('pageSize');
  const pageSize = rawPageSize === null ? GLANCE_ACTIVITY_WIRE.defaultPageSize : Number(rawPageSize);
  if (!/^\d+$/.test(rawPageSize ?? '1') || pageSize < 1 || pageSize > GLANCE_ACTIVITY_WIRE.maxPageSize) {
    throw new HttpError(400, `pageSize must be a whole number from 1 to ${GLANCE_ACTIVITY_WIRE.maxPageSize}`);
  }
  const cursor = params.get('cursor') ?? undefined;
  return { from: from.text, to: to.text, fromMs: from.ms, toMs: to.ms, pageSize, ...(site ? { site } : {}), ...(cursor !== undefined ? { cursor } : {}) };
}

function instant(value: string | null, name: string): { text: string; ms: number } {
  if (value === null) throw new HttpError(400, `${name} is required`);
  if (ZONELESS_INSTANT.test(value)) {
    throw new HttpError(400, `${name} "${value}" has no time zone (it would be read as US Eastern): send UTC with a Z suffix`);
  }
  const ms = Date.parse(value);
  if (!UTC_INSTANT.test(value) || !Number.isFinite(ms)) throw new HttpError(400, `${name} "${value}" must be an ISO-8601 UTC instant ending in Z`);
  return { text: value, ms };
}

function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): CursorState {
  try {
    const state = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorState>;
    if (typeof state.q === 'string' && typeof state.startedAt === 'number' && typeof state.id === 'string') {
      return { q: state.q, startedAt: state.startedAt, id: state.id };
    }
  } catch {
    // reported below
  }
  throw new HttpError(400, 'malformed cursor');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
