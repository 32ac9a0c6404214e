import { Webhook } from 'standardwebhooks';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createGlanceActivityClient,
  GlanceActivityError,
  type ActivityPage,
  type GlanceActivityClientOptions,
  type SessionsQuery,
} from '../../shared/adapters/glance-activity.ts';
import { makeLoginKey } from '../../shared/glance/login-key.ts';
import { startGlanceSim, type GlanceSim } from '../../local/glance-sim/index.ts';
import { generateSessions, makeSession } from '../../local/glance-sim/sample-sessions.ts';
import { sendWebhook, signWebhook } from '../../local/glance-sim/webhook-sender.ts';

const GROUP = 12345;
const API_KEY = 'group-api-key-for-tests';
const PUID = 'sync-bot';

let sim: GlanceSim;

beforeAll(async () => {
  sim = await startGlanceSim();
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(() => {
  sim.reset();
  sim.addGroup({ groupId: GROUP, apiKey: API_KEY, partnerUserIds: [PUID, 'agent-17'] });
});

function client(overrides: Partial<GlanceActivityClientOptions> = {}) {
  const sleeps: number[] = [];
  let credentialReads = 0;
  const glance = createGlanceActivityClient({
    baseUrl: sim.url,
    credentials: async () => {
      credentialReads++;
      return { partnerId: GROUP, partnerUserId: PUID, apiKey: API_KEY };
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
const sessionRequests = () => sim.requests().filter((r) => r.path === `/api/v1/groups/${GROUP}/sessions`);

describe('Glance activity client against the simulator', () => {
  it('follows every page, in order, with a watermark that never skips a session', async () => {
    const generated = generateSessions({ seed: 7, count: 23, groupId: GROUP, start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-11-06T00:00:00Z') });
    // Ties on startedAt across a page boundary are where a naive watermark loses sessions.
    const tied = [0, 1, 2, 3].map((n) => makeSession({ id: `${GROUP}.9999.${n}`, sessionKey: '9999', startedAt: '2026-11-03T12:00:00Z' }));
    for (const session of [...generated, ...tied]) sim.addSession(session);
    const { glance, credentialReads } = client({ pageSize: 5 });

    const pages = await readAll(glance.sessions(GROUP, range('2026-11-01T00:00:00Z', '2026-11-10T00:00:00Z')));

    expect(pages).toHaveLength(6);
    const split = pages.findIndex((p, i) => p.sessions.at(-1)?.sessionKey === '9999' && pages[i + 1]?.sessions[0]?.sessionKey === '9999');
    expect(split, 'the tied sessions straddle a page boundary').toBeGreaterThanOrEqual(0);
    expect(pages[split]!.completeBefore.toISOString()).toBe('2026-11-03T12:00:00.000Z');
    expect(pages.flatMap((p) => p.sessions.map((s) => s.id))).toEqual(sim.sessions(GROUP).map((s) => s.id));
    expect(pages.map((p) => p.done)).toEqual([false, false, false, false, false, true]);
    expect(pages.at(-1)!.completeBefore.toISOString()).toBe('2026-11-10T00:00:00.000Z');
    for (const [index, page] of pages.entries()) {
      const watermark = page.completeBefore.getTime();
      const later = pages.slice(index + 1).flatMap((p) => p.sessions);
      expect(later.every((s) => Date.parse(s.startedAt) >= watermark)).toBe(true);
      if (index > 0) expect(watermark).toBeGreaterThanOrEqual(pages[index - 1]!.completeBefore.getTime());
    }
    const requests = sessionRequests();
    expect(requests).toHaveLength(6);
    expect(requests[0]!.query).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-10T00:00:00.000Z', pageSize: '5' });
    expect(requests.slice(1).every((r) => r.query.cursor && r.query.from?.endsWith('Z') && r.query.to?.endsWith('Z'))).toBe(true);
    expect(pages.slice(1).map((p) => p.pageCursor)).toEqual(requests.slice(1).map((r) => r.query.cursor));
    expect(credentialReads()).toBe(1);
  });

  it('reuses a login key while valid and mints a new one when it nears expiry', async () => {
    sim.addSession(makeSession());
    const authorizations: string[] = [];
    let clock = Date.now();
    const { glance } = client({
      now: () => new Date(clock),
      fetch: async (input, init) => {
        authorizations.push(new Headers(init?.headers).get('authorization')!);
        return fetch(input, init);
      },
    });
    const query = range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z');
    await readAll(glance.sessions(GROUP, query));
    await readAll(glance.sessions(GROUP, query));
    clock += 3600_000 - 30_000;
    await readAll(glance.sessions(GROUP, query));
    expect(authorizations[0]).toMatch(/^GlanceLoginKey \$1\$\d+\$[A-Za-z0-9_-]{43}$/);
    expect(authorizations[1]).toBe(authorizations[0]);
    expect(authorizations[2]).not.toBe(authorizations[0]);
  });

  it('splits a range longer than 31 days into windows', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const end = new Date('2026-03-15T00:00:00Z');
    const generated = generateSessions({ seed: 11, count: 40, groupId: GROUP, start, end, site: 'mixed' });
    for (const session of generated) sim.addSession(session);
    const { glance } = client({ pageSize: 500 });

    const pages = await readAll(glance.sessions(GROUP, { from: start, to: end }));

    expect(sessionRequests().map((r) => [r.query.from, r.query.to])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
      ['2026-02-01T00:00:00.000Z', '2026-03-04T00:00:00.000Z'],
      ['2026-03-04T00:00:00.000Z', '2026-03-15T00:00:00.000Z'],
    ]);
    expect(pages.map((p) => [p.windowDone, p.done, p.completeBefore.toISOString()])).toEqual([
      [true, false, '2026-02-01T00:00:00.000Z'],
      [true, false, '2026-03-04T00:00:00.000Z'],
      [true, true, '2026-03-15T00:00:00.000Z'],
    ]);
    expect(pages.flatMap((p) => p.sessions.map((s) => s.id))).toEqual(generated.map((s) => s.id));
  });

  it('passes the site filter', async () => {
    for (const session of generateSessions({ seed: 3, count: 12, groupId: GROUP, start: new Date('2026-05-01Z'), end: new Date('2026-05-02Z'), site: 'mixed' })) {
      sim.addSession(session);
    }
    const { glance } = client();
    const pages = await readAll(glance.sessions(GROUP, { ...range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z'), site: 'staging' }));
    const sessions = pages.flatMap((p) => p.sessions);
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.every((s) => s.site === 'staging')).toBe(true);
    expect(sessionRequests()[0]!.query.site).toBe('staging');
  });

  it('asks nothing for an empty range and refuses a reversed one', async () => {
    const { glance } = client();
    expect(await readAll(glance.sessions(GROUP, range('2026-05-01T00:00:00Z', '2026-05-01T00:00:00Z')))).toEqual([]);
    expect(sessionRequests()).toHaveLength(0);
    await expect(readAll(glance.sessions(GROUP, range('2026-05-02T00:00:00Z', '2026-05-01T00:00:00Z')))).rejects.toThrow(/after/);
  });

  it('fails clearly on a wrong API key, after re-reading the credentials once', async () => {
    let reads = 0;
    const { glance } = client({
      credentials: async () => {
        reads++;
        return { partnerId: GROUP, partnerUserId: PUID, apiKey: 'wrong-key' };
      },
    });
    const error = await readAll(glance.sessions(GROUP, range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GlanceActivityError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect((error as Error).message).toMatch(/refused the login key for partner user "sync-bot" of group 12345 \(401: login key signature does not match\)/);
    expect((error as Error).message).not.toContain('wrong-key');
    expect(reads).toBe(2);
    expect(sessionRequests().map((r) => r.status)).toEqual([401, 401]);
  });

  it('recovers when the secret was rotated between two reads', async () => {
    let reads = 0;
    const { glance } = client({
      credentials: async () => ({ partnerId: GROUP, partnerUserId: PUID, apiKey: reads++ === 0 ? 'old-key' : API_KEY }),
    });
    sim.addSession(makeSession());
    const pages = await readAll(glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')));
    expect(pages[0]!.sessions).toHaveLength(1);
    expect(sessionRequests().map((r) => r.status)).toEqual([401, 200]);
  });

  it('fails clearly on an expired key and an unknown partner user', async () => {
    const skewed = client({ now: () => new Date(Date.now() - 2 * 3600_000) }).glance;
    await expect(readAll(skewed.sessions(GROUP, range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')))).rejects.toThrow(/login key expired/);
    const stranger = client({ credentials: async () => ({ partnerId: GROUP, partnerUserId: 'nobody', apiKey: API_KEY }) }).glance;
    await expect(readAll(stranger.sessions(GROUP, range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')))).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses credentials of another group before calling Glance', async () => {
    const { glance } = client({ credentials: async () => ({ partnerId: 999, partnerUserId: PUID, apiKey: API_KEY }) });
    await expect(readAll(glance.sessions(GROUP, range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')))).rejects.toMatchObject({ code: 'config' });
    expect(sessionRequests()).toHaveLength(0);
  });

  it('retries 503 with backoff and 429 after Retry-After', async () => {
    sim.addSession(makeSession());
    sim.injectFault({ kind: '503', times: 2 });
    sim.injectFault({ kind: '429', times: 1, retryAfterSeconds: 3 });
    const { glance, sleeps } = client({ baseDelayMs: 100, random: () => 1 });
    const pages = await readAll(glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')));
    expect(pages[0]!.sessions).toHaveLength(1);
    expect(sessionRequests().map((r) => r.status)).toEqual([503, 503, 429, 200]);
    expect(sleeps).toEqual([100, 200, 3000]);
  });

  it('gives up after the bounded retries, and at once on a long Retry-After', async () => {
    sim.injectFault({ kind: '503', times: 10 });
    const { glance, sleeps } = client({ maxRetries: 2 });
    await expect(readAll(glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')))).rejects.toMatchObject({
      code: 'unavailable',
      status: 503,
    });
    expect(sleeps).toHaveLength(2);
    expect(sessionRequests()).toHaveLength(3);

    sim.reset();
    sim.addGroup({ groupId: GROUP, apiKey: API_KEY, partnerUserIds: [PUID] });
    sim.injectFault({ kind: '429', times: 1, retryAfterSeconds: 3600 });
    const patient = client({ maxDelayMs: 30_000 });
    await expect(readAll(patient.glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')))).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 3_600_000,
    });
    expect(patient.sleeps).toEqual([]);
  });

  it('retries a network failure and refuses a body that is not the contract', async () => {
    sim.addSession(makeSession());
    let calls = 0;
    const flaky = client({
      fetch: async (input, init) => {
        if (calls++ === 0) throw new TypeError('fetch failed');
        return fetch(input, init);
      },
    });
    const pages = await readAll(flaky.glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')));
    expect(pages[0]!.sessions).toHaveLength(1);
    expect(flaky.sleeps).toHaveLength(1);

    const odd = client({ fetch: async () => new Response(JSON.stringify({ items: [] }), { status: 200 }) });
    await expect(readAll(odd.glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')))).rejects.toMatchObject({
      code: 'bad_response',
      message: expect.stringMatching(/unexpected body: sessions/),
    });
  });

  it('surfaces an invalid session instead of dropping it', async () => {
    const generated = generateSessions({ seed: 5, count: 6, groupId: GROUP, start: new Date('2026-11-22T00:00:00Z'), end: new Date('2026-11-23T00:00:00Z') });
    for (const session of generated) sim.addSession(session);
    sim.injectFault({ kind: 'invalidSession', times: 1 });
    const { glance } = client({ pageSize: 4 });
    const pages = await readAll(glance.sessions(GROUP, range('2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z')));
    const invalid = pages.flatMap((p) => p.invalid);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.raw).toMatchObject({ id: generated[0]!.id, type: 'Z' });
    expect(invalid[0]!.error).toMatch(/sessions\[0\]/);
    const valid = pages.flatMap((p) => p.sessions.map((s) => s.id));
    expect(valid).toEqual(generated.slice(1).map((s) => s.id));
  });
});

describe('Glance activity simulator is strict', () => {
  async function get(query: string, headers: Record<string, string> = authHeaders()) {
    const response = await fetch(`${sim.url}/api/v1/groups/${GROUP}/sessions?${query}`, { headers });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  }
  function authHeaders(): Record<string, string> {
    const { loginKey } = makeLoginKey({ partnerId: GROUP, partnerUserId: PUID, apiKey: API_KEY, now: new Date() });
    return { 'X-Glance-Partner-Id': String(GROUP), 'X-Glance-Partner-User-Id': PUID, Authorization: `GlanceLoginKey ${loginKey}` };
  }

  it('refuses zone-less and offset timestamps', async () => {
    const zoneless = await get('from=2026-05-01T00:00:00&to=2026-05-02T00:00:00Z');
    expect(zoneless).toMatchObject({ status: 400, body: { error: expect.stringMatching(/from .* no time zone .* US Eastern/) } });
    const offset = await get('from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00%2B02:00');
    expect(offset).toMatchObject({ status: 400, body: { error: expect.stringMatching(/to .* ending in Z/) } });
    expect((await get('from=2026-05-01T00:00:00Z&to=2026-05-02T00:00:00Z')).status).toBe(200);
  });

  it('so a client that drops the Z gets a clear error', async () => {
    const { glance } = client({ fetch: async (input, init) => fetch(String(input).replace(/Z(?=&|$)/g, ''), init) });
    await expect(readAll(glance.sessions(GROUP, range('2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z')))).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/400: from .* no time zone/),
    });
  });

  it('refuses ranges over 31 days, reversed ranges, bad page sizes, unknown params and foreign cursors', async () => {
    expect((await get('from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00.001Z')).body.error).toMatch(/31 days/);
    expect((await get('from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z')).status).toBe(200);
    expect((await get('from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')).body.error).toMatch(/before/);
    expect((await get('from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&pageSize=501')).status).toBe(400);
    expect((await get('from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&since=x')).body.error).toMatch(/unknown query parameter since/);
    expect((await get('from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&cursor=nope')).body.error).toMatch(/cursor/);
    expect((await get('from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z', {})).status).toBe(401);
  });
});

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
