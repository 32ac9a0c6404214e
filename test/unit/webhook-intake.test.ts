import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { acceptWebhook, MAX_WEBHOOK_BYTES, type WebhookIntakeDeps } from '../../shared/webhook-intake.ts';
import { parseWebhookSecrets, verifyWebhookSignature } from '../../shared/webhook-signature.ts';
import type { SessionEvent } from '../../shared/session.ts';
import { sampleWebhookEvent } from '../support/fixtures.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OLD_SECRET = 'whsec_c2VjcmV0LW9uZS10aGF0LXdhcy1yb3RhdGVkLW91dA==';
const NOW = new Date('2026-11-22T13:14:00Z');
const nowSeconds = String(NOW.getTime() / 1000);

// Signed by the Standard Webhooks reference implementation, independently of the code under test.
function sign(secret: string, id: string, timestamp: string, body: string): string {
  return new Webhook(secret).sign(id, new Date(Number(timestamp) * 1000), body);
}

function deps(overrides: Partial<WebhookIntakeDeps> = {}) {
  const queued: SessionEvent[] = [];
  const d: WebhookIntakeDeps = {
    groupSecrets: async (groupId) => (groupId === 12345 ? { known: true, secrets: SECRET } : { known: false, secrets: null }),
    enqueue: async (event) => {
      queued.push(event);
    },
    now: () => NOW,
    ...overrides,
  };
  return { d, queued };
}

function request(body: string, headers: Record<string, string | undefined> = {}, groupIdParam = '12345') {
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  return {
    groupIdParam,
    body,
    headers: { 'webhook-id': id, 'webhook-timestamp': nowSeconds, 'webhook-signature': sign(SECRET, id, nowSeconds, body), ...headers },
  };
}

describe('webhook signature (Standard Webhooks)', () => {
  it('matches a signature computed from the published algorithm', () => {
    const body = '{"hello":"world"}';
    const check = verifyWebhookSignature({
      id: 'evt_1',
      timestamp: nowSeconds,
      signatureHeader: sign(SECRET, 'evt_1', nowSeconds, body),
      body,
      keys: parseWebhookSecrets(SECRET),
      now: NOW,
    });
    expect(check).toEqual({ ok: true });
  });

  it('accepts any of several signatures and any of several secrets, for key rotation', () => {
    const body = '{}';
    const header = `v1,bm90LXRoZS1yaWdodC1vbmU= ${sign(OLD_SECRET, 'e', nowSeconds, body)}`;
    const keys = parseWebhookSecrets(`${SECRET} ${OLD_SECRET}`);
    expect(keys).toHaveLength(2);
    expect(verifyWebhookSignature({ id: 'e', timestamp: nowSeconds, signatureHeader: header, body, keys, now: NOW }).ok).toBe(true);
  });

  it('refuses a body changed after signing', () => {
    const check = verifyWebhookSignature({
      id: 'e',
      timestamp: nowSeconds,
      signatureHeader: sign(SECRET, 'e', nowSeconds, '{"a":1}'),
      body: '{"a":2}',
      keys: parseWebhookSecrets(SECRET),
      now: NOW,
    });
    expect(check).toEqual({ ok: false, error: 'webhook-signature does not match' });
  });
});

describe('webhook intake answers the contract', () => {
  const body = JSON.stringify(sampleWebhookEvent());

  it('202 queues the event keyed by the webhook-id', async () => {
    const { d, queued } = deps();
    const answer = await acceptWebhook(request(body), d);
    expect(answer.status).toBe(202);
    expect(queued).toHaveLength(1);
    expect(queued[0]!.eventId).toBe('webhook:msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(queued[0]!.session.id).toBe('12345.4821.918273');
  });

  it.each([
    ['a tampered signature', { 'webhook-signature': 'v1,AAAA' }, /does not match/],
    ['a missing signature header', { 'webhook-signature': undefined }, /missing webhook-signature/],
    ['a missing id header', { 'webhook-id': undefined }, /missing webhook-id/],
    ['a timestamp 6 minutes old', { 'webhook-timestamp': String(Number(nowSeconds) - 360) }, /more than 5 minutes old/],
    ['a timestamp 6 minutes ahead', { 'webhook-timestamp': String(Number(nowSeconds) + 360) }, /in the future/],
  ])('401 for %s, queueing nothing', async (_name, headers, message) => {
    const { d, queued } = deps();
    const answer = await acceptWebhook(request(body, headers), d);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: expect.stringMatching(message) });
    expect(queued).toHaveLength(0);
  });

  it('accepts a timestamp 4 minutes off either way', async () => {
    for (const skew of [-240, 240]) {
      const { d, queued } = deps();
      const ts = String(Number(nowSeconds) + skew);
      const r = request(body);
      const answer = await acceptWebhook({ ...r, headers: { ...r.headers, 'webhook-timestamp': ts, 'webhook-signature': sign(SECRET, r.headers['webhook-id'], ts, body) } }, d);
      expect(answer.status).toBe(202);
      expect(queued).toHaveLength(1);
    }
  });

  it('400 for malformed JSON and for a schema-invalid session, naming the field', async () => {
    const { d, queued } = deps();
    expect((await acceptWebhook(request('{"type": "session.started",'), d)).body).toEqual({ error: 'body is not valid JSON' });
    const bad = sampleWebhookEvent();
    (bad.session as { sessionKey: string }).sessionKey = 'has spaces!';
    const answer = await acceptWebhook(request(JSON.stringify(bad)), d);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: expect.stringContaining('session.sessionKey') });
    const wrongType = sampleWebhookEvent();
    (wrongType.session.guests[0] as { joinedAt: unknown }).joinedAt = 42;
    expect((await acceptWebhook(request(JSON.stringify(wrongType)), d)).body).toEqual({ error: expect.stringContaining('session.guests[0].joinedAt') });
    expect(queued).toHaveLength(0);
  });

  it('400 when the session belongs to another group than the URL', async () => {
    const { d, queued } = deps();
    const other = sampleWebhookEvent({ groupId: 777 });
    const answer = await acceptWebhook(request(JSON.stringify(other)), d);
    expect(answer).toEqual({ status: 400, body: { error: expect.stringContaining('session.groupId') } });
    expect(queued).toHaveLength(0);
  });

  it('404 for an unknown or non-numeric group, 413 for a body over 256 KiB', async () => {
    const { d, queued } = deps();
    expect((await acceptWebhook(request(body, {}, '999'), d)).status).toBe(404);
    expect((await acceptWebhook(request(body, {}, 'abc'), d)).status).toBe(404);
    const big = JSON.stringify({ ...sampleWebhookEvent(), pad: 'x'.repeat(MAX_WEBHOOK_BYTES) });
    expect((await acceptWebhook(request(big), d)).status).toBe(413);
    expect(queued).toHaveLength(0);
  });
});

describe('"last webhook accepted" per group (for orgs show)', () => {
  it('is noted once an event is queued, never for a refusal, and its failure does not change the answer', async () => {
    const noted: Array<[number, string]> = [];
    const { d } = deps({ noteAccepted: async (groupId, at) => void noted.push([groupId, at.toISOString()]) });
    const body = JSON.stringify(sampleWebhookEvent());
    expect((await acceptWebhook(request(body), d)).status).toBe(202);
    expect((await acceptWebhook(request(body, { 'webhook-signature': 'v1,bm9wZQ==' }), d)).status).toBe(401);
    expect(noted).toEqual([[12345, NOW.toISOString()]]);

    const { d: failing, queued } = deps({ noteAccepted: async () => Promise.reject(new Error('DynamoDB throttled')) });
    expect((await acceptWebhook(request(body), failing)).status).toBe(202);
    expect(queued).toHaveLength(1);
  });
});
