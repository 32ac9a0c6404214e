import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingest } from '../../functions/webhook-ingest/handler.ts';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { startLocalHttpApi } from '../../local/http-api.ts';
import { pollOnce } from '../../local/queue-poller.ts';
import { sendWebhook } from '../../local/glance-sim/webhook-sender.ts';
import { writeRuntime } from '../../local/runtime-file.ts';
import { sqsDeadLetters } from '../../shared/adapters/dead-letters.ts';
import { dynamoCredentialsPauses, dynamoOrgPauses, pauseHistoryKey } from '../../shared/adapters/org-pauses.ts';
import { nextPause } from '../../shared/processing/circuit-breaker.ts';
import { dynamo } from '../../shared/adapters/aws-clients.ts';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoOrgHealth } from '../../shared/adapters/org-health-store.ts';
import { orgCheck } from '../../functions/org-check/handler.ts';
import { addOrg, pairOrg } from '../../shared/org-admin.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { sampleWebhookEvent } from '../support/fixtures.ts';
import { startTestPipeline, WEBHOOK_SECRET, type TestPipeline } from '../support/pipeline.ts';

/**
 * The admin's view of org health and groups (issue 12), through the CLI against a local run:
 * moto_server, the Salesforce simulator and the real handlers.
 */
const GROUP = 24680;
const HEALTHY = '00D5g000000HeAlEAK';
const BROKEN = '00D5g000000BrOkEAK';

let p: TestPipeline;
let api: Awaited<ReturnType<typeof startLocalHttpApi>>;
let dir: string;
let runtimeFile: string;

type Result = CliResult;

const cli = (...argv: string[]): Promise<Result> => runCli(argv, { runtimeFile, env: { GLANCE_SYNC_TARGET: 'local' } });

const json = (r: Result) => {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

/** One delivery of whatever is on the events queue, as Lambda's event source mapping would make it. */
const deliverOnce = () => pollOnce(p.resources.eventsQueueUrl, (event) => processEvents(event), { waitSeconds: 0 });

beforeAll(async () => {
  p = await startTestPipeline();
  api = await startLocalHttpApi(ingest);
});
afterAll(async () => {
  await api?.stop();
  await p?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await p.reset();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(join(tmpdir(), 'glance-sync-admin-'));
  runtimeFile = writeRuntime(
    { awsEndpoint: p.moto.endpoint, region: 'us-east-1', resources: p.resources, webhookBaseUrl: `${api.url}/webhooks/glance/` },
    join(dir, 'runtime.json'),
  );
  await p.registerGroup(GROUP);
});

describe('health at a glance', () => {
  it('an org whose Salesforce refuses its credentials shows as failing after one delivery, the healthy one as ok', async () => {
    await p.addOrg(HEALTHY, [GROUP], { logSessionsStartedOutside: true });
    // The simulator knows the org, but the stored refresh token is not the one it issued.
    p.sim.addOrg({ orgId: BROKEN, username: 'admin@broken.example', clientId: 'client-broken', refreshToken: 'the-real-token' });
    await addOrg(
      p.admin,
      { orgId: BROKEN, name: 'Broken', environment: 'production', installedAt: '2026-11-01T13:14:00Z', settings: { logSessionsStartedOutside: true } },
      { authType: 'refresh_token', loginUrl: p.sim.url, clientId: 'client-broken', refreshToken: 'a-revoked-token' },
    );
    await pairOrg(p.admin, BROKEN, GROUP);

    const before = json(await cli('orgs', 'list', '--json'));
    expect(before.map((o: { health: { status: string } }) => o.health.status)).toEqual(['unknown', 'unknown']);

    expect((await sendWebhook(`${api.url}/webhooks/glance/${GROUP}`, sampleWebhookEvent({ groupId: GROUP, id: `${GROUP}.1.1` }), { secret: WEBHOOK_SECRET })).status).toBe(202);
    expect(await deliverOnce()).toBe(1);

    const list = json(await cli('orgs', 'list', '--json'));
    const byId = new Map(list.map((o: { orgId: string; health: unknown }) => [o.orgId, o.health]));
    expect(byId.get(BROKEN)).toMatchObject({ status: 'failing', salesforceLogin: expect.stringMatching(/^failing since \S+Z: INVALID_GRANT: Salesforce login .* failed/) });
    expect(byId.get(HEALTHY)).toMatchObject({ status: 'ok', salesforceLogin: expect.stringMatching(/^ok since /) });

    const text = await cli('orgs', 'list');
    expect(text.stdout).toMatch(new RegExp(`${BROKEN}\\s+Broken\\s+production\\s+failing\\s+failing since \\S+Z\\s+never\\s+0\\s+${GROUP}`));
    const shown = await cli('orgs', 'show', BROKEN);
    expect(shown.stdout).toMatch(/\nhealth: failing\n {2}Salesforce login:\s+failing since \S+Z: INVALID_GRANT/);
    expect(shown.stdout).toMatch(/ {2}last error:\s+\S+Z Salesforce login failed: INVALID_GRANT/);
    expect(shown.stdout).not.toContain('a-revoked-token');
    expect(shown.code).toBe(0);
  });

  it('shows the last sync and its result, a pause with its reason and end, and dead letters waiting', async () => {
    await p.addOrg(HEALTHY, [GROUP]);
    const history = dynamoSyncHistory(p.resources.orgsTable);
    await history.saveRun({
      orgId: HEALTHY, runId: 'run-1', trigger: 'schedule', status: 'failed', requestedAt: '2026-11-22T14:14:00.000Z', startedAt: '2026-11-22T14:14:01.000Z',
      endedAt: '2026-11-22T14:14:09.000Z', counts: { fetched: 0, queued: 0, alreadyKnown: 0, failed: 0 }, error: 'Glance answered 503', watermarkBefore: null, watermarkAfter: null,
    });
    const until = new Date(Date.now() + 3600_000).toISOString();
    await dynamoOrgPauses(p.resources.orgsTable).pause(HEALTHY, { until, reason: 'Salesforce API usage 95000/100000 is at or above 90% of the daily allowance' });
    await sqsDeadLetters(p.resources.eventsDlqUrl)(
      { messageId: 'm-1', body: JSON.stringify({ eventId: 'e-1' }), receiveCount: 5 },
      { reason: 'Salesforce refused the session: STRING_TOO_LONG', orgIds: [HEALTHY], sessionId: 's-1' },
    );

    const [listed] = json(await cli('orgs', 'list', '--json'));
    expect(listed.health).toMatchObject({
      status: 'paused',
      lastSync: 'failed (schedule, 2026-11-22T14:14:09Z): Glance answered 503',
      paused: expect.stringMatching(/^until \S+Z: Salesforce API usage 95000\/100000/),
      deadLetters: 1,
      lastError: '2026-11-22T14:14:09Z sync run run-1: Glance answered 503',
    });
    const shown = await cli('orgs', 'show', HEALTHY);
    expect(shown.stdout).toMatch(/dead letters:\s+1 waiting \(glance-sync dlq list --org 00D5g000000HeAlEAK\)/);
    // Reading the DLQ for the count leaves the message there.
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(1);
  });

  it('orgs show lists the recent pauses, not only the one in force: how each ended, newest first, none past its expiry', async () => {
    await p.addOrg(HEALTHY, [GROUP]);
    let clock = Date.parse('2026-11-20T08:00:00Z');
    const pauses = dynamoOrgPauses(p.resources.orgsTable, () => clock);
    // A maintenance window: paused, one failed probe (same episode), then the probe answers.
    const outage = nextPause('outage', 'Salesforce answered 503 Service Unavailable', clock, null);
    await pauses.pause(HEALTHY, outage);
    clock += 60_000;
    await pauses.pause(HEALTHY, nextPause('outage', 'Salesforce answered 503 Service Unavailable', clock, outage));
    clock += 2 * 60_000;
    await pauses.recover(HEALTHY);
    // Later, a revoked refresh token; the admin stores new credentials.
    clock = Date.parse('2026-11-21T09:00:00Z');
    await pauses.pause(HEALTHY, nextPause('credentials', 'Salesforce refused the login: invalid_grant', clock, null));
    expect(await dynamoCredentialsPauses(p.resources.orgsTable, () => clock + 5_000).endCredentialsPause(HEALTHY)).toMatchObject({ kind: 'credentials' });
    // And one in force now.
    const until = new Date(Date.now() + 3600_000).toISOString();
    await dynamoOrgPauses(p.resources.orgsTable).pause(HEALTHY, { kind: 'allowance', since: new Date().toISOString(), until, reason: 'Salesforce API usage 95000/100000' });
    // An episode whose expiry has passed but which DynamoDB's TTL has not deleted yet (it may take 48 hours).
    await dynamo().send(new PutCommand({ TableName: p.resources.orgsTable, Item: { ...pauseHistoryKey(HEALTHY, '2026-10-01T00:00:00.000Z'), since: '2026-10-01T00:00:00.000Z', until: '2026-10-01T01:00:00.000Z', reason: 'old', probes: 0, expiresAt: Math.floor(Date.now() / 1000) - 60 } }));

    const shown = await cli('orgs', 'show', HEALTHY);
    const section = shown.stdout.split('recent pauses')[1]!.split('\nsettings:')[0]!;
    const lines = section.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^  - \\S+Z allowance: paused until ${until}: Salesforce API usage`)),
      '  - 2026-11-21T09:00:00.000Z credentials: resumed 2026-11-21T09:00:05.000Z (new credentials): Salesforce refused the login: invalid_grant',
      '  - 2026-11-20T08:00:00.000Z outage: resumed 2026-11-20T08:03:00.000Z (probe answered), 1 failed probe: Salesforce answered 503 Service Unavailable',
    ]);
    expect(json(await cli('orgs', 'show', HEALTHY, '--json')).recentPauses).toHaveLength(3);
  });
});

describe('the health record', () => {
  it('keeps "since" while an org keeps failing for another reason, moves it when the login flips, and writes nothing while unchanged', async () => {
    let clock = Date.parse('2026-11-22T10:00:00Z');
    const health = dynamoOrgHealth(p.resources.orgsTable, () => new Date(clock));
    const read = async () => (await dynamoOrgHealth(p.resources.orgsTable).read([BROKEN])).get(BROKEN)!;
    await health.login(BROKEN, 'salesforce', { ok: false, error: 'INVALID_GRANT: expired' });
    clock += 60_000;
    await health.login(BROKEN, 'salesforce', { ok: false, error: 'INVALID_GRANT: revoked' });
    expect((await read()).login.salesforce).toEqual({ ok: false, since: '2026-11-22T10:00:00.000Z', error: 'INVALID_GRANT: revoked' });
    clock += 60_000;
    await health.login(BROKEN, 'salesforce', { ok: true });
    expect((await read()).login.salesforce).toEqual({ ok: true, since: '2026-11-22T10:02:00.000Z', error: null });
    expect((await read()).lastError).toEqual({ at: '2026-11-22T10:01:00.000Z', message: 'Salesforce login failed: INVALID_GRANT: revoked' });
    // Another container recorded a failure meanwhile; this one, remembering "ok", writes nothing for a while.
    await dynamoOrgHealth(p.resources.orgsTable, () => new Date(clock)).login(BROKEN, 'salesforce', { ok: false, error: 'x' });
    await health.login(BROKEN, 'salesforce', { ok: true });
    expect((await read()).login.salesforce?.ok).toBe(false);
    clock += 5 * 60_000 + 1;
    await health.login(BROKEN, 'salesforce', { ok: true });
    expect((await read()).login.salesforce?.ok).toBe(true);
  });
});

describe('the OrgCheck function', () => {
  it("checks a record mapping against the org's describe with the org's stored credentials", async () => {
    await p.addOrg(HEALTHY, [GROUP]);
    expect(await orgCheck({ orgId: HEALTHY, recordMapping: { Kase: { ContactEmail: 'user_email' }, Case: { ContactEmail: 'user_email' } } })).toEqual({
      problems: [expect.stringMatching(/^recordMapping: Glance_Session__c has no lookup to Kase/)],
    });
    expect(await orgCheck({ orgId: 'nope', recordMapping: {} })).toMatchObject({ code: 'invalid', error: expect.stringMatching(/^invalid org check request: orgId/) });
  });
});

describe('groups', () => {
  it('add prints the webhook URL to give Glance; list and show the paired orgs, URL and secret count and age; remove', async () => {
    const added = await cli('groups', 'add', '13579');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^whsec_\S+\n$/);
    expect(added.stderr).toContain(`webhook URL: ${api.url}/webhooks/glance/13579\n`);
    await p.addOrg(HEALTHY, [GROUP, 13579]);

    expect(json(await cli('groups', 'list', '--json'))).toEqual([
      { groupId: 13579, createdAt: expect.any(String), orgIds: [HEALTHY], webhookUrl: `${api.url}/webhooks/glance/13579` },
      { groupId: GROUP, createdAt: expect.any(String), orgIds: [HEALTHY], webhookUrl: `${api.url}/webhooks/glance/${GROUP}` },
    ]);
    expect((await cli('groups', 'list')).stdout).toMatch(new RegExp(`^GROUP\\s+REGISTERED\\s+ORGS\\s+WEBHOOK URL\\n13579\\s+\\S+Z\\s+${HEALTHY}\\s+http://`));

    // A rotation under way: a new value is current, the old one stays as AWSPREVIOUS.
    await p.admin.secrets.write(`glance-sync/group/${GROUP}/webhook`, 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24=');
    const shown = json(await cli('groups', 'show', String(GROUP), '--json'));
    expect(shown).toMatchObject({ groupId: GROUP, webhookUrl: `${api.url}/webhooks/glance/${GROUP}`, secret: { stored: true, count: 2, ageDays: 0 } });
    expect(shown.orgs).toEqual([expect.objectContaining({ orgId: HEALTHY, environment: 'production' })]);
    const text = await cli('groups', 'show', String(GROUP));
    expect(text.stdout).toMatch(/webhook secret:\s+2 secrets \(current and previous: a rotation under way\), last changed \S+Z \(0 days ago\)/);
    expect(text.stdout).not.toContain('whsec_');

    const paired = await cli('groups', 'remove', String(GROUP), '--yes');
    expect(paired).toEqual({ code: 4, stdout: '', stderr: `glance-sync: group ${GROUP} is paired with ${HEALTHY}: unpair first (glance-sync orgs unpair ${HEALTHY} ${GROUP})\n` });
    expect((await cli('groups', 'remove', String(GROUP))).code).toBe(2);
    expect((await cli('orgs', 'unpair', HEALTHY, String(GROUP))).code).toBe(0);
    expect(await cli('groups', 'remove', String(GROUP), '--yes')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^removed group 24680/) });
    expect(json(await cli('groups', 'list', '--json')).map((g: { groupId: number }) => g.groupId)).toEqual([13579]);
    expect(await cli('groups', 'show', String(GROUP))).toEqual({ code: 3, stdout: '', stderr: `glance-sync: group ${GROUP} is not registered\n` });
    // Its webhooks are refused at once.
    expect((await sendWebhook(`${api.url}/webhooks/glance/${GROUP}`, sampleWebhookEvent({ groupId: GROUP }), { secret: WEBHOOK_SECRET })).status).toBe(404);
  });
});

describe('recordMapping is checked against the org', () => {
  beforeEach(async () => {
    await p.addOrg(HEALTHY, [GROUP]);
  });

  it.each([
    ['{"Kase": {"ContactEmail": "user_email"}}', /^glance-sync: recordMapping: Glance_Session__c has no lookup to Kase, so no session can be related to it \(it can be related to Case, Contact, Lead, Opportunity\)\n$/],
    ['{"Case": {"ContactEmai": "user_email"}}', /^glance-sync: recordMapping\.Case\.ContactEmai: Case has no field ContactEmai\n$/],
    ['{"Lead": {"Description": "user_email"}}', /^glance-sync: recordMapping\.Lead\.Description: Lead\.Description cannot be used in a query filter \(not filterable, e\.g\. a long text area\)\n$/],
  ])('%s is refused with exit 3 naming what is wrong, and nothing is saved', async (mapping, message) => {
    const result = await cli('orgs', 'set', HEALTHY, `recordMapping=${mapping}`);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(message);
    expect(json(await cli('orgs', 'show', HEALTHY, '--json')).org.settings.recordMapping).toEqual({});
  });

  it('a mapping the org can use is saved; --unchecked saves without asking the org', async () => {
    expect(await cli('orgs', 'set', HEALTHY, 'recordMapping={"Case": {"ContactEmail": "user_email"}}')).toMatchObject({ code: 0, stderr: '' });
    expect(json(await cli('orgs', 'show', HEALTHY, '--json')).org.settings.recordMapping).toEqual({ Case: { ContactEmail: 'user_email' } });
    const calls = p.sim.apiCalls(HEALTHY);
    expect(await cli('orgs', 'set', HEALTHY, 'recordMapping={"Kase": {"X": "y"}}', '--unchecked')).toMatchObject({ code: 0 });
    expect(p.sim.apiCalls(HEALTHY)).toBe(calls);
  });

  it('a checked mapping ends the setup pause a refused mapping caused, at once; a pause of another kind waits for its probe', async () => {
    const pauses = dynamoOrgPauses(p.resources.orgsTable);
    const since = new Date().toISOString();
    await pauses.pause(HEALTHY, nextPause('setup', "recordMapping: Salesforce refused the org's query (INVALID_FIELD)", Date.now(), null, since));
    const fixed = await cli('orgs', 'set', HEALTHY, 'recordMapping={"Case": {"ContactEmail": "user_email"}}');
    expect(fixed).toMatchObject({ code: 0, stderr: '' });
    expect(fixed.stdout).toContain(`org ${HEALTHY} resumed: its setup pause (since ${since}) is over; its waiting sessions go at their next delivery\n`);
    expect((await pauses.pausedOrgs([HEALTHY])).size).toBe(0);
    expect((await cli('orgs', 'show', HEALTHY)).stdout).toMatch(/recent pauses[\s\S]*setup: resumed \S+ \(setup fixed\)/);

    await pauses.pause(HEALTHY, nextPause('outage', 'Salesforce answered 503 Service Unavailable', Date.now(), null));
    expect((await cli('orgs', 'set', HEALTHY, 'recordMapping={"Case": {"SuppliedEmail": "user_email"}}')).stdout).not.toContain('resumed');
    expect((await pauses.pausedOrgs([HEALTHY])).get(HEALTHY)).toMatchObject({ kind: 'outage' });
  });

  it('orgs check finding the org ready ends its setup pause', async () => {
    const pauses = dynamoOrgPauses(p.resources.orgsTable);
    await pauses.pause(HEALTHY, nextPause('setup', 'Glance_Session__c.Site__c: missing', Date.now(), null));
    const check = await cli('orgs', 'check', HEALTHY);
    expect(check).toMatchObject({ code: 0, stdout: expect.stringMatching(/login ok; the org has every object.*\norg \S+ resumed: its setup pause \(since \S+\) is over/) });
    expect((await pauses.pausedOrgs([HEALTHY])).size).toBe(0);
  });

  it('an org that cannot be reached fails the check with exit 1, saying how to save anyway', async () => {
    await p.admin.secrets.write(`glance-sync/org/${HEALTHY}/salesforce`, JSON.stringify({ authType: 'refresh_token', loginUrl: p.sim.url, clientId: 'nope', refreshToken: 'nope' }));
    const result = await cli('orgs', 'set', HEALTHY, 'recordMapping={"Case": {"ContactEmail": "user_email"}}');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/could not check recordMapping against org 00D5g000000HeAlEAK's describe \(INVALID_GRANT.*\); fix the org's login, or save it unchecked/);
  });
});

describe('exit codes and messages', () => {
  it('a conflict exits 4, an invalid value 3, a missing = 2', async () => {
    await p.addOrg(HEALTHY, [GROUP]);
    expect(await cli('groups', 'add', String(GROUP))).toMatchObject({ code: 4, stderr: expect.stringMatching(/already registered; pass --replace-secret/) });
    const creds = join(dir, 'creds.json');
    writeFileSync(creds, JSON.stringify({ authType: 'refresh_token', loginUrl: p.sim.url, clientId: 'c', refreshToken: 'r' }));
    expect(await cli('orgs', 'add', HEALTHY, '--name', 'A', '--environment', 'production', '--credentials-file', creds)).toMatchObject({
      code: 4,
      stderr: `glance-sync: org ${HEALTHY} is already registered\n`,
    });
    expect((await cli('orgs', 'set', HEALTHY, 'syncFrequency=weekly')).code).toBe(3);
    const bare = await cli('orgs', 'set', HEALTHY, 'debugMode');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^glance-sync: expected setting=value \(e\.g\. syncFrequency=daily\); got 'debugMode'\nRun 'glance-sync orgs set --help' for usage\.\n$/);
    expect((await cli('orgs', 'add', BROKEN, '--name', 'B', '--environment', 'production', '--credentials-file', creds, 'hourly')).code).toBe(2);
  });

  it('a runtime file left by a local run that is gone says so and how to start one (exit 1)', async () => {
    runtimeFile = writeRuntime({ awsEndpoint: 'http://127.0.0.1:9', region: 'us-east-1', resources: p.resources, startedAt: '2026-11-29T08:00:00.000Z', pid: 999999 }, join(dir, 'stale.json'));
    const result = await cli('orgs', 'list');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `glance-sync: the local run recorded in ${runtimeFile} started 2026-11-29T08:00:00.000Z is not running any more (nothing answers at http://127.0.0.1:9): start it again with npm start\n`,
    });
  });
});

describe('orgs remove', () => {
  it('warns about dead letters, a sync run in progress, a pause and queued events before removing', async () => {
    await p.addOrg(HEALTHY, [GROUP]);
    await sqsDeadLetters(p.resources.eventsDlqUrl)(
      { messageId: 'm-1', body: JSON.stringify({ eventId: 'e-1' }), receiveCount: 5 },
      { reason: 'Salesforce refused the session', orgIds: [HEALTHY] },
    );
    await dynamoSyncHistory(p.resources.orgsTable).acquireLease(HEALTHY, { runId: 'run-9', trigger: 'sync_now' }, 600_000, new Date());
    await dynamoOrgPauses(p.resources.orgsTable).pause(HEALTHY, { until: new Date(Date.now() + 3600_000).toISOString(), reason: 'REQUEST_LIMIT_EXCEEDED' });
    expect((await sendWebhook(`${api.url}/webhooks/glance/${GROUP}`, sampleWebhookEvent({ groupId: GROUP }), { secret: WEBHOOK_SECRET })).status).toBe(202);

    const removed = await cli('orgs', 'remove', HEALTHY, '--yes');
    expect(removed.code).toBe(0);
    const warnings = removed.stderr.trim().split('\n');
    expect(warnings).toEqual([
      expect.stringMatching(/^glance-sync: warning: 1 dead letter\(s\) for org 00D5g000000HeAlEAK stay on the DLQ and can no longer be redriven to it/),
      expect.stringMatching(/^glance-sync: warning: sync run run-9 \(sync_now\) has been running for org 00D5g000000HeAlEAK since /),
      expect.stringMatching(/^glance-sync: warning: org 00D5g000000HeAlEAK is paused until \S+ \(REQUEST_LIMIT_EXCEEDED\)/),
      expect.stringMatching(/^glance-sync: warning: 1 session event\(s\) are on the events queue; those of groups 24680 are no longer delivered/),
    ]);
    expect(removed.stdout).toMatch(/^removed org 00D5g000000HeAlEAK/);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(1);
  });

  it('an org with nothing in flight is removed without warnings', async () => {
    await p.addOrg(HEALTHY, [GROUP]);
    expect(await cli('orgs', 'remove', HEALTHY, '--yes')).toMatchObject({ code: 0, stderr: '' });
  });
});
