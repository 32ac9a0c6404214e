import { Webhook } from 'standardwebhooks';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGlanceActivityClient, jwtExpiry, type GlanceActivityClientOptions } from '../../shared/adapters/glance-activity.ts';
import { GlanceActivityError, type ActivityPage, type GlanceActivityCredentials, type SessionsQuery } from '../../shared/sync/glance-activity.ts';
import { startGlanceSim, type GlanceSim } from '../../local/glance-sim/index.ts';
import { generateSessions, makeSession } from '../../local/glance-sim/sample-sessions.ts';
import { sendWebhook, signWebhook } from '../../local/glance-sim/webhook-sender.ts';

const GROUP = 12345;
const API_KEY = 'group-api-key-for-tests';
const USERNAME = 'crr-service-12345';
const PASSWORD = 'crr-password-for-tests';
const CREDENTIALS: GlanceActivityCredentials = { username: USERNAME, password: PASSWORD, apiKey: API_KEY, site: 'production' };

let sim: GlanceSim;

beforeAll(async () => {
  sim = await startGlanceSim();
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => {
  sim.reset();
  sim.addGroup({ groupId: GROUP, apiKey: API_KEY, username: USERNAME, password: PASSWORD });
});

function client(overrides: Partial<GlanceActivityClientOptions> = {}, credentials: Partial<GlanceActivityCredentials> = {}) {
  const sleeps: number[] = [];
  let credentialReads = 0;
  const glance = createGlanceActivityClient({
    baseUrl: sim.url,
    credentials: async () => {
      credentialReads++;
      return { ...CREDENTIALS, ...credentials };
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return { glance, sleeps, credentialReads: () => credentialReads };
}

async function readAll(pages: AsyncGenerator<ActivityPage>): Promise<ActivityPage[]> {
  const all: ActivityPage[] = [];
  for await (const page of pages) all.push(page);
  return all;
}

const range = (from: string, to: string): SessionsQuery => ({ from: new Date(from), to: new Date(to) });
const logins = () => sim.requests().filter((r) => r.path === '/api/auth/service');
const pulls = () => sim.requests().filter((r) => r.path === '/api/crr/sessions/ended');
/** Cobrowse sessions: the one channel type CRR documents. */
const cobrowse = (seed: number, count: number, start: string, end: string) =>
  generateSessions({ seed, count, groupId: GROUP, start: new Date(start), end: new Date(end), types: ['C'], endedRate: 1 });

describe('CRR client against the simulator', () => {
  it('signs in once, then follows nextPageId to the last page with the documented request body', async () => {
    const sessions = cobrowse(7, 23, '2026-11-01T00:00:00Z', '2026-11-06T00:00:00Z');
    for (const session of sessions) sim.addSession(session);
    const { glance, credentialReads } = client({ channelBatchSize: 5 });

    const pages = await readAll(glance.sessions(GROUP, range('2026-11-01T00:00:00Z', '2026-11-10T00:00:00.250Z')));

    expect(pages).toHaveLength(5);
    expect(pages.flatMap((p) => p.sessions.map((s) => s.id))).toEqual(sim.sessions(GROUP).map((s) => s.id));
    expect(pages.map((p) => p.done)).toEqual([false, false, false, false, true]);
    // Paging order is not documented: the watermark moves only when the window is complete.
    expect(pages.map((p) => p.completeBefore.toISOString())).toEqual([...Array(4).fill('2026-11-01T00:00:00.000Z'), '2026-11-10T00:00:00.000Z']);
    expect(logins()).toEqual([{ method: 'POST', path: '/api/auth/service', body: { username: USERNAME, password: '***' }, status: 200 }]);
    const bodies = pulls().map((r) => r.body);
    expect(bodies[0]).toEqual({ partnerId: GROUP, apiKey: '***', startDate: '2026-11-01T00:00:00Z', endDate: '2026-11-10T00:00:00Z', pageId: 0, channelBatchSize: 5 });
    expect(bodies.slice(1).map((b) => typeof b!.pageId)).toEqual(['number', 'number', 'number', 'number']);
    expect(pages.slice(1).map((p) => p.pageId)).toEqual(bodies.slice(1).map((b) => String(b!.pageId)));
    expect(credentialReads()).toBe(1);
  });

  it('maps what CRR lists into sessions: host, guests, status, the group and the credentials site', async () => {
    const session = makeSession({ type: 'C', status: 'X', endedAt: '2026-11-22T13:40:00Z', customData: { xid: 'case-00001026' } });
    sim.addSession(session);
    const { glance } = client({}, { site: 'staging' });
    const [page] = await readAll(glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')));
    expect(page!.invalid).toEqual([]);
    expect(page!.sessions).toEqual([
      {
        id: session.id,
        sessionKey: session.sessionKey,
        groupId: GROUP,
        site: 'staging',
        type: 'C',
        status: 'X',
        startedAt: '2026-11-22T13:14:00.000Z',
        endedAt: '2026-11-22T13:40:00.000Z',
        host: { partnerUserId: null, name: 'Ana Agent', email: 'ana@example.com' },
        guests: [{ name: 'Gil Guest', email: 'gil@example.org', phone: null, joinedAt: '2026-11-22T13:15:02.000Z' }],
        origin: null,
        customData: { xid: 'case-00001026', agent_participant_id: 'agent-17' },
        joinUrl: null,
      },
    ]);
  });

  it('lists ended sessions only', async () => {
    sim.addSession(makeSession({ id: `${GROUP}.1.1`, type: 'C', status: 'A', endedAt: null }));
    sim.addSession(makeSession({ id: `${GROUP}.1.2`, type: 'C', status: 'C', endedAt: '2026-11-22T13:20:00Z' }));
    const pages = await readAll(client().glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')));
    expect(pages.flatMap((p) => p.sessions.map((s) => [s.id, s.status]))).toEqual([[`${GROUP}.1.2`, 'C']]);
  });

  it('splits a range longer than 31 days into windows, each sent in UTC with Z', async () => {
    const sessions = cobrowse(11, 40, '2026-01-01T00:00:00Z', '2026-03-15T00:00:00Z');
    for (const session of sessions) sim.addSession(session);
    const pages = await readAll(client().glance.sessions(GROUP, range('2026-01-01T00:00:00Z', '2026-03-15T00:00:00Z')));
    expect(pulls().map((r) => [r.body!.startDate, r.body!.endDate])).toEqual([
      ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
      ['2026-02-01T00:00:00Z', '2026-03-04T00:00:00Z'],
      ['2026-03-04T00:00:00Z', '2026-03-15T00:00:00Z'],
    ]);
    expect(pages.map((p) => [p.windowDone, p.done])).toEqual([
      [true, false],
      [true, false],
      [true, true],
    ]);
    expect(pages.flatMap((p) => p.sessions.map((s) => s.id))).toEqual(sessions.map((s) => s.id));
    expect(logins()).toHaveLength(1);
  });

  it('asks nothing for an empty range and refuses a reversed one', async () => {
    const { glance } = client();
    expect(await readAll(glance.sessions(GROUP, range('2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z')))).toEqual([]);
    expect(sim.requests()).toHaveLength(0);
    await expect(readAll(glance.sessions(GROUP, range('2026-05-02T00:00:00Z', '2026-05-01T00:00:00Z')))).rejects.toThrow(/after/);
  });
});

describe('CRR service token', () => {
  const day = range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z');

  it('is kept until it nears its expiry, then renewed', async () => {
    let clock = Date.now();
    const { glance } = client({ now: () => new Date(clock) });
    await readAll(glance.sessions(GROUP, day));
    await readAll(glance.sessions(GROUP, day));
    expect(logins()).toHaveLength(1);
    clock += 3600_000 - 30_000; // the simulator's tokens live an hour; renewed a minute before
    await readAll(glance.sessions(GROUP, day));
    expect(logins()).toHaveLength(2);
  });

  it('is renewed once when Glance refuses it as expired, and the pull goes on', async () => {
    sim.addSession(makeSession({ type: 'C', status: 'C', endedAt: '2026-11-22T13:30:00Z' }));
    const { glance, credentialReads } = client();
    await readAll(glance.sessions(GROUP, day));
    sim.expireTokens();
    const pages = await readAll(glance.sessions(GROUP, day));
    expect(pages[0]!.sessions).toHaveLength(1);
    expect(sim.requests().map((r) => `${r.path} ${r.status}`)).toEqual([
      '/api/auth/service 200',
      '/api/crr/sessions/ended 200',
      '/api/crr/sessions/ended 401',
      '/api/auth/service 200',
      '/api/crr/sessions/ended 200',
    ]);
    expect(credentialReads()).toBe(2); // a rotated secret is picked up on renewal
  });

  it('refused again right after renewal: a clear error with Glance\'s reason, not a loop', async () => {
    sim.setTokenLifetime(0); // Glance's clock says every token is expired; this host's clock is an hour behind
    const { glance } = client({ now: () => new Date(Date.now() - 3600_000) });
    const error = await readAll(glance.sessions(GROUP, day)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GlanceActivityError);
    expect(error).toMatchObject({ code: 'token_refused', status: 401 });
    expect((error as Error).message).toMatch(/^Glance refused group 12345's CRR request even with a new service token \(401: token expired\)\. .*clock/);
    expect(pulls().map((r) => r.status)).toEqual([401, 401]);
    expect(logins()).toHaveLength(2);
  });

  it('issued already expired by this host\'s clock: says to check the clock', async () => {
    sim.setTokenLifetime(0);
    await expect(readAll(client().glance.sessions(GROUP, day))).rejects.toMatchObject({
      code: 'token_refused',
      message: expect.stringMatching(/already expired .*check the clock/),
    });
    expect(pulls()).toEqual([]);
  });

  it('reads the expiry from the JWT and keeps a token without one until Glance refuses it', () => {
    const jwt = (payload: object) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
    expect(jwtExpiry(jwt({ exp: 1795353240 }))?.toISOString()).toBe('2026-11-22T13:14:00.000Z');
    expect(jwtExpiry(jwt({ sub: 'x' }))).toBeNull();
    expect(jwtExpiry('not-a-jwt')).toBeNull();
  });

  it('keeps a token that states no expiry until Glance refuses it', async () => {
    const seen: string[] = [];
    const glance = fakeGlance(() => ({ sessions: [], nextPageId: null }));
    const { glance: crr } = client({
      now: () => new Date(Date.now() + 30 * 24 * 3600_000),
      fetch: async (input, init) => {
        seen.push(String(input).replace(/^.*\/api\//, ''));
        return glance(input, init);
      },
    });
    await readAll(crr.sessions(GROUP, day));
    await readAll(crr.sessions(GROUP, day));
    expect(seen).toEqual(['auth/service', 'crr/sessions/ended', 'crr/sessions/ended']);
  });
});

describe('CRR refusals reach the admin as clear messages', () => {
  const day = range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z');

  it('a wrong API key', async () => {
    const error = await readAll(client({}, { apiKey: 'wrong-key-value' }).glance.sessions(GROUP, day)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'api_key_refused', status: 403 });
    expect((error as Error).message).toBe(
      "Glance refused the API key of group 12345 (403: invalid partnerId or apiKey): copy the API key from Glance (My Account > Settings) and store it again (glance-sync groups credentials 12345 --file FILE)",
    );
    expect(pulls().map((r) => r.status)).toEqual([403]);
  });

  it('a wrong service password', async () => {
    const error = await readAll(client({}, { password: 'wrong-password-value' }).glance.sessions(GROUP, day)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'login_refused', status: 401 });
    expect((error as Error).message).toMatch(/^Glance refused the CRR service login of group 12345 \(401: invalid username or password\): check the service username and password/);
    expect((error as Error).message).not.toContain('wrong-password-value');
    expect(pulls()).toEqual([]);
  });

  it('check() signs in and reads one short range; it throws what Glance refused', async () => {
    await client().glance.check(GROUP, new Date('2026-11-22T12:00:00.500Z'));
    expect(pulls().map((r) => [r.body!.startDate, r.body!.endDate, r.status])).toEqual([['2026-11-22T11:00:00Z', '2026-11-22T12:00:00Z', 200]]);
    await expect(client({}, { apiKey: 'nope-nope' }).glance.check(GROUP, new Date())).rejects.toMatchObject({ code: 'api_key_refused' });
  });
});

describe('CRR transport faults', () => {
  const day = range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z');

  it('retries 503 with backoff and 429 after Retry-After', async () => {
    sim.addSession(makeSession({ type: 'C', status: 'C', endedAt: '2026-11-22T13:30:00Z' }));
    const { glance, sleeps } = client({ baseDelayMs: 100, random: () => 1 });
    await glance.check(GROUP, new Date()); // signed in first, so the faults hit the pull
    sim.injectFault({ kind: '503', times: 2 });
    sim.injectFault({ kind: '429', times: 1, retryAfterSeconds: 3 });
    const pages = await readAll(glance.sessions(GROUP, day));
    expect(pages[0]!.sessions).toHaveLength(1);
    expect(pulls().slice(1).map((r) => r.status)).toEqual([503, 503, 429, 200]);
    expect(sleeps).toEqual([100, 200, 3000]);
  });

  it('gives up after the bounded retries, and at once on a long Retry-After', async () => {
    sim.injectFault({ kind: '503', times: 10 });
    const { glance, sleeps } = client({ maxRetries: 2 });
    await expect(readAll(glance.sessions(GROUP, day))).rejects.toMatchObject({ code: 'unavailable', status: 503 });
    expect(sleeps).toHaveLength(2);
    expect(sim.requests()).toHaveLength(3);

    sim.reset();
    sim.addGroup({ groupId: GROUP, apiKey: API_KEY, username: USERNAME, password: PASSWORD });
    sim.injectFault({ kind: '429', times: 1, retryAfterSeconds: 3600 });
    const patient = client({ maxDelayMs: 30_000 });
    await expect(readAll(patient.glance.sessions(GROUP, day))).rejects.toMatchObject({ code: 'rate_limited', retryAfterMs: 3_600_000 });
    expect(patient.sleeps).toEqual([]);
  });

  it('retries a network failure and refuses a body that is not the documented reply', async () => {
    sim.addSession(makeSession({ type: 'C', status: 'C', endedAt: '2026-11-22T13:30:00Z' }));
    let calls = 0;
    const flaky = client({
      fetch: async (input, init) => {
        if (calls++ === 0) throw new TypeError('fetch failed');
        return fetch(input, init);
      },
    });
    expect((await readAll(flaky.glance.sessions(GROUP, day)))[0]!.sessions).toHaveLength(1);
    expect(flaky.sleeps).toHaveLength(1);

    const odd = client({ fetch: fakeGlance(() => ({ items: [] })) });
    await expect(readAll(odd.glance.sessions(GROUP, day))).rejects.toMatchObject({ code: 'bad_response', message: expect.stringMatching(/unexpected body: sessions/) });
  });

  it('surfaces an unreadable session instead of dropping it', async () => {
    const sessions = cobrowse(5, 6, '2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z');
    for (const session of sessions) sim.addSession(session);
    sim.injectFault({ kind: 'invalidSession', times: 1 });
    const pages = await readAll(client({ channelBatchSize: 4 }).glance.sessions(GROUP, day));
    const invalid = pages.flatMap((p) => p.invalid);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.raw).toMatchObject({ id: sessions[0]!.id, started_at: 'not a date' });
    expect(invalid[0]!.error).toMatch(/^sessions\[0\]\.started_at: /);
    expect(pages.flatMap((p) => p.sessions.map((s) => s.id))).toEqual(sessions.slice(1).map((s) => s.id));
  });
});

describe('CRR paging, where the documentation is silent', () => {
  const day = range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z');
  const item = (id: string) => ({ ...crrItem, id });

  it.each([
    ['nextPageId null', { nextPageId: null }],
    ['nextPageId absent', {}],
    ['nextPageId 0 (the first page id)', { nextPageId: 0 }],
  ])('ends at %s', async (_name, tail) => {
    const pages = await readAll(client({ fetch: fakeGlance(() => ({ sessions: [item('1')], ...tail })) }).glance.sessions(GROUP, day));
    expect(pages.map((p) => p.done)).toEqual([true]);
  });

  it('ends at an empty page, and refuses a page id it was given before', async () => {
    let n = 0;
    const empty = await readAll(client({ fetch: fakeGlance(() => (n++ === 0 ? { sessions: [item('1')], nextPageId: 7 } : { sessions: [], nextPageId: 8 })) }).glance.sessions(GROUP, day));
    expect(empty.map((p) => [p.sessions.length, p.done])).toEqual([
      [1, false],
      [0, true],
    ]);
    let m = 0;
    const looping = client({ fetch: fakeGlance(() => ({ sessions: [item(String(m++))], nextPageId: m % 2 ? 7 : 9 })) }).glance.sessions(GROUP, day);
    await expect(readAll(looping)).rejects.toMatchObject({ code: 'bad_response', message: expect.stringMatching(/page 7 again .* refusing to loop/) });
  });
});

describe('the CRR simulator is strict', () => {
  async function token(): Promise<string> {
    const response = await fetch(`${sim.url}/api/auth/service`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: USERNAME, password: PASSWORD }) });
    return ((await response.json()) as { access_token: string }).access_token;
  }
  async function ended(body: Record<string, unknown>, bearer?: string) {
    const response = await fetch(`${sim.url}/api/crr/sessions/ended`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer === '' ? {} : { authorization: `Bearer ${bearer ?? (await token())}` }) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  }
  const valid = { partnerId: GROUP, apiKey: API_KEY, startDate: '2026-05-01T00:00:00Z', endDate: '2026-05-02T00:00:00Z', pageId: 0, channelBatchSize: 1000 };

  it('refuses dates without a zone (Glance reads them as US East Coast time) and with an offset', async () => {
    expect(await ended({ ...valid, startDate: '2026-05-01T00:00:00' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/startDate .* no time zone .* US East Coast/) } });
    expect(await ended({ ...valid, startDate: '2026-05-01' })).toMatchObject({ status: 400 });
    expect(await ended({ ...valid, endDate: '2026-05-02T00:00:00+02:00' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/endDate .* ending in Z/) } });
    expect((await ended(valid)).status).toBe(200);
  });

  it('so a client that drops the Z gets a clear error', async () => {
    const dropZ = client({ fetch: async (input, init) => fetch(input, { ...init, ...(typeof init?.body === 'string' ? { body: init.body.replaceAll('Z"', '"') } : {}) }) });
    await expect(readAll(dropZ.glance.sessions(GROUP, range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')))).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/\(400: startDate .* no time zone/),
    });
  });

  it('refuses long or reversed ranges, unknown fields, foreign page ids, a missing token and a wrong key', async () => {
    expect((await ended({ ...valid, endDate: '2026-06-01T00:00:01Z' })).body.error).toMatch(/31 days/);
    expect((await ended({ ...valid, startDate: '2026-05-03T00:00:00Z' })).body.error).toMatch(/before/);
    expect((await ended({ ...valid, since: 'x' })).body.error).toMatch(/unknown field since/);
    expect((await ended({ ...valid, pageId: 424242 })).body.error).toMatch(/pageId 424242/);
    expect((await ended({ ...valid, partnerId: '12345' })).status).toBe(400);
    expect((await ended(valid, '')).status).toBe(401);
    expect((await ended(valid, 'a.b.c')).body.error).toBe('invalid token');
    expect(await ended({ ...valid, apiKey: 'wrong' })).toEqual({ status: 403, body: { error: 'invalid partnerId or apiKey' } });
  });
});

/** The documented sample item (facts file §8), reused where the simulator's content does not matter. */
const crrItem = {
  id: '111111111',
  key: '5555',
  status: 'completed',
  started_at: '2026-11-22T17:36:06.000Z',
  ended_at: '2026-11-22T17:38:23.000Z',
  extra: { xid: '1234123412342134' },
  channels: [{ type: 'cobrowse', id: '111111111', key: '5555', legs: [{ type: 'host', participant_type: 'visitor', extra: { name: 'Guy Example' } }] }],
};

/** A Glance that answers the login and then whatever `page` returns, for shapes the simulator never makes. */
function fakeGlance(page: () => unknown): typeof fetch {
  return async (input) => {
    if (String(input).endsWith('/api/auth/service')) return new Response(JSON.stringify({ access_token: 'e30.e30.sig' }), { status: 200 });
    return new Response(JSON.stringify(page()), { status: 200 });
  };
}

describe('signWebhook', () => {
  it('matches the Standard Webhooks published vector', () => {
    expect(
      signWebhook({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330, body: '{"test": 2432232314}' }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('keys the HMAC with the decoded secret', () => {
    const key = Buffer.from('an example 24-byte key!!');
    const body = JSON.stringify({ type: 'session.started' });
    const expected = new Webhook(`whsec_${key.toString('base64')}`).sign('evt_1', new Date(1795353240_000), body);
    expect(signWebhook({ secret: `whsec_${key.toString('base64')}`, id: 'evt_1', timestamp: 1795353240, body })).toBe(expected);
    expect(() => signWebhook({ secret: key.toString('base64'), id: 'evt_1', timestamp: 1, body })).toThrow(/whsec_/);
  });

  it('sendWebhook posts the body it signed', async () => {
    let seen: { headers: IncomingHttpHeaders; body: string; url: string } | undefined;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen = { headers: req.headers, body, url: req.url ?? '' };
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
      const event = { type: 'session.started', occurredAt: '2026-11-22T13:14:00Z', session: makeSession() };
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/glance/${GROUP}`;
      const result = await sendWebhook(url, event, { secret, id: 'evt_42', timestamp: 1795353240 });
      expect(result).toEqual({ status: 202, body: { accepted: true }, id: 'evt_42' });
      expect(seen!.url).toBe(`/webhooks/glance/${GROUP}`);
      expect(seen!.body).toBe(JSON.stringify(event));
      expect(seen!.headers['webhook-id']).toBe('evt_42');
      expect(seen!.headers['webhook-timestamp']).toBe('1795353240');
      // The reference implementation accepts what was sent (its timestamp check is for 'now').
      expect(seen!.headers['webhook-signature']).toBe(new Webhook(secret).sign('evt_42', new Date(1795353240_000), seen!.body));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
