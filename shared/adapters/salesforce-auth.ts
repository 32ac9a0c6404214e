import { createSign } from 'node:crypto';
import type { SalesforceCredentials } from '../salesforce-credentials.ts';

export interface SalesforceToken {
  accessToken: string;
  instanceUrl: string;
  /** From the token answer's identity URL: .../id/{orgId}/{userId}. */
  orgId: string;
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export function jwtAssertion(credentials: Extract<SalesforceCredentials, { authType: 'jwt' }>, now: Date): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({
      iss: credentials.clientId,
      sub: credentials.username,
      aud: credentials.loginUrl.replace(/\/$/, ''),
      exp: Math.floor(now.getTime() / 1000) + 180,
    }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(credentials.privateKey);
  return `${header}.${payload}.${base64url(signature)}`;
}

/** Exchanges the org's credentials for an access token; errors never include the credentials. */
export async function requestSalesforceToken(
  credentials: SalesforceCredentials,
  options: { fetch?: typeof fetch; now?: Date } = {},
): Promise<SalesforceToken> {
  const doFetch = options.fetch ?? fetch;
  const form = new URLSearchParams();
  if (credentials.authType === 'jwt') {
    form.set('grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    form.set('assertion', jwtAssertion(credentials, options.now ?? new Date()));
  } else {
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', credentials.refreshToken);
    form.set('client_id', credentials.clientId);
    if (credentials.clientSecret) form.set('client_secret', credentials.clientSecret);
  }
  const url = `${credentials.loginUrl.replace(/\/$/, '')}/services/oauth2/token`;
  const res = await doFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Salesforce answers HTML during maintenance.
  }
  if (!res.ok) {
    const code = res.status >= 500 ? `ERROR_HTTP_${res.status}` : 'INVALID_GRANT';
    const detail = typeof body.error === 'string' ? `${body.error}: ${String(body.error_description ?? '')}` : `HTTP ${res.status}`;
    throw Object.assign(new Error(`Salesforce login at ${url} failed: ${detail}`), { errorCode: code });
  }
  const parts = String(body.id ?? '').split('/');
  return {
    accessToken: String(body.access_token),
    instanceUrl: String(body.instance_url),
    orgId: parts[parts.length - 2] ?? '',
  };
}
