import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeLoginKey, verifyLoginKey } from '../../shared/glance/login-key.ts';

const subject = { partnerId: 12345, partnerUserId: 'agent-17', apiKey: 'test-api-key-0123456789' };
const now = new Date('2026-11-22T13:14:00.750Z');
const nowSeconds = 1_795_353_240; // 2026-11-22T13:14:00Z

describe('makeLoginKey', () => {
  it('matches the formula computed independently', () => {
    const expiry = nowSeconds + 3600;
    const signature = createHmac('sha256', 'test-api-key-0123456789')
      .update(`12345agent-171${expiry}`)
      .digest('base64')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    const { loginKey, expiresAt } = makeLoginKey({ ...subject, now });
    expect(loginKey).toBe(`$1$${expiry}$${signature}`);
    expect(expiresAt.toISOString()).toBe('2026-11-22T14:14:00.000Z');
    expect(loginKey).not.toContain('=');
    // Same vector from Python's hmac, pinned so a change in either side shows.
    expect(signature).toBe('l2FEh-1_30vyppqSB1EwL03_-QRTiByQ-8gJ6XNsOy4');
  });

  it('treats a string partner id like the number', () => {
    expect(makeLoginKey({ ...subject, partnerId: '12345', now }).loginKey).toBe(makeLoginKey({ ...subject, now }).loginKey);
  });

  it('clamps the lifetime to a day', () => {
    const { loginKey, expiresAt } = makeLoginKey({ ...subject, now, lifetimeSeconds: 7 * 86_400 });
    expect(expiresAt.getTime() / 1000).toBe(nowSeconds + 86_400);
    expect(loginKey.split('$')[2]).toBe(String(nowSeconds + 86_400));
    expect(makeLoginKey({ ...subject, now, lifetimeSeconds: 86_400 }).loginKey).toBe(loginKey);
    expect(makeLoginKey({ ...subject, now, lifetimeSeconds: 1 }).expiresAt.getTime() / 1000).toBe(nowSeconds + 1);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses lifetime %s', (lifetimeSeconds) => {
    expect(() => makeLoginKey({ ...subject, now, lifetimeSeconds })).toThrow(/lifetime/);
  });

  it('refuses invalid inputs', () => {
    expect(() => makeLoginKey({ ...subject, now: new Date('nope') })).toThrow(/now/);
    expect(() => makeLoginKey({ ...subject, partnerUserId: '', now })).toThrow(/partnerUserId/);
    expect(() => makeLoginKey({ ...subject, apiKey: '', now })).toThrow(/apiKey/);
    expect(() => makeLoginKey({ ...subject, partnerId: 0, now })).toThrow(/partnerId/);
    expect(() => makeLoginKey({ ...subject, partnerId: '12a', now })).toThrow(/partnerId/);
  });
});

describe('verifyLoginKey', () => {
  const { loginKey } = makeLoginKey({ ...subject, now });

  it('accepts a fresh key', () => {
    expect(verifyLoginKey(loginKey, { ...subject, now })).toEqual({ ok: true });
    expect(verifyLoginKey(loginKey, { ...subject, now: new Date((nowSeconds + 3599) * 1000) })).toEqual({ ok: true });
  });

  it('refuses an expired key', () => {
    expect(verifyLoginKey(loginKey, { ...subject, now: new Date((nowSeconds + 3600) * 1000) })).toEqual({ ok: false, reason: 'login key expired' });
  });

  it('refuses a wrong key, user or group', () => {
    for (const other of [{ apiKey: 'other' }, { partnerUserId: 'agent-18' }, { partnerId: 12346 }]) {
      expect(verifyLoginKey(loginKey, { ...subject, ...other, now })).toMatchObject({ ok: false, reason: expect.stringMatching(/signature/) });
    }
  });

  it('refuses a tampered expiry', () => {
    const [, version, expiry, signature] = loginKey.split('$');
    const tampered = `$${version}$${Number(expiry) + 60}$${signature}`;
    expect(verifyLoginKey(tampered, { ...subject, now })).toMatchObject({ ok: false });
  });

  it('refuses a key expiring too far ahead, allowing five minutes of skew', () => {
    const ahead = makeLoginKey({ ...subject, now: new Date((nowSeconds + 300) * 1000), lifetimeSeconds: 86_400 }).loginKey;
    expect(verifyLoginKey(ahead, { ...subject, now })).toEqual({ ok: true });
    const tooFar = makeLoginKey({ ...subject, now: new Date((nowSeconds + 301) * 1000), lifetimeSeconds: 86_400 }).loginKey;
    expect(verifyLoginKey(tooFar, { ...subject, now })).toMatchObject({ ok: false, reason: expect.stringMatching(/too far ahead/) });
  });

  it.each(['', 'garbage', '$2$1$abc', `${loginKey}=`, loginKey.replace('$1$', '$1$ ')])('refuses malformed %j', (bad) => {
    expect(verifyLoginKey(bad, { ...subject, now })).toMatchObject({ ok: false, reason: expect.stringMatching(/malformed/) });
  });
});
