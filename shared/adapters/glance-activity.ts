import { z } from 'zod';
import { crrPageSchema, fromCrrSession, isLastCrrPage, type CrrPage } from '../glance/crr-session.ts';
import { retryDelay, sleep as wait, type RetryPolicy } from '../retry.ts';
import { describeIssues, type GlanceSession } from '../session.ts';
import {
  GlanceActivityError,
  type ActivityPage,
  type GlanceActivityClient,
  type GlanceActivityCredentials,
  type InvalidSession,
  type SessionsQuery,
} from '../sync/glance-activity.ts';

/**
 * The one place that knows how Glance session activity is pulled: the Customer Records Retriever
 * (CRR), help.glance.net/integrations/webservices/crr/ (facts file §8).
 *
 * Documented: `POST {base}/api/auth/service` with `{"username","password"}` (a CRR service account
 * issued by Glance) answers `{"access_token": "<JWT>"}`; `POST {base}/api/crr/sessions/ended` with
 * `Authorization: Bearer <JWT>` and `{"partnerId","apiKey","startDate","endDate","pageId","channelBatchSize"}`
 * answers `{"nextPageId", "sessions": [...]}` listing ended sessions (clean close or not).
 * Dates are sent in UTC with `Z`: Glance reads a date without a zone as US East Coast time.
 *
 * Not documented, and handled without guessing: the JWT's lifetime (read from its `exp` claim when
 * present, else the token is kept until Glance answers 401), the largest date range (31 days, the
 * Activity Service's documented maximum, until CRR documents its own), whether the range selects
 * sessions by start or by end time (sync-cursor.ts reaches back for it), the order of sessions
 * across pages and how the last page is marked (`isLastCrrPage`), what `channelBatchSize` limits,
 * and the status codes and bodies of refusals (401 is taken as "token refused", 403 as "API key
 * refused"; Glance's own text is shown to the admin either way).
 */
export const CRR_WIRE = {
  loginPath: '/api/auth/service',
  endedSessionsPath: '/api/crr/sessions/ended',
  maxRangeMs: 31 * 24 * 60 * 60 * 1000,
  /** The value of the documented request sample. */
  defaultChannelBatchSize: 1000,
} as const;

export interface GlanceActivityClientOptions {
  /** `https://cloud.glance.net` in production (DEFAULTS.glanceApiUrl). */
  baseUrl: string;
  /** Read at the first login and again when Glance refuses a token (the secret may have been rotated). */
  credentials: () => Promise<GlanceActivityCredentials>;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Retries per request for 429, 5xx and network failures (shared/retry.ts, equal jitter); default 4. */
  maxRetries?: number;
  baseDelayMs?: number;
  /** Longest single wait; a Retry-After beyond it fails fast instead of idling the Lambda. */
  maxDelayMs?: number;
  requestTimeoutMs?: number;
  channelBatchSize?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const loginReplySchema = z.object({ access_token: z.string().min(1) });
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
/** A token this close to its expiry is renewed before use, not sent to be refused. */
const TOKEN_RENEW_MARGIN_MS = 60_000;

interface Token {
  value: string;
  /** From the JWT's `exp`; null when the token does not say. */
  expiresAt: Date | null;
  credentials: GlanceActivityCredentials;
}

type Reply = { status: number; text: string; headers: Headers };

export function createGlanceActivityClient(options: GlanceActivityClientOptions): GlanceActivityClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  const maxRetries = options.maxRetries ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const channelBatchSize = options.channelBatchSize ?? CRR_WIRE.defaultChannelBatchSize;
  const sleep = options.sleep ?? wait;
  const random = options.random ?? Math.random;
  const base = new URL(options.baseUrl);
  const url = (path: string) => new URL(base.pathname.replace(/\/+$/, '') + path, base);
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError('maxRetries must be a whole number >= 0');
  if (!Number.isInteger(channelBatchSize) || channelBatchSize < 1) throw new RangeError('channelBatchSize must be a whole number >= 1');
  const policy: RetryPolicy = { attempts: maxRetries + 1, baseDelayMs, maxDelayMs, jitter: 'equal' };
  const nextDelay = (attempt: number) => retryDelay(policy, attempt, now().getTime(), random);

  let token: Token | null = null;

  /** POSTs JSON, retrying 429, 5xx and network failures; any other answer is returned. */
  async function post(path: string, body: unknown, bearer: string | null, groupId: number): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetchImpl(url(path), {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
      } catch (error) {
        const delay = nextDelay(attempt);
        if (delay === null) {
          throw new GlanceActivityError(`Glance CRR request for group ${groupId} failed after ${attempt + 1} attempts: ${errorText(error)}`, 'network');
        }
        await sleep(delay);
        continue;
      }
      const text = await response.text().catch(() => '');
      if (!RETRYABLE_STATUSES.has(response.status)) return { status: response.status, text, headers: response.headers };
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
      const code = response.status === 429 ? 'rate_limited' : 'unavailable';
      const detail = errorDetail(text);
      if (retryAfterMs !== null && retryAfterMs > maxDelayMs) {
        throw new GlanceActivityError(`Glance asked to retry group ${groupId} after ${Math.ceil(retryAfterMs / 1000)} s (${response.status}${detail})`, code, response.status, retryAfterMs);
      }
      const delay = nextDelay(attempt);
      if (delay === null) {
        throw new GlanceActivityError(`Glance CRR for group ${groupId} still answered ${response.status} after ${attempt + 1} attempts${detail}`, code, response.status, retryAfterMs);
      }
      await sleep(retryAfterMs ?? delay);
    }
  }

  async function login(groupId: number): Promise<Token> {
    const credentials = await options.credentials();
    const reply = await post(CRR_WIRE.loginPath, { username: credentials.username, password: credentials.password }, null, groupId);
    const detail = errorDetail(reply.text);
    if (reply.status === 400 || reply.status === 401 || reply.status === 403) {
      throw new GlanceActivityError(
        `Glance refused the CRR service login of group ${groupId} (${reply.status}${detail}): check the service username and password Glance issued, then store them again (glance-sync groups credentials ${groupId} --file FILE)`,
        'login_refused',
        reply.status,
      );
    }
    if (reply.status !== 200) {
      throw new GlanceActivityError(`Glance answered the CRR service login of group ${groupId} with ${reply.status}${detail}`, 'bad_response', reply.status);
    }
    const parsed = loginReplySchema.safeParse(parseJson(reply.text));
    if (!parsed.success) throw new GlanceActivityError(`Glance's CRR service login answered without an access_token (group ${groupId})`, 'bad_response', 200);
    const expiresAt = jwtExpiry(parsed.data.access_token);
    if (expiresAt && expiresAt.getTime() <= now().getTime()) {
      throw new GlanceActivityError(
        `Glance issued a CRR service token for group ${groupId} that had already expired (expiry ${expiresAt.toISOString()}, this host's clock ${now().toISOString()}): check the clock of the host running the sync`,
        'token_refused',
      );
    }
    return { value: parsed.data.access_token, expiresAt, credentials };
  }

  async function currentToken(groupId: number, renew: boolean): Promise<Token> {
    const fresh = token && !renew && (token.expiresAt === null || token.expiresAt.getTime() - now().getTime() > TOKEN_RENEW_MARGIN_MS);
    if (!fresh) token = await login(groupId);
    return token!;
  }

  /** One page; a refused token is renewed once (documented: re-authorize on expiry), then the refusal is reported. */
  async function endedPage(groupId: number, from: Date, to: Date, pageId: number | string): Promise<CrrPage & { site: GlanceSession['site'] }> {
    let renewed = false;
    for (;;) {
      const current = await currentToken(groupId, false);
      const body = {
        partnerId: groupId,
        apiKey: current.credentials.apiKey,
        startDate: utc(from),
        endDate: utc(to),
        pageId,
        channelBatchSize,
      };
      const reply = await post(CRR_WIRE.endedSessionsPath, body, current.value, groupId);
      const detail = errorDetail(reply.text);
      if (reply.status === 200) {
        const parsed = crrPageSchema.safeParse(parseJson(reply.text));
        if (!parsed.success) {
          throw new GlanceActivityError(`Glance answered group ${groupId}'s CRR request with an unexpected body: ${describeIssues(parsed.error)}`, 'bad_response', 200);
        }
        return { ...parsed.data, site: current.credentials.site };
      }
      if (reply.status === 401 && !renewed) {
        renewed = true;
        token = null;
        continue;
      }
      if (reply.status === 401) {
        throw new GlanceActivityError(
          `Glance refused group ${groupId}'s CRR request even with a new service token (401${detail}). If Glance's answer names the token, check the clock of the host running the sync and the CRR service account; otherwise check the group's API key (glance-sync groups credentials ${groupId} --file FILE)`,
          'token_refused',
          401,
        );
      }
      if (reply.status === 403) {
        throw new GlanceActivityError(
          `Glance refused the API key of group ${groupId} (403${detail}): copy the API key from Glance (My Account > Settings) and store it again (glance-sync groups credentials ${groupId} --file FILE)`,
          'api_key_refused',
          403,
        );
      }
      throw new GlanceActivityError(
        `Glance refused group ${groupId}'s CRR request (${reply.status}${detail}); asked for ${body.startDate} to ${body.endDate}, page ${pageId}`,
        reply.status === 400 || reply.status === 404 || reply.status === 422 ? 'bad_request' : 'bad_response',
        reply.status,
      );
    }
  }

  async function* sessions(groupId: number, query: SessionsQuery): AsyncGenerator<ActivityPage, void, undefined> {
    checkGroup(groupId);
    const from = wholeSecond(checkDate(query.from, 'from'));
    const to = wholeSecond(checkDate(query.to, 'to'));
    if (query.from.getTime() > query.to.getTime()) throw new RangeError(`from (${query.from.toISOString()}) is after to (${query.to.toISOString()})`);

    for (let windowFrom = from; windowFrom < to; ) {
      const windowTo = Math.min(windowFrom + CRR_WIRE.maxRangeMs, to);
      const window = { from: new Date(windowFrom), to: new Date(windowTo) };
      let pageId: number | string = 0;
      const seen = new Set<string>();
      for (;;) {
        const page = await endedPage(groupId, window.from, window.to, pageId);
        const { sessions: found, invalid } = mapSessions(page.sessions, groupId, page.site);
        const windowDone = isLastCrrPage(page);
        yield {
          groupId,
          window,
          pageId: String(pageId),
          sessions: found,
          invalid,
          completeBefore: new Date(windowDone ? windowTo : windowFrom),
          windowDone,
          done: windowDone && windowTo >= to,
        };
        if (windowDone) break;
        seen.add(String(pageId));
        const next = page.nextPageId!;
        if (seen.has(String(next))) throw new GlanceActivityError(`Glance returned page ${next} again for group ${groupId}: refusing to loop`, 'bad_response');
        pageId = next;
      }
      windowFrom = windowTo;
    }
  }

  async function check(groupId: number, at: Date): Promise<void> {
    checkGroup(groupId);
    const to = wholeSecond(checkDate(at, 'now'));
    await endedPage(groupId, new Date(to - 3600_000), new Date(to), 0);
  }

  return { sessions, check };
}

function mapSessions(items: unknown[], groupId: number, site: GlanceSession['site']): { sessions: GlanceSession[]; invalid: InvalidSession[] } {
  const sessions: GlanceSession[] = [];
  const invalid: InvalidSession[] = [];
  for (const [index, raw] of items.entries()) {
    const mapped = fromCrrSession(raw, { groupId, site }, `sessions[${index}]`);
    if (mapped.ok) sessions.push(mapped.session);
    else invalid.push({ raw, error: mapped.error });
  }
  return { sessions, invalid };
}

/** `2026-11-22T13:14:00Z`, the documented form; boundaries are whole seconds. */
function utc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function wholeSecond(date: Date): number {
  return Math.floor(date.getTime() / 1000) * 1000;
}

/** The `exp` claim of a JWT (RFC 7519), read without verifying: only Glance verifies its tokens. */
export function jwtExpiry(jwt: string): Date | null {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? new Date(payload.exp * 1000) : null;
  } catch {
    return null;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now.getTime()) : null;
}

/** Glance's error text, cut short; the shape of CRR error bodies is not documented. */
function errorDetail(text: string): string {
  const json = parseJson(text);
  if (json && typeof json === 'object') {
    for (const key of ['error', 'message', 'error_description', 'title']) {
      const value = (json as Record<string, unknown>)[key];
      if (typeof value === 'string' && value) return `: ${value.slice(0, 300)}`;
    }
  }
  return text.trim() ? `: ${text.trim().slice(0, 300)}` : '';
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function checkGroup(groupId: number): void {
  if (!Number.isSafeInteger(groupId) || groupId <= 0) throw new RangeError(`groupId must be a positive whole number, got ${groupId}`);
}

function checkDate(value: Date, name: string): Date {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) throw new RangeError(`${name} must be a valid Date`);
  return value;
}
