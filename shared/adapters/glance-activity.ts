import { z } from 'zod';
import { makeLoginKey } from '../glance/login-key.ts';
import { describeIssues, glanceSessionSchema, GLANCE_SITES, type GlanceSession } from '../session.ts';

/**
 * The one place that knows the Glance activity endpoint's wire format (BRIEF: "sits behind one
 * adapter"). Glance's real wire details are not public to us, so this is our contract; the local
 * simulator imports these constants to serve exactly what this client sends.
 */
export const GLANCE_ACTIVITY_WIRE = {
  sessionsPath: (groupId: number | string) => `/api/v1/groups/${encodeURIComponent(String(groupId))}/sessions`,
  pathPattern: /^\/api\/v1\/groups\/([^/]+)\/sessions$/,
  headers: {
    partnerId: 'x-glance-partner-id',
    partnerUserId: 'x-glance-partner-user-id',
    authorization: 'authorization',
  },
  authScheme: 'GlanceLoginKey',
  queryParams: ['site', 'from', 'to', 'pageSize', 'cursor'] as const,
  maxRangeMs: 31 * 24 * 60 * 60 * 1000,
  maxPageSize: 500,
  defaultPageSize: 100,
} as const;

export type GlanceSite = (typeof GLANCE_SITES)[number];

export interface GlanceActivityCredentials {
  partnerId: number | string;
  partnerUserId: string;
  apiKey: string;
  loginKeyLifetimeSeconds?: number;
}

export interface GlanceActivityClientOptions {
  baseUrl: string;
  credentials: () => Promise<GlanceActivityCredentials>;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Retries per request for 429, 5xx and network failures; default 4. */
  maxRetries?: number;
  baseDelayMs?: number;
  /** Longest single wait; a Retry-After beyond it fails fast instead of idling the Lambda. */
  maxDelayMs?: number;
  requestTimeoutMs?: number;
  pageSize?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface InvalidSession {
  raw: unknown;
  error: string;
}

export interface ActivityPage {
  groupId: number;
  /** The window being read; windows tile [from, to) in order, each at most 31 days. */
  window: { from: Date; to: Date };
  /** The cursor this page was asked for with; null on a window's first page. */
  pageCursor: string | null;
  sessions: GlanceSession[];
  /** Items that failed the schema (or belong to another group): dead-letter them, never drop. */
  invalid: InvalidSession[];
  /**
   * Every session that started in [from, completeBefore) has now been yielded, on this page or an
   * earlier one. Once this page is handled, a watermark may move here; a later pull from it
   * re-reads sessions starting exactly at it, so the consumer must be idempotent.
   */
  completeBefore: Date;
  windowDone: boolean;
  /** The last page of the whole range. */
  done: boolean;
}

export interface SessionsQuery {
  from: Date;
  to: Date;
  site?: GlanceSite;
  pageSize?: number;
}

export type GlanceActivityErrorCode = 'unauthorized' | 'bad_request' | 'not_found' | 'rate_limited' | 'unavailable' | 'bad_response' | 'network' | 'config';

export class GlanceActivityError extends Error {
  override readonly name = 'GlanceActivityError';
  constructor(
    message: string,
    readonly code: GlanceActivityErrorCode,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

export interface GlanceActivityClient {
  sessions(groupId: number, query: SessionsQuery): AsyncGenerator<ActivityPage, void, undefined>;
}

const responseSchema = z.object({
  sessions: z.array(z.unknown()),
  nextCursor: z.string().min(1).nullable(),
});

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

export function createGlanceActivityClient(options: GlanceActivityClientOptions): GlanceActivityClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  const maxRetries = options.maxRetries ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const base = new URL(options.baseUrl);
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError('maxRetries must be a whole number >= 0');
  checkPageSize(options.pageSize ?? GLANCE_ACTIVITY_WIRE.defaultPageSize);

  let cached: { credentials: GlanceActivityCredentials; loginKey: string; expiresAt: Date } | null = null;

  async function auth(forceRefresh: boolean): Promise<{ credentials: GlanceActivityCredentials; loginKey: string }> {
    const at = now();
    if (!forceRefresh && cached && cached.expiresAt.getTime() - at.getTime() > reuseMarginMs(cached.credentials)) return cached;
    // A refused key may mean the secret was rotated, so a forced refresh re-reads credentials too.
    const credentials = forceRefresh || !cached ? await options.credentials() : cached.credentials;
    const { loginKey, expiresAt } = makeLoginKey({
      partnerId: credentials.partnerId,
      partnerUserId: credentials.partnerUserId,
      apiKey: credentials.apiKey,
      now: at,
      ...(credentials.loginKeyLifetimeSeconds === undefined ? {} : { lifetimeSeconds: credentials.loginKeyLifetimeSeconds }),
    });
    cached = { credentials, loginKey, expiresAt };
    return cached;
  }

  async function getPage(groupId: number, params: URLSearchParams): Promise<z.infer<typeof responseSchema>> {
    const url = new URL(base.pathname.replace(/\/+$/, '') + GLANCE_ACTIVITY_WIRE.sessionsPath(groupId), base);
    url.search = params.toString();
    let reauthenticated = false;
    for (let attempt = 0; ; attempt++) {
      const { credentials, loginKey } = await auth(false);
      if (String(credentials.partnerId) !== String(groupId)) {
        throw new GlanceActivityError(
          `Glance credentials are for group ${credentials.partnerId}, not group ${groupId}: check which secret the org points at`,
          'config',
        );
      }
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'GET',
          headers: {
            accept: 'application/json',
            [GLANCE_ACTIVITY_WIRE.headers.partnerId]: String(groupId),
            [GLANCE_ACTIVITY_WIRE.headers.partnerUserId]: credentials.partnerUserId,
            [GLANCE_ACTIVITY_WIRE.headers.authorization]: `${GLANCE_ACTIVITY_WIRE.authScheme} ${loginKey}`,
          },
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
      } catch (error) {
        if (attempt >= maxRetries) {
          throw new GlanceActivityError(`Glance activity request for group ${groupId} failed after ${attempt + 1} attempts: ${errorText(error)}`, 'network');
        }
        await sleep(backoff(attempt));
        continue;
      }
      const text = await response.text().catch(() => '');
      if (response.ok) return parseBody(text, groupId);
      const detail = errorDetail(text);
      if (response.status === 401) {
        if (!reauthenticated) {
          reauthenticated = true;
          await auth(true);
          attempt--; // a re-read of credentials is not a retry
          continue;
        }
        throw new GlanceActivityError(
          `Glance refused the login key for partner user "${credentials.partnerUserId}" of group ${groupId} (401${detail}): check the API key, the Partner User ID and the clock`,
          'unauthorized',
          401,
        );
      }
      if (RETRYABLE_STATUSES.has(response.status)) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
        const code = response.status === 429 ? 'rate_limited' : 'unavailable';
        if (retryAfterMs !== null && retryAfterMs > maxDelayMs) {
          throw new GlanceActivityError(`Glance asked to retry group ${groupId} after ${Math.ceil(retryAfterMs / 1000)} s (${response.status}${detail})`, code, response.status, retryAfterMs);
        }
        if (attempt >= maxRetries) {
          throw new GlanceActivityError(`Glance activity for group ${groupId} still ${response.status} after ${attempt + 1} attempts${detail}`, code, response.status, retryAfterMs);
        }
        await sleep(retryAfterMs ?? backoff(attempt));
        continue;
      }
      if (response.status === 404) throw new GlanceActivityError(`Glance does not know group ${groupId} (404${detail})`, 'not_found', 404);
      throw new GlanceActivityError(
        `Glance refused the activity request for group ${groupId} (${response.status}${detail}); query ${params.toString()}`,
        response.status >= 400 && response.status < 500 ? 'bad_request' : 'bad_response',
        response.status,
      );
    }
  }

  function backoff(attempt: number): number {
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  async function* sessions(groupId: number, query: SessionsQuery): AsyncGenerator<ActivityPage, void, undefined> {
    if (!Number.isSafeInteger(groupId) || groupId <= 0) throw new RangeError(`groupId must be a positive whole number, got ${groupId}`);
    const from = checkDate(query.from, 'from').getTime();
    const to = checkDate(query.to, 'to').getTime();
    if (from > to) throw new RangeError(`from (${query.from.toISOString()}) is after to (${query.to.toISOString()})`);
    if (query.site !== undefined && !(GLANCE_SITES as readonly string[]).includes(query.site)) {
      throw new RangeError(`site must be one of ${GLANCE_SITES.join(', ')}`);
    }
    const pageSize = checkPageSize(query.pageSize ?? options.pageSize ?? GLANCE_ACTIVITY_WIRE.defaultPageSize);

    for (let windowFrom = from; windowFrom < to; ) {
      const windowTo = Math.min(windowFrom + GLANCE_ACTIVITY_WIRE.maxRangeMs, to);
      const window = { from: new Date(windowFrom), to: new Date(windowTo) };
      let cursor: string | null = null;
      let completeBefore = windowFrom;
      const seenCursors = new Set<string>();
      for (;;) {
        const params = new URLSearchParams();
        if (query.site) params.set('site', query.site);
        // toISOString is always UTC with Z; Glance reads zone-less times as US Eastern.
        params.set('from', window.from.toISOString());
        params.set('to', window.to.toISOString());
        params.set('pageSize', String(pageSize));
        if (cursor !== null) params.set('cursor', cursor);
        const body = await getPage(groupId, params);
        const page = splitValid(body.sessions, groupId);
        const nextCursor = body.nextCursor;
        if (nextCursor !== null && (nextCursor === cursor || seenCursors.has(nextCursor))) {
          throw new GlanceActivityError(`Glance returned a repeated cursor for group ${groupId}: refusing to loop`, 'bad_response');
        }
        const windowDone = nextCursor === null;
        // Mid-window, sessions sharing the last start instant may continue on the next page.
        completeBefore = windowDone ? windowTo : Math.min(windowTo, Math.max(completeBefore, page.lastStartedAt ?? completeBefore));
        yield {
          groupId,
          window,
          pageCursor: cursor,
          sessions: page.sessions,
          invalid: page.invalid,
          completeBefore: new Date(completeBefore),
          windowDone,
          done: windowDone && windowTo >= to,
        };
        if (windowDone) break;
        seenCursors.add(nextCursor);
        cursor = nextCursor;
      }
      windowFrom = windowTo;
    }
  }

  return { sessions };
}

function splitValid(items: unknown[], groupId: number): { sessions: GlanceSession[]; invalid: InvalidSession[]; lastStartedAt: number | null } {
  const sessions: GlanceSession[] = [];
  const invalid: InvalidSession[] = [];
  let lastStartedAt: number | null = null;
  for (const [index, raw] of items.entries()) {
    const parsed = glanceSessionSchema.safeParse(raw);
    if (!parsed.success) {
      invalid.push({ raw, error: describeIssues(parsed.error, `sessions[${index}]`) });
    } else if (parsed.data.groupId !== groupId) {
      invalid.push({ raw, error: `sessions[${index}].groupId: ${parsed.data.groupId} is not the requested group ${groupId}` });
    } else {
      sessions.push(parsed.data);
      const startedAt = Date.parse(parsed.data.startedAt);
      lastStartedAt = lastStartedAt === null ? startedAt : Math.max(lastStartedAt, startedAt);
    }
  }
  return { sessions, invalid, lastStartedAt };
}

function parseBody(text: string, groupId: number): z.infer<typeof responseSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GlanceActivityError(`Glance answered group ${groupId} with a body that is not JSON`, 'bad_response', 200);
  }
  const parsed = responseSchema.safeParse(json);
  if (!parsed.success) {
    throw new GlanceActivityError(`Glance answered group ${groupId} with an unexpected body: ${describeIssues(parsed.error)}`, 'bad_response', 200);
  }
  return parsed.data;
}

function reuseMarginMs(credentials: GlanceActivityCredentials): number {
  const lifetimeMs = Math.min(credentials.loginKeyLifetimeSeconds ?? 3600, 86_400) * 1000;
  return Math.min(60_000, lifetimeMs / 2);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now.getTime()) : null;
}

function errorDetail(text: string): string {
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === 'object' && 'error' in json && typeof json.error === 'string') return `: ${json.error.slice(0, 300)}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text ? `: ${text.slice(0, 300)}` : '';
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function checkPageSize(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > GLANCE_ACTIVITY_WIRE.maxPageSize) {
    throw new RangeError(`pageSize must be a whole number from 1 to ${GLANCE_ACTIVITY_WIRE.maxPageSize}`);
  }
  return pageSize;
}

function checkDate(value: Date, name: string): Date {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) throw new RangeError(`${name} must be a valid Date`);
  return value;
}
