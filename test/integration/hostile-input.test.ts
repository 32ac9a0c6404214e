import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingest } from '../../functions/webhook-ingest/handler.ts';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { syncRunDeps } from '../../functions/sync-run/handler.ts';
import { startLocalHttpApi } from '../../local/http-api.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { startGlanceSim, type GlanceSim } from '../../local/glance-sim/index.ts';
import { sendWebhook } from '../../local/glance-sim/webhook-sender.ts';
import { createGlanceActivityClient } from '../../shared/adapters/glance-activity.ts';
import { parseDeadLetter } from '../../shared/dead-letter.ts';
import { requestSalesforceToken } from '../../shared/adapters/salesforce-auth.ts';
import { updateSettings } from '../../shared/org-admin.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { toCrrSession } from '../../local/glance-sim/crr.ts';
import { SALESFORCE_API_VERSION } from '../../shared/config.ts';
import { silentLog } from '../../shared/log.ts';
import type { GlanceSession } from '../../shared/session.ts';
import { runSync } from '../../shared/sync/sync-run.ts';
import { DEMO_GROUP, OTHER_ORG, PROD_ORG, SANDBOX_ORG, sampleSession, sampleWebhookEvent } from '../support/fixtures.ts';
import { startTestPipeline, WEBHOOK_SECRET, type TestPipeline } from '../support/pipeline.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

let p: TestPipeline;
let api: Awaited<ReturnType<typeof startLocalHttpApi>>;
let glance: GlanceSim;
const OTHER_GROUP = 999;

beforeAll(async () => {
  [p, glance] = await Promise.all([startTestPipeline(), startGlanceSim()]);
  api = await startLocalHttpApi(ingest);
});
afterAll(async () => {
  await api?.stop();
  await glance?.stop();
  await p?.stop();
});
beforeEach(async () => {
  await p.reset();
  await p.registerGroup(DEMO_GROUP);
  await p.registerGroup(OTHER_GROUP);
  await p.addOrg(PROD_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await p.addOrg(SANDBOX_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  await p.addOrg(OTHER_ORG, [OTHER_GROUP], { logSessionsStartedOutside: true });
});

const url = (groupId: number | string = DEMO_GROUP) => `${api.url}/webhooks/glance/${groupId}`;
const drain = () => drainQueue(p.resources.eventsQueueUrl, (e) => processEvents(e), { retryImmediately: true });
const totalCalls = () => [PROD_ORG, SANDBOX_ORG, OTHER_ORG].reduce((n, o) => n + p.sim.apiCalls(o), 0);
const records = (orgId: string, sobject = 'Glance_Session__c') => p.sobjects(orgId, sobject);

/** Sends a body exactly as given (bytes or text), correctly signed over those bytes. */
async function postSigned(body: string | Buffer, id = `msg_${Math.random().toString(36).slice(2)}`) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  // Text is signed by the Standard Webhooks reference implementation; it decodes bytes to text
  // before signing, so bytes that are not UTF-8 are signed here over the bytes themselves.
  const key = Buffer.from(WEBHOOK_SECRET.slice('whsec_'.length), 'base64');
  const signature =
    typeof body === 'string'
      ? new Webhook(WEBHOOK_SECRET).sign(id, new Date(Number(timestamp) * 1000), body).slice('v1,'.length)
      : createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), bytes])).digest('base64');
  const started = Date.now();
  const res = await fetch(url(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` },
    body: bytes,
  });
  const text = await res.text();
  return { status: res.status, error: (JSON.parse(text) as { error?: string }).error ?? '', ms: Date.now() - started };
}

async function expectNoEffect(): Promise<void> {
  expect(await p.queueDepth(p.resources.eventsQueueUrl)).toBe(0);
  await drain();
  expect(totalCalls()).toBe(0);
}

const eventWith = (session: Record<string, unknown>, top: Record<string, unknown> = {}) =>
  JSON.stringify({ ...sampleWebhookEvent(), ...top, session: { ...sampleSession(), ...session } });
/** Spliced in as text: JSON.stringify itself overflows the stack a few thousand levels down. */
const withDeepCustomData = (levels: number) =>
  eventWith({ customData: { user_email: '@@DEEP@@' } }).replace('"@@DEEP@@"', `${'['.repeat(levels)}${']'.repeat(levels)}`);

describe('the webhook endpoint refuses hostile bodies clearly, with no effect', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it.each([
    ['truncated JSON', '{"type":"session.started","session":{', 400, /^body is not valid JSON$/],
    ['trailing garbage', `${JSON.stringify(sampleWebhookEvent())}garbage`, 400, /^body is not valid JSON$/],
    ['an empty body', '', 400, /^body is not valid JSON$/],
    ['a JSON array', '[]', 400, /^\(body\): .*expected object/],
    ['JSON null', 'null', 400, /^\(body\): .*expected object/],
    ['a bare string', '"session.started"', 400, /^\(body\): .*expected object/],
    ['10,000 nested arrays', deep(10_000), 400, /^(\(body\): .*expected object|body is not valid JSON$)/],
    ['100,000 nested arrays', deep(100_000), 400, /^(\(body\): .*expected object|body is not valid JSON$)/],
    ['10,000 nested arrays in custom data', withDeepCustomData(10_000), 400, /^session\.customData\.user_email: /],
    ['10,000 nested objects under an unknown key', `{"type":"session.started","x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`, 400, /Unrecognized key.*"x"/],
    ['groupId as a string', eventWith({ groupId: '12345' }), 400, /^session\.groupId: .*expected number/],
    ['guests as an object', eventWith({ guests: { name: 'Gil' } }), 400, /^session\.guests: .*expected array/],
    ['a guest as a string', eventWith({ guests: ['Gil'] }), 400, /^session\.guests\[0\]: .*expected object/],
    ['startedAt not ISO', eventWith({ startedAt: 'yesterday' }), 400, /^session\.startedAt: /],
    ['status in lower case', eventWith({ status: 'a' }), 400, /^session\.status: one upper-case Glance status code/],
    ['a custom data value that is an object', eventWith({ customData: { user_email: { $ne: null } } }), 400, /^session\.customData\.user_email: /],
    ['a SOQL-shaped session id', eventWith({ id: "12345.1' OR Id != '" }), 400, /^session\.id: Glance session id/],
    ['a session key with a backslash', eventWith({ sessionKey: '48\\21' }), 400, /^session\.sessionKey: session key/],
    ['a javascript: join URL', eventWith({ joinUrl: 'javascript:alert(1)' }), 400, /^session\.joinUrl: /],
    ['an origin record id with a quote', eventWith({ origin: { salesforceOrgId: PROD_ORG, recordId: "500' OR Id != '" } }), 400, /^session\.origin\.recordId: a 15 or 18 character Salesforce id/],
    ['a host email with a NUL', eventWith({ host: { partnerUserId: 'a', name: 'Ana', email: 'ana\u0000@example.com' } }), 400, /^session\.host\.email: /],
    ['an unknown event type', eventWith({}, { type: 'session.deleted' }), 400, /^type: /],
    ['a 101st guest', eventWith({ guests: Array.from({ length: 101 }, () => ({ name: null, email: null, phone: null, joinedAt: null })) }), 400, /^session\.guests: /],
    ['51 custom data keys', eventWith({ customData: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }), 400, /^session\.customData: at most 50 custom data keys/],
  ])('%s', async (_name, body, status, error) => {
    const answer = await postSigned(body);
    expect(answer.status).toBe(status);
    expect(answer.error).toMatch(error);
    expect(answer.ms).toBeLessThan(5_000);
    await expectNoEffect();
  });

  it('a body over 256 KiB is refused 413 by its bytes, however few characters it has', async () => {
    // 70,000 emoji: 140,000 UTF-16 units, 280,000 bytes.
    const answer = await postSigned(eventWith({ customData: { note: '😀'.repeat(70_000) } }));
    expect(answer).toMatchObject({ status: 413, error: 'body is larger than 262144 bytes' });
    const huge = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(11 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    await expectNoEffect();
  });

  it('bytes that are not UTF-8 never reach the queue', async () => {
    const bytes = Buffer.concat([Buffer.from('{"type":"session.started","occurredAt":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const answer = await postSigned(bytes);
    expect([400, 401]).toContain(answer.status);
    await expectNoEffect();
  });

  it('an unsigned hostile body is refused before it is parsed', async () => {
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'x', 'webhook-timestamp': '1' }, body: deep(100_000) });
    expect(res.status).toBe(401);
    const bad = await fetch(url("12345' OR 1=1"), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).toBe(404);
    await expectNoEffect();
  });
});

describe('Unicode-heavy values are valid and arrive intact', () => {
  it('emoji, right-to-left text, NUL and lone surrogates in names and custom data are recorded as sent', async () => {
    const hostName = 'Ana 👩🏽‍💻 \u202Eأنا\u202C Agent';
    const guestName = 'גיל \u0000 Guest \uD800 end';
    const session = sampleSession({
      host: { partnerUserId: 'agent-17', name: hostName, email: 'ana@example.com' },
      guests: [{ name: guestName, email: 'gil@example.org', phone: '+1 (555) 0100 ☎', joinedAt: '2026-11-22T13:15:02Z' }],
      customData: { 'note.x': '🦄\u0000\uDFFF' },
    });
    const answer = await sendWebhook(url(), { ...sampleWebhookEvent(), session }, { secret: WEBHOOK_SECRET });
    expect(answer.status).toBe(202);
    await drain();
    const [record, ...rest] = await records(PROD_ORG);
    expect(rest).toEqual([]);
    expect(record).toMatchObject({ Glance_Session_Id__c: session.id, Host_Name__c: hostName, Guest_Names__c: guestName });
    expect(JSON.parse(String(record!.Custom_Data__c))).toEqual({ 'note.x': '🦄\u0000\uDFFF' });
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
  });
});

describe('values that reach SOQL are escaped', () => {
  // Custom data the record mapping looks up by: each must find exactly its own Case.
  const HOSTILE = [
    "x' OR Subject != '",
    "'; DELETE FROM Case --",
    '\\',
    '\\\'',
    'C:\\temp\\new',
    'ends with backslash \\',
    '100%',
    'a_b',
    '%',
    '_',
    'quote " double',
    'line\nbreak\ttab',
    'שלום \u202E👀',
    '\\u0041 literal escape',
  ];

  it('a mapping on custom data links each session to the one Case with exactly that value; every query is well formed', async () => {
    await updateSettings(p.admin, PROD_ORG, { recordMapping: { Case: { Subject: 'ref' } } });
    const caseIds = HOSTILE.map((subject) => p.sim.seed(PROD_ORG, 'Case', { Subject: subject }));
    // Decoys a broken escape or a wildcard would also match.
    for (const decoy of ['x', 'anything', 'C:\ttemp\new', '100', 'ab', 'aXb', '1000%', 'line']) p.sim.seed(PROD_ORG, 'Case', { Subject: decoy });

    for (const [i, ref] of HOSTILE.entries()) {
      const answer = await sendWebhook(url(), sampleWebhookEvent({ id: `12345.h.${i}`, customData: { ref } }), { secret: WEBHOOK_SECRET });
      expect(answer.status).toBe(202);
    }
    await drain();

    const byId = new Map((await records(PROD_ORG)).map((r) => [r.Glance_Session_Id__c, r]));
    HOSTILE.forEach((ref, i) => expect({ ref, linked: byId.get(`12345.h.${i}`)?.Case__c }).toEqual({ ref, linked: caseIds[i] }));
    const queries = p.sim.callLog(PROD_ORG).filter((c) => c.path.includes('/query'));
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.filter((q) => q.status !== 200)).toEqual([]);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
  });

  it('the simulator is a fair judge: it refuses the same values naively quoted', async () => {
    const token = await requestSalesforceToken({ authType: 'refresh_token', loginUrl: p.sim.url, clientId: `client-${PROD_ORG}`, refreshToken: `refresh-${PROD_ORG}` });
    const query = (soql: string) =>
      fetch(`${token.instanceUrl}/services/data/v${SALESFORCE_API_VERSION}/query?q=${encodeURIComponent(soql)}`, { headers: { authorization: `Bearer ${token.accessToken}` } });
    for (const value of ["x' OR Subject != '", 'ends with backslash \\', '\\u00']) {
      const res = await query(`SELECT Id FROM Case WHERE Subject IN ('${value}')`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as Array<{ errorCode: string }>)[0]!.errorCode).toBe('MALFORMED_QUERY');
    }
  });

  it('guest emails: wildcards match nothing but themselves, and quote-bearing ones never reach a query', async () => {
    await updateSettings(p.admin, PROD_ORG, { createLeadsForGuests: 'new_email' });
    p.sim.seed(PROD_ORG, 'Lead', { LastName: 'Decoy', Company: 'Acme', Email: 'aXYZb@example.com' });
    p.sim.seed(PROD_ORG, 'Lead', { LastName: 'Known', Company: 'Acme', Email: 'a_b@example.com' });
    const guest = (name: string, email: string) => ({ name, email, phone: null, joinedAt: '2026-11-22T13:15:02Z' });
    await sendWebhook(
      url(),
      sampleWebhookEvent({
        guests: [
          guest("O'Brien \\ Robert", 'a%b@example.com'),
          guest('Known Guest', 'A_B@example.com'),
          guest('Quote Guest', "x' OR Email != '@example.com"),
          guest('Slash Guest', 'back\\slash@example.com'),
        ],
      }),
      { secret: WEBHOOK_SECRET },
    );
    await drain();
    const leads = (await records(PROD_ORG, 'Lead')).map((l) => [l.Email, l.LastName]).sort();
    // A new Lead for the % address (the decoy did not match it), none for the one that exists.
    // Salesforce stores email addresses lower-cased (KB 000384328).
    expect(leads).toEqual([
      ['a%b@example.com', 'Robert'],
      ['a_b@example.com', 'Known'],
      ['axyzb@example.com', 'Decoy'],
    ]);
    const leadQueries = p.sim.callLog(PROD_ORG).filter((c) => c.path.includes('/query') && c.path.includes('FROM Lead'));
    expect(leadQueries).toHaveLength(1);
    expect(leadQueries[0]!.status).toBe(200);
    expect(leadQueries[0]!.path).not.toMatch(/OR Email|back\\\\slash/);
    expect(await records(PROD_ORG)).toHaveLength(1);
  });
});

describe('a replayed webhook', () => {
  it('the same webhook-id re-sent, even re-signed later, is accepted and acts once: one record, one Lead, one post, no repeated calls', async () => {
    await updateSettings(p.admin, PROD_ORG, { createLeadsForGuests: 'new_email', chatterOnSessionStart: true });
    const caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Printer on fire' });
    const event = sampleWebhookEvent({ origin: { salesforceOrgId: PROD_ORG, recordId: caseId } });

    // Two copies queued before either is processed, as a sender retrying on a slow answer would.
    const now = Math.floor(Date.now() / 1000);
    expect((await sendWebhook(url(), event, { secret: WEBHOOK_SECRET, id: 'msg_replayed', timestamp: now })).status).toBe(202);
    expect((await sendWebhook(url(), event, { secret: WEBHOOK_SECRET, id: 'msg_replayed', timestamp: now + 30 })).status).toBe(202);
    await drain();
    const calls = p.sim.apiCalls(PROD_ORG);
    const sandboxCalls = p.sim.apiCalls(SANDBOX_ORG);

    // And once more after it was processed.
    expect((await sendWebhook(url(), event, { secret: WEBHOOK_SECRET, id: 'msg_replayed' })).status).toBe(202);
    await drain();

    expect(await records(PROD_ORG)).toHaveLength(1);
    expect(await records(SANDBOX_ORG)).toHaveLength(1);
    expect(await records(PROD_ORG, 'Lead')).toHaveLength(1);
    expect(await records(PROD_ORG, 'FeedItem')).toHaveLength(1);
    expect(p.sim.apiCalls(PROD_ORG)).toBe(calls);
    expect(p.sim.apiCalls(SANDBOX_ORG)).toBe(sandboxCalls);
  });
});

describe('the activity pull meets hostile pages', () => {
  const API_KEY = 'hostile-pull-api-key';
  const valid = (n: number, overrides: Partial<GlanceSession> = {}) =>
    sampleSession({ id: `12345.p.${n}`, sessionKey: `p${n}`, type: 'C', startedAt: `2026-11-20T10:0${n}:00Z`, endedAt: `2026-11-20T10:3${n}:00Z`, status: 'C', ...overrides });
  /** A CRR item as Glance lists it (local/glance-sim/crr.ts), to break one field at a time. */
  const crr = (n: number) => toCrrSession(valid(n));

  it('dead-letters each unreadable session with its reason and queues its valid neighbours', async () => {
    glance.reset();
    glance.addGroup({ groupId: DEMO_GROUP, apiKey: API_KEY, username: 'crr-hostile', password: 'crr-hostile-password' });
    await p.admin.secrets.write(
      secretNames.groupGlance(p.admin.secretPrefix, DEMO_GROUP),
      JSON.stringify({ username: 'crr-hostile', password: 'crr-hostile-password', apiKey: API_KEY }),
    );
    const good = [valid(1), valid(2, { host: { partnerUserId: 'a', name: '👩🏽‍💻 \u202Eأنا', email: null } }), valid(3)];
    for (const s of good) glance.addSession(s);

    // Too deep for JSON.stringify: served as text, spliced into the page.
    const DEEP = Symbol('deep');
    const DEEP_TEXT = JSON.stringify({ ...crr(7), ended_at: null, nested: '@@DEEP@@' }).replace('"@@DEEP@@"', `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    const huge = { ...crr(6), ended_at: 'soon', channels: [{ type: 'cobrowse', legs: [{ type: 'host', participant_type: 'visitor', extra: { name: 'x'.repeat(1_500_000) } }] }] };
    const hostile: Array<{ item: unknown; why: RegExp; sessionId?: string }> = [
      { item: { ...crr(4), started_at: 12345 }, why: /started_at: .*expected string/, sessionId: '12345.p.4' },
      { item: { ...crr(5), channels: [{ type: 'screenshare', legs: [] }] }, why: /channels: no channel of a documented type \(got "screenshare"/, sessionId: '12345.p.5' },
      { item: huge, why: /ended_at: /, sessionId: '12345.p.6' },
      { item: DEEP, why: /ended_at: /, sessionId: '12345.p.7' },
      { item: { ...crr(8), id: "12345.p' OR Id != '" }, why: /\.id: Glance session id/ },
      { item: { ...crr(9), status: 42 }, why: /status: .*expected string/, sessionId: '12345.p.9' },
      { item: null, why: /expected object/ },
      { item: 'a string', why: /expected object/ },
    ];
    let served = false;
    // The simulator answers; its page is then made hostile on the way, as a broken Glance would send it.
    const hostileFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!res.ok || served || !String(input).endsWith('/api/crr/sessions/ended')) return res;
      const body = (await res.json()) as { sessions: unknown[]; nextPageId: number | null };
      served = true;
      const items = [...hostile.map((h) => (h.item === DEEP ? DEEP_TEXT : JSON.stringify(h.item))), ...body.sessions.map((x) => JSON.stringify(x))];
      const text = `{"sessions":[${items.join(',')}],"nextPageId":${JSON.stringify(body.nextPageId)}}`;
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    };

    const now = new Date();
    const outcome = await runSync(
      { ...syncRunDeps(), activityClient: (credentials) => createGlanceActivityClient({ baseUrl: glance.url, credentials, fetch: hostileFetch }), log: silentLog },
      { orgId: PROD_ORG, trigger: 'schedule' },
      { messageId: 'hostile-1', sentAt: now },
    );
    expect(served).toBe(true);
    expect(outcome).toMatchObject({ kind: 'finished', run: { status: 'succeeded', counts: { fetched: 11, queued: 3, failed: 8 } } });

    const dead = (await p.receiveAll(p.resources.eventsDlqUrl)).map((m) => parseDeadLetter(m.body)!);
    expect(dead).toHaveLength(hostile.length);
    hostile.forEach((h, i) => {
      const entry = dead.find((d) => d.reason.includes(`sessions[${i}]`));
      expect({ i, reason: entry?.reason }).toEqual({ i, reason: expect.stringMatching(h.why) });
      expect(entry).toMatchObject({ orgIds: [PROD_ORG], ...(h.sessionId ? { sessionId: h.sessionId } : {}) });
    });

    // Copies too big or too deep for a queue message are kept as a head or a note, so the run goes on.
    const bodyOf = (sessionId: string) => dead.find((d) => d.sessionId === sessionId)!.body;
    expect(bodyOf('12345.p.6').length).toBeLessThan(40_000);
    expect(bodyOf('12345.p.6')).toMatch(/^\{"id":"12345\.p\.6".*… \(cut from \d+ characters\)$/s);
    expect(JSON.parse(bodyOf('12345.p.7'))).toEqual({ unreadable: 'nested too deeply to keep a copy' });
    expect(JSON.parse(bodyOf('12345.p.5'))).toMatchObject({ id: '12345.p.5', channels: [{ type: 'screenshare' }] });

    await drain();
    expect((await records(PROD_ORG)).map((r) => r.Glance_Session_Id__c).sort()).toEqual(good.map((s) => s.id).sort());
  });
});
