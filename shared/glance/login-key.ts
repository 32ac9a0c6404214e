import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Glance login keys (BRIEF: "Glance login key"): `$1$<expiry>$<signature>`, where the signature is
 * base64url (no padding) of HMAC-SHA256(apiKey, partnerId + partnerUserId + "1" + expiry).
 */
export const LOGIN_KEY_VERSION = '1';
export const DEFAULT_LOGIN_KEY_LIFETIME_SECONDS = 3600;
/** Glance refuses keys that expire more than about a day ahead. */
export const MAX_LOGIN_KEY_LIFETIME_SECONDS = 86_400;
/** Verifier's allowance for the signer's clock running ahead of its own. */
export const LOGIN_KEY_CLOCK_SKEW_SECONDS = 300;

export interface LoginKeySubject {
  partnerId: number | string;
  partnerUserId: string;
  apiKey: string;
}

export interface MakeLoginKeyInput extends LoginKeySubject {
  now: Date;
  lifetimeSeconds?: number;
}

export type LoginKeyVerdict = { ok: true } | { ok: false; reason: string };

const LOGIN_KEY_PATTERN = /^\$1\$(\d{1,12})\$([A-Za-z0-9_-]{43})$/;

export function makeLoginKey(input: MakeLoginKeyInput): { loginKey: string; expiresAt: Date } {
  const { partnerId, partnerUserId } = checkSubject(input);
  const lifetime = input.lifetimeSeconds ?? DEFAULT_LOGIN_KEY_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime <= 0) {
    throw new RangeError(`login key lifetime must be a positive whole number of seconds, got ${lifetime}`);
  }
  const expiry = unixSeconds(input.now, 'now') + Math.min(lifetime, MAX_LOGIN_KEY_LIFETIME_SECONDS);
  const signature = sign(input.apiKey, partnerId, partnerUserId, expiry);
  return { loginKey: `$${LOGIN_KEY_VERSION}$${expiry}$${signature}`, expiresAt: new Date(expiry * 1000) };
}

export function verifyLoginKey(loginKey: string, input: LoginKeySubject & { now: Date }): LoginKeyVerdict {
  const { partnerId, partnerUserId } = checkSubject(input);
  const match = LOGIN_KEY_PATTERN.exec(loginKey);
  if (!match) return { ok: false, reason: 'malformed login key: expected $1$<expiry>$<signature>' };
  const expiry = Number(match[1]);
  const presented = Buffer.from(match[2]!, 'utf8');
  const expected = Buffer.from(sign(input.apiKey, partnerId, partnerUserId, expiry), 'utf8');
  // Signature before expiry, so a forger learns nothing from which check failed.
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, reason: 'login key signature does not match' };
  }
  const now = unixSeconds(input.now, 'now');
  if (expiry <= now) return { ok: false, reason: 'login key expired' };
  if (expiry > now + MAX_LOGIN_KEY_LIFETIME_SECONDS + LOGIN_KEY_CLOCK_SKEW_SECONDS) {
    return { ok: false, reason: 'login key expiry is too far ahead (more than a day)' };
  }
  return { ok: true };
}

function sign(apiKey: string, partnerId: string, partnerUserId: string, expiry: number): string {
  return createHmac('sha256', apiKey)
    .update(`${partnerId}${partnerUserId}${LOGIN_KEY_VERSION}${expiry}`, 'utf8')
    .digest('base64url');
}

function checkSubject(input: LoginKeySubject): { partnerId: string; partnerUserId: string } {
  const partnerId = String(input.partnerId);
  if (!/^[1-9]\d{0,15}$/.test(partnerId)) throw new RangeError('partnerId must be a positive whole number (the Glance group id)');
  if (typeof input.partnerUserId !== 'string' || input.partnerUserId.length === 0) {
    throw new RangeError('partnerUserId must be a non-empty string');
  }
  if (typeof input.apiKey !== 'string' || input.apiKey.length === 0) throw new RangeError('apiKey must be a non-empty string');
  return { partnerId, partnerUserId: input.partnerUserId };
}

function unixSeconds(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${name} must be a valid Date`);
  return Math.floor(ms / 1000);
}
