import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { createLocalResources, exportResourceEnv, type LocalResources } from '../../local/aws-resources.ts';
import { drainQueue, pollOnce } from '../../local/queue-poller.ts';
import { startGlanceSim, type GlanceSim } from '../../local/glance-sim/index.ts';
import { generateSessions, makeSession } from '../../local/glance-sim/sample-sessions.ts';
import { resetAwsClients, sqs } from '../../shared/adapters/aws-clients.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { dynamoDedupeLedger } from '../../shared/adapters/dedupe-ledger.ts';
import { parseDeadLetter } from '../../shared/dead-letter.ts';
import { sqsSyncQueue } from '../../shared/adapters/sync-queue.ts';
import { orgSchema, type Org } from '../../shared/org.ts';
import type { GlanceSession, SessionEvent } from '../../shared/session.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { type SyncRun } from '../../shared/sync/sync-history.ts';
import { runSync, type SyncRunDeps } from '../../shared/sync/sync-run.ts';
import { syncEventId } from '../../shared/sync/sync-events.ts';
import { runSyncRequests, syncRunDeps, syncRunHandler } from '../../functions/sync-run/handler.ts';
import { createGlanceActivityClient } from '../../shared/adapters/glance-activity.ts';
import { ENDED_REACH_BACK_MS } from '../../shared/sync/sync-cursor.ts';
import { syncNow } from '../../functions/sync-now/handler.ts';
import { silentLog } from '../../shared/log.ts';
import { PROD_ORG } from '../support/fixtures.ts';
import { dynamoOrgHealth } from '../../shared/adapters/org-health-store.ts';
import { canonicalOrgId } from '../../shared/org.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const GROUP = 12345;
const API_KEY = 'glance-api-key-never-logged';
const CRR_USER = 'crr-service-12345';
const CRR_PASSWORD = 'crr-password-never-logged';
const PREFIX = 'glance-sync/';
const DAY = 24 * 3600_000;

let moto: MotoServer;
let sim: GlanceSim;
let resources: LocalResources;

beforeAll(async () => {
  [moto, sim] = await Promise.all([startMoto(), startGlanceSim()]);
  useLocalAws(moto.endpoint);
  resetAwsClients();
});
afterAll(async () => {
  await Promise.all([sim?.stop(), moto?.stop()]);
});
beforeEach(async () => {
  await moto.reset();
  resources = await createLocalResources({ visibilityTimeoutSeconds: 30 });
  exportResourceEnv(resources, { glanceApiUrl: sim.url, secretPrefix: PREFIX });
  sim.reset();
  sim.addGroup({ groupId: GROUP, apiKey: API_KEY, username: CRR_USER, password: CRR_PASSWORD });
});

async function registerOrg(
  overrides: { orgId?: string; installedAt?: Date; sites?: Array<'production' | 'staging'>; groups?: number[] } = {},
): Promise<Org> {
  const now = new Date().toISOString();
  const org = orgSchema.parse({
    orgId: overrides.orgId ?? PROD_ORG,
    name: 'Acme production',
    environment: 'production',
    loginUrl: 'https://login.salesforce.com',
    installedAt: (overrides.installedAt ?? new Date(Date.now() - 70 * DAY)).toISOString(),
    groups: overrides.groups ?? [GROUP],
    settings: {
      syncFrequency: 'hourly',
      sites: overrides.sites ?? ['production', 'staging'],
    },
    createdAt: now,
    updatedAt: now,
  });
  await dynamoOrgRegistry(resources.orgsTable).saveOrg(org, null);
  if (!overrides.groups) await writeGlanceCredentials(GROUP);
  return org;
}

/** Each test that stores other credentials uses its own group: the handler caches secrets for minutes, as in Lambda. */
async function writeGlanceCredentials(groupId: number, overrides: Record<string, unknown> = {}): Promise<void> {
  const credentials = { username: CRR_USER, password: CRR_PASSWORD, apiKey: API_KEY, ...overrides };
  await secretsManagerWriter().write(secretNames.groupGlance(PREFIX, groupId), JSON.stringify(credentials));
}

function addSessions(count: number, start: Date, end: Date, seed = 3): GlanceSession[] {
  // Ended cobrowse sessions: CRR lists ended sessions only, and documents cobrowse channels only.
  const sessions = generateSessions({ seed, count, groupId: GROUP, start, end, partnerUserIds: ['agent-17'], types: ['C'], endedRate: 1 });
  for (const s of sessions) sim.addSession(s);
  return sessions;
}

/** Every message on a queue, consumed, in arrival order. */
async function takeAll(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const out = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) return bodies;
    bodies.push(...messages.map((m) => m.Body ?? ''));
    await sqs().send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}
const takeEvents = async () => (await takeAll(resources.eventsQueueUrl)).map((body) => JSON.parse(body) as SessionEvent);

/** The handler's wiring with small Glance pages, so several pages need few sessions (moto's SQS is slow). */
const smallPageDeps = (): SyncRunDeps => ({
  ...syncRunDeps(),
  activityClient: (credentials) => createGlanceActivityClient({ baseUrl: sim.url, credentials, channelBatchSize: 8 }),
});
const smallPageHandler = syncRunHandler(smallPageDeps);

async function syncNowAndRun(input: Record<string, unknown> = { orgId: PROD_ORG }) {
  const answer = await syncNow(input);
  await drainQueue(resources.syncQueueUrl, smallPageHandler, { batchSize: 1 });
  return answer;
}

const history = () => dynamoSyncHistory(resources.orgsTable);
const runsOf = (orgId = PROD_ORG) => history().listRuns(orgId);
const sessionRequests = () => sim.requests().filter((r) => r.path === '/api/crr/sessions/ended');
const utc = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

describe('a sync run', () => {
  it('pulls more than 31 days over several pages, queues every session once, and records the run', async () => {
    const org = await registerOrg();
    const sessions = addSessions(45, new Date(org.installedAt), new Date(Date.now() - 3600_000));
    const before = Date.now();

    const answer = await syncNowAndRun();

    expect(answer).toMatchObject({ status: 'queued', runId: expect.any(String) });
    expect('nextScheduledSync' in answer && Date.parse(answer.nextScheduledSync!)).toBeGreaterThan(before);
    const events = await takeEvents();
    expect(events).toHaveLength(sessions.length);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(sessions.length);
    expect(new Set(events.map((e) => e.session.id))).toEqual(new Set(sessions.map((s) => s.id)));
    const sample = events.find((e) => e.session.endedAt !== null)!;
    expect(sample).toMatchObject({ source: 'sync', type: 'session.ended', occurredAt: sample.session.endedAt, eventId: syncEventId(sample.session) });

    // Glance saw ranges of at most 31 days, in UTC with the zone, and more than one page in a window.
    const requests = sessionRequests().map((r) => r.body as { startDate: string; endDate: string; pageId: unknown; partnerId: unknown });
    expect(requests.every((r) => Date.parse(r.endDate) - Date.parse(r.startDate) <= 31 * DAY && r.startDate.endsWith('Z') && r.partnerId === GROUP)).toBe(true);
    expect(new Set(requests.map((r) => r.startDate)).size).toBe(3);
    expect(requests.some((r) => r.pageId !== 0)).toBe(true);
    expect(sim.requests().filter((r) => r.path === '/api/auth/service')).toHaveLength(1);

    const [run, ...older] = await runsOf();
    expect(older).toEqual([]);
    expect(run).toMatchObject({
      runId: 'runId' in answer ? answer.runId : '',
      trigger: 'sync_now',
      status: 'succeeded',
      counts: { fetched: 45, queued: 45, alreadyKnown: 0, failed: 0 },
      error: null,
      watermarkBefore: null,
    });
    expect(Date.parse(run!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(run!.requestedAt));
    expect(Date.parse(run!.endedAt!)).toBeGreaterThanOrEqual(Date.parse(run!.startedAt!));
    // Everything up to two minutes before the run is queued; nothing later is claimed.
    expect(Date.parse(run!.watermarkAfter!)).toBeGreaterThanOrEqual(Math.floor((before - 2 * 60_000) / 1000) * 1000); // CRR dates are whole seconds
    expect(Date.parse(run!.watermarkAfter!)).toBeLessThanOrEqual(Date.now() - 2 * 60_000);
    expect(JSON.stringify(await runsOf())).not.toContain(API_KEY);

    // A run right after has nothing new: what its reach-back lists again is already known.
    await syncNowAndRun();
    expect(await takeEvents()).toEqual([]);
    const [second] = await runsOf();
    expect(second).toMatchObject({ status: 'succeeded', counts: { queued: 0, failed: 0 }, watermarkBefore: run!.watermarkAfter });
    expect(second!.counts.alreadyKnown).toBe(second!.counts.fetched);
  });

  it('after a crash mid-run, a later run carries on from the watermark and every session is processed once', async () => {
    const org = await registerOrg();
    const sessions = addSessions(45, new Date(org.installedAt), new Date(Date.now() - 3600_000));
    const answer = await syncNow({ orgId: PROD_ORG });
    const runId = 'runId' in answer ? answer.runId : '';
    await takeAll(resources.syncQueueUrl); // this attempt is run by hand, below

    // The third page reaches the events queue, then the Lambda dies: nothing after it is written.
    const real = smallPageDeps();
    let pages = 0;
    let dead = false;
    const die = () => {
      if (dead) throw new Error('the Lambda is gone');
    };
    const crashing: SyncRunDeps = {
      ...real,
      history: new Proxy(real.history, { get: (target, key) => (...args: unknown[]) => (die(), (target as never as Record<string, (...a: unknown[]) => unknown>)[key as string]!(...args)) }),
      async enqueue(events) {
        die();
        await real.enqueue(events);
        if (++pages === 3) {
          dead = true;
          throw new Error('the Lambda is gone');
        }
      },
    };
    await expect(runSync(crashing, { orgId: PROD_ORG, runId, trigger: 'sync_now' }, { messageId: 'm-1', sentAt: new Date() })).rejects.toThrow();

    const [crashed] = await runsOf();
    expect(crashed).toMatchObject({ runId, status: 'running', endedAt: null });
    expect(crashed!.counts.queued).toBeGreaterThan(0);
    expect(crashed!.counts.queued).toBeLessThan(sessions.length);
    const cursor = await history().readCursor(PROD_ORG);
    const watermarkAtCrash = cursor!.groups[String(GROUP)]!.watermark;
    expect(Date.parse(watermarkAtCrash)).toBeLessThan(Date.now() - 30 * DAY);

    // While its lease lasts the org stays taken: a Sync Now is skipped, not run twice.
    await syncNowAndRun();
    const [skipped] = await runsOf();
    expect(skipped).toMatchObject({ status: 'skipped' });
    expect(skipped!.error).toContain(runId);

    // Once the lease ran out, the next run closes the dead one and carries on from its watermark.
    const later = new Date(Date.now() + 20 * 60_000);
    const requestsBefore = sessionRequests().length;
    const outcome = await runSync({ ...smallPageDeps(), now: () => later }, { orgId: PROD_ORG, trigger: 'schedule' }, { messageId: 'm-2', sentAt: later });
    expect(outcome).toMatchObject({ kind: 'finished', run: { status: 'succeeded', trigger: 'schedule', watermarkBefore: watermarkAtCrash } });
    const runs = await runsOf();
    expect(runs.find((r) => r.runId === runId)).toMatchObject({ status: 'failed', error: expect.stringContaining('stopped without finishing') });
    expect(sessionRequests()[requestsBefore]?.body?.startDate).toBe(utc(Date.parse(watermarkAtCrash) - ENDED_REACH_BACK_MS));

    // The page queued just before the crash is queued again; the processor's dedupe drops the repeat.
    const events = await takeEvents();
    expect(events.length).toBeGreaterThan(sessions.length);
    const ledger = dynamoDedupeLedger(resources.dedupeTable);
    const processed: string[] = [];
    for (const event of events) {
      if ((await ledger.claimEvent(event.eventId, 60_000)) !== 'claimed') continue;
      processed.push(event.session.id);
      await ledger.completeEvent(event.eventId);
    }
    expect(processed.sort()).toEqual(sessions.map((s) => s.id).sort());
  });

  it('when a run fails, history says why and a re-run queues the rest', async () => {
    const org = await registerOrg();
    const sessions = addSessions(40, new Date(org.installedAt), new Date(Date.now() - 3600_000));
    let calls = 0;
    const real = smallPageDeps();
    const flaky: SyncRunDeps = {
      ...real,
      async enqueue(events) {
        if (++calls === 2) throw new Error('could not queue 10 session events: ServiceUnavailable');
        await real.enqueue(events);
      },
    };
    const outcome = await runSync(flaky, { orgId: PROD_ORG, trigger: 'sync_now' }, { messageId: 'm-1', sentAt: new Date() });
    expect(outcome).toMatchObject({ kind: 'finished', run: { status: 'failed', error: expect.stringContaining('ServiceUnavailable') } });
    const failed = (outcome as { run: SyncRun }).run;
    expect(failed.endedAt).not.toBeNull();
    expect(failed.watermarkAfter).not.toBeNull();

    await syncNowAndRun();
    const [rerun] = await runsOf();
    expect(rerun).toMatchObject({ status: 'succeeded', watermarkBefore: failed.watermarkAfter });
    expect(failed.counts.queued + rerun!.counts.queued).toBe(sessions.length);
    const events = await takeEvents();
    expect(new Set(events.map((e) => e.session.id))).toEqual(new Set(sessions.map((s) => s.id)));
    expect(events).toHaveLength(sessions.length);
  });

  it('stops short of the Lambda time limit with the run recorded, and the next run continues', async () => {
    const org = await registerOrg();
    const sessions = addSessions(20, new Date(org.installedAt), new Date(Date.now() - 3600_000));
    const outcome = await runSync({ ...smallPageDeps(), remainingMs: () => 15_000 }, { orgId: PROD_ORG, trigger: 'schedule' }, { messageId: 'm-1', sentAt: new Date() });
    expect(outcome).toMatchObject({ run: { status: 'failed', counts: { queued: 8 }, error: expect.stringContaining('the next run continues') } });
    await syncNowAndRun();
    expect((await takeEvents()).map((e) => e.session.id).sort()).toEqual(sessions.map((s) => s.id).sort());
  });

  it('two Sync Now calls at once give one run and one skipped entry', async () => {
    const org = await registerOrg();
    const sessions = addSessions(30, new Date(org.installedAt), new Date(Date.now() - 3600_000));
    const answers = await Promise.all([syncNow({ orgId: PROD_ORG }), syncNow({ orgId: PROD_ORG })]);
    expect(answers.map((a) => ('status' in a ? a.status : a.error))).toEqual(['queued', 'queued']);

    // Two Lambda invocations at once, one message each, as the event source mapping would do.
    // Whichever takes the org's lease first holds it until the other has tried to: on a loaded
    // machine the first run could otherwise finish before the second starts, and both succeed.
    let tries = 0;
    let bothTried!: () => void;
    const secondTry = new Promise<void>((resolve) => (bothTried = resolve));
    const run = syncRunHandler((context) => {
      const deps = syncRunDeps(context);
      const acquireLease: SyncRunDeps['history']['acquireLease'] = async (...args) => {
        const result = await deps.history.acquireLease(...args);
        if (++tries === 2) bothTried();
        else await secondTry;
        return result;
      };
      return { ...deps, history: { ...deps.history, acquireLease } };
    });
    const concurrently = async (event: SQSEvent) => {
      const results = await Promise.all(event.Records.map((record) => run({ Records: [record] })));
      return { batchItemFailures: results.flatMap((r) => r.batchItemFailures) };
    };
    expect(await pollOnce(resources.syncQueueUrl, concurrently, { batchSize: 10 })).toBe(2);

    const runs = await runsOf();
    expect(runs.map((r) => r.status).sort()).toEqual(['skipped', 'succeeded']);
    const ran = runs.find((r) => r.status === 'succeeded')!;
    expect(runs.find((r) => r.status === 'skipped')!.error).toContain(ran.runId);
    expect(await takeEvents()).toHaveLength(sessions.length);
    expect(await takeAll(resources.syncQueueUrl)).toEqual([]);
  });

  it('a wrong API key reaches Sync History as a clear message, without the key', async () => {
    sim.addGroup({ groupId: 501, apiKey: 'the-right-api-key', username: CRR_USER, password: CRR_PASSWORD });
    await registerOrg({ groups: [501] });
    await writeGlanceCredentials(501, { apiKey: 'a-wrong-api-key' });
    await syncNowAndRun();
    const [run] = await runsOf();
    expect(run).toMatchObject({
      status: 'failed',
      error:
        'group 501: Glance refused the API key of group 501 (403: invalid partnerId or apiKey): copy the API key from Glance (My Account > Settings) and store it again (glance-sync groups credentials 501 --file FILE)',
    });
    expect(JSON.stringify(await runsOf())).not.toContain('a-wrong-api-key');
    expect(await takeAll(resources.syncDlqUrl)).toEqual([]);
  });

  it("records the org's Glance login as failing when Glance refuses a group's service login, and as ok once a page comes back", async () => {
    const refused = canonicalOrgId('00D5g000000GlNc')!;
    sim.addGroup({ groupId: 505, apiKey: API_KEY, username: CRR_USER, password: CRR_PASSWORD });
    await registerOrg({ orgId: refused, groups: [505] });
    await writeGlanceCredentials(505, { password: 'not-the-password-glance-issued' });
    await registerOrg();
    const health = dynamoOrgHealth(resources.orgsTable);
    const handler = syncRunHandler(() => ({ ...smallPageDeps(), health }));
    for (const orgId of [refused, PROD_ORG]) {
      await syncNow({ orgId });
      await drainQueue(resources.syncQueueUrl, handler, { batchSize: 1 });
    }
    const recorded = await dynamoOrgHealth(resources.orgsTable).read([refused, PROD_ORG]);
    expect(recorded.get(refused)?.login.glance).toMatchObject({ ok: false, error: expect.stringMatching(/^group 505: Glance refused the CRR service login of group 505/) });
    expect(recorded.get(refused)?.lastError?.message).toMatch(/^Glance login failed: group 505: Glance refused the CRR service login/);
    expect(recorded.get(PROD_ORG)?.login.glance).toMatchObject({ ok: true, error: null });
    expect(JSON.stringify([...recorded.values()])).not.toMatch(/not-the-password|crr-password|glance-api-key/);
  });

  it('an expired service token that Glance keeps refusing reaches Sync History as a clear message', async () => {
    sim.addGroup({ groupId: 502, apiKey: API_KEY, username: CRR_USER, password: CRR_PASSWORD });
    await registerOrg({ groups: [502] });
    await writeGlanceCredentials(502);
    sim.setTokenLifetime(0); // Glance says every token it issues has expired; this host's clock runs an hour behind
    const behind = () => new Date(Date.now() - 3600_000);
    const deps: SyncRunDeps = { ...syncRunDeps(), activityClient: (credentials) => createGlanceActivityClient({ baseUrl: sim.url, credentials, now: behind }), log: silentLog };
    const outcome = await runSync(deps, { orgId: PROD_ORG, trigger: 'schedule' }, { messageId: 'm-expired', sentAt: new Date() });
    expect(outcome).toMatchObject({ run: { status: 'failed' } });
    const [run] = await runsOf();
    expect(run!.error).toMatch(/^group 502: Glance refused group 502's CRR request even with a new service token \(401: token expired\)\. .*check the clock/);
    expect(sim.requests().map((r) => `${r.path} ${r.status}`)).toEqual([
      '/api/auth/service 200',
      '/api/crr/sessions/ended 401',
      '/api/auth/service 200',
      '/api/crr/sessions/ended 401',
    ]);
  });

  it('a group without credentials fails the run naming its secret, and the org\'s other group is still pulled', async () => {
    const org = await registerOrg({ groups: [GROUP, 503] });
    await writeGlanceCredentials(GROUP);
    const sessions = addSessions(5, new Date(org.installedAt), new Date(Date.now() - 3600_000));
    await syncNowAndRun();
    const [run] = await runsOf();
    expect(run).toMatchObject({ status: 'failed', counts: { queued: sessions.length } });
    expect(run!.error).toBe(
      `group 503: no Glance CRR credentials: secret ${secretNames.groupGlance(PREFIX, 503)} does not exist (expected {"username": "...", "password": "...", "apiKey": "...", "site": "production"})`,
    );
    expect((await takeEvents()).map((e) => e.session.id).sort()).toEqual(sessions.map((s) => s.id).sort());
  });

  it('malformed credentials fail naming the secret and the field, never a value', async () => {
    await registerOrg({ groups: [504] });
    await writeGlanceCredentials(504, { apiKey: undefined, key: 'misnamed-key-value' });
    await syncNowAndRun();
    const [run] = await runsOf();
    expect(run!.status).toBe('failed');
    expect(run!.error).toContain(`secret ${secretNames.groupGlance(PREFIX, 504)} has a missing or invalid`);
    expect(run!.error).toContain('apiKey');
    expect(run!.error).not.toMatch(/misnamed-key-value|crr-password/);
    expect(sessionRequests()).toEqual([]);
  });

  it('dead-letters a pulled session that fails the schema, with its reason, and queues the rest', async () => {
    const org = await registerOrg();
    const sessions = addSessions(30, new Date(org.installedAt), new Date(Date.now() - 3600_000));
    sim.injectFault({ kind: 'invalidSession', times: 1 });

    await syncNowAndRun();

    const [run] = await runsOf();
    expect(run).toMatchObject({ status: 'succeeded', counts: { fetched: 30, queued: 29, alreadyKnown: 0, failed: 1 } });
    const dead = (await takeAll(resources.eventsDlqUrl)).map((body) => parseDeadLetter(body));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ orgIds: [PROD_ORG], sessionId: sessions[0]!.id });
    expect(dead[0]!.reason).toContain(`sync run ${run!.runId}`);
    expect(dead[0]!.reason).toMatch(/sessions\[0\]\.started_at: /);
    expect(JSON.parse(dead[0]!.body)).toMatchObject({ id: sessions[0]!.id, started_at: 'not a date' });
    const queued = (await takeEvents()).map((e) => e.session.id);
    expect(queued).toHaveLength(29);
    expect(queued).not.toContain(sessions[0]!.id);
  });

  it('pulls a session that was still running at the last run once it has ended; what it queued before counts as already known', async () => {
    const t0 = new Date();
    await registerOrg({ installedAt: new Date(t0.getTime() - 3 * 3600_000), sites: ['production'] });
    const minutes = (m: number) => new Date(t0.getTime() + m * 60_000).toISOString();
    const running = makeSession({ id: `${GROUP}.1.1`, sessionKey: '1', type: 'C', startedAt: minutes(-60), status: 'A', endedAt: null, guests: [] });
    const done = makeSession({ id: `${GROUP}.1.2`, sessionKey: '1', type: 'C', startedAt: minutes(-50), status: 'C', endedAt: minutes(-45), guests: [] });
    for (const s of [running, done]) sim.addSession(s);
    const runAt = async (at: Date) =>
      runSync({ ...syncRunDeps(), now: () => at, log: silentLog }, { orgId: PROD_ORG, trigger: 'schedule' }, { messageId: `m-${at.getTime()}`, sentAt: at });

    // CRR lists ended sessions only: the running one is not seen yet.
    const first = await runAt(t0);
    expect(first).toMatchObject({ run: { counts: { fetched: 1, queued: 1, alreadyKnown: 0 } } });
    expect((await takeEvents()).map((e) => [e.session.id, e.type])).toEqual([[done.id, 'session.ended']]);

    // Half an hour later it has ended; it started before the watermark, and the reach-back finds it.
    sim.addSession({ ...running, status: 'C', endedAt: minutes(10) });
    const fresh = makeSession({ id: `${GROUP}.1.4`, sessionKey: '1', type: 'C', startedAt: minutes(5), status: 'C', endedAt: minutes(8), guests: [] });
    sim.addSession(fresh);
    const second = await runAt(new Date(t0.getTime() + 30 * 60_000));
    expect(second).toMatchObject({ run: { counts: { fetched: 3, queued: 2, alreadyKnown: 1 } } });
    expect((await takeEvents()).map((e) => [e.session.id, e.type, e.occurredAt])).toEqual([
      [running.id, 'session.ended', minutes(10)],
      [fresh.id, 'session.ended', minutes(8)],
    ]);

    // The next run lists them all again and queues nothing.
    const third = await runAt(new Date(t0.getTime() + 60 * 60_000));
    expect(third).toMatchObject({ run: { status: 'succeeded', counts: { fetched: 3, queued: 0, alreadyKnown: 3 } } });
    expect(await takeEvents()).toEqual([]);
  });
});

describe('sync requests that cannot run', () => {
  it('Sync Now answers with an error for an unknown org or bad input, and queues nothing', async () => {
    expect(await syncNow({ orgId: '00D000000000000EAA' })).toEqual({ error: 'org 00D000000000000EAA is not registered', code: 'not_found' });
    expect(await syncNow({ org: PROD_ORG })).toMatchObject({ code: 'invalid', error: expect.stringContaining('orgId') });
    expect(await syncNow({ orgId: 'not-an-org' })).toMatchObject({ code: 'invalid' });
    await registerOrg();
    expect(await syncNow({ orgId: PROD_ORG, from: '2026-11-01T00:00:00' })).toMatchObject({ code: 'invalid', error: expect.stringContaining('zone') });
    expect(await takeAll(resources.syncQueueUrl)).toEqual([]);
  });

  it('a malformed message or one for a removed org goes to the sync DLQ with its reason, never around again', async () => {
    const queue = sqsSyncQueue(resources.syncQueueUrl);
    await queue.send({ orgId: PROD_ORG, trigger: 'schedule' }); // no such org
    await queue.send({ orgId: PROD_ORG, trigger: 'hourly' as never });
    await drainQueue(resources.syncQueueUrl, runSyncRequests, { batchSize: 1 });
    const reasons = (await takeAll(resources.syncDlqUrl)).map((body) => parseDeadLetter(body)?.reason).sort();
    expect(reasons).toEqual([expect.stringContaining('not a sync request: trigger'), expect.stringContaining(`org ${PROD_ORG} is not registered`)]);
    expect(await takeAll(resources.syncQueueUrl)).toEqual([]);
  });
});
