import { createHmac, randomBytes } from 'node:crypto';
import type { Reply } from './http.ts';
import type { Org, Store } from './store.ts';

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Access tokens are opaque random strings bound to one org, shaped like real ones (`00D...!...`). */
export class TokenBook {
  private readonly tokens = new Map<string, string>();

  issue(org: Org): string {
    const token = `${org.orgId.slice(0, 15)}!${randomBytes(36).toString('base64url')}`;
    this.tokens.set(token, org.orgId);
    return token;
  }

  orgOf(token: string): string | undefined {
    return this.tokens.get(token);
  }

  expire(token: string): void {
    this.tokens.delete(token);
  }

  expireOrg(orgId: string): void {
    for (const [token, owner] of this.tokens) if (owner === orgId) this.tokens.delete(token);
  }
}

const oauthError = (error: string, description: string, status = 400): Reply => ({
  status,
  body: { error, error_description: description },
});

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** JWT bearer flow; the RSA signature is not verified, everything else is. */
function orgForAssertion(store: Store, assertion: string | null): Org | Reply {
  const parts = (assertion ?? '').split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    return oauthError('invalid_grant', 'invalid assertion');
  }
  const header = decodeJson(parts[0] as string);
  const claims = decodeJson(parts[1] as string);
  if (!header || !claims) return oauthError('invalid_grant', 'invalid assertion');
  if (header.alg !== 'RS256') return oauthError('invalid_grant', 'invalid assertion: the JWT must be signed with RS256');
  const candidates = [...store.orgs.values()].filter((o) => o.config.clientId === claims.iss);
  if (candidates.length === 0) return oauthError('invalid_client_id', 'client identifier invalid');
  const sub = typeof claims.sub === 'string' ? claims.sub.toLowerCase() : undefined;
  const org = candidates.find((o) => o.config.username.toLowerCase() === sub);
  if (!org) return oauthError('invalid_grant', "user hasn't approved this consumer");
  if (!isUrl(claims.aud)) return oauthError('invalid_grant', 'audience is invalid');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
    return oauthError('invalid_grant', 'expired authorization code');
  }
  return org;
}

function orgForRefreshToken(store: Store, clientId: string | null, refreshToken: string | null): Org | Reply {
  const candidates = [...store.orgs.values()].filter((o) => o.config.clientId === clientId);
  if (candidates.length === 0) return oauthError('invalid_client_id', 'client identifier invalid');
  const org = candidates.find((o) => o.config.refreshToken !== undefined && o.config.refreshToken === refreshToken);
  return org ?? oauthError('invalid_grant', 'expired access/refresh token');
}

/** `POST /services/oauth2/token`. */
export function tokenEndpoint(store: Store, tokens: TokenBook, baseUrl: string, contentType: string, raw: string): Reply {
  if (!/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    return oauthError('invalid_request', 'the token request must be application/x-www-form-urlencoded');
  }
  const form = new URLSearchParams(raw);
  const grant = form.get('grant_type');
  let found: Org | Reply;
  if (grant === JWT_GRANT) found = orgForAssertion(store, form.get('assertion'));
  else if (grant === 'refresh_token') found = orgForRefreshToken(store, form.get('client_id'), form.get('refresh_token'));
  else return oauthError('unsupported_grant_type', 'grant type not supported');
  if ('status' in found) return found;
  const org = found;
  const id = `${baseUrl}/id/${org.orgId}/${org.userId}`;
  const issuedAt = String(Date.now());
  return {
    status: 200,
    headers: { 'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private' },
    body: {
      access_token: tokens.issue(org),
      signature: createHmac('sha256', org.config.clientId).update(id + issuedAt).digest('base64'),
      scope: grant === 'refresh_token' ? 'api refresh_token' : 'api',
      instance_url: baseUrl,
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
    },
  };
}

/** The identity URL handed out as `id`; jsforce's `identity()` reads it. */
export function identity(store: Store, baseUrl: string, orgId: string, userId: string): Reply {
  const org = store.orgs.get(orgId);
  if (!org || org.userId !== userId) return { status: 404, body: 'Bad_Id', contentType: 'text/plain' };
  return {
    status: 200,
    body: {
      id: `${baseUrl}/id/${org.orgId}/${org.userId}`,
      asserted_user: true,
      user_id: org.userId,
      organization_id: org.orgId,
      username: org.config.username,
      email: org.config.username,
      active: true,
      user_type: 'STANDARD',
      urls: {
        rest: `${baseUrl}/services/data/v{version}/`,
        sobjects: `${baseUrl}/services/data/v{version}/sobjects/`,
        query: `${baseUrl}/services/data/v{version}/query/`,
      },
    },
  };
}
