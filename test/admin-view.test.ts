import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingest } from '../functions/webhook-ingest/handler.ts';
import { processEvents } from '../functions/session-processor/handler.ts';
import { run } from '../bin/commands/run.ts';
import { startLocalHttpApi } from '../local/http-api.ts';
import { pollOnce } from '../local/queue-poller.ts';
import { sendWebhook } from '../local/glance-sim/webhook-sender.ts';
import { writeRuntime } from '../local/runtime-file.ts';
import { sqsDeadLetters } from '../shared/adapters/dead-letters.ts';
import { dynamoOrgPauses } from '../shared/adapters/org-pauses.ts';
import { addOrg, pairOrg } from '../shared/org-admin.ts';
import { dynamoSyncHistory } from '../shared/sync/sync-history.ts';
import { sampleWebhookEvent } from './support/fixtures.ts';
import { startTestPipeline, WEBHOOK_SECRET, type TestPipeline } from './support/pipeline.ts';

/**
 * The admin's view of org health and groups (issue 12), through the CLI against a local run:
 * moto_server, the Salesforce simulator and the real handlers.
 */
const GROUP = 24680;
const HEALTHY = '00D5g000000HeAlEAA';
const BROKEN = '00D5g000000BrOkEAA';

let p: TestPipeline;
let api: Awaited<ReturnType<typeof startLocalHttpApi>>;
let dir: string;
let runtimeFile: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env: { ...process.env, GLANCE_SYNC_TARGET: 'local', GLANCE_SYNC_RUNTIME_FILE: runtimeFile },
    sleep: async () => undefined,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

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
    expect(shown.stdout).toMatch(/dead letters:\s+1 waiting \(glance-sync dlq list --org 00D5g000000HeAlEAA\)/);
    // Reading the DLQ for the count leaves the message there.
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(1);
  });
});
