import { runCli } from '../support/cli.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { runSyncRequests } from '../../functions/sync-run/handler.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { startGlanceSim, type GlanceSim } from '../../local/glance-sim/index.ts';
import { startLocalLambdaService, type LocalLambdaService } from '../../local/lambda/index.ts';
import { canonicalOrgId } from '../../shared/org.ts';
import { makeSession } from '../../local/glance-sim/sample-sessions.ts';
import { writeRuntime } from '../../local/runtime-file.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { ENV } from '../../shared/config.ts';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../../shared/adapters/aws-clients.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

/**
 * Sync History says what each run brought into the org (issue 12): the sync run tags what it
 * queues with its run id, the processor counts what each event did in that org, and the run is
 * complete once all of them are processed. Real handlers, moto_server and both simulators; the CLI's
 * sync-now invokes the bundled SyncNow behind the local Invoke API, as `npm start` serves it.
 */
const GROUP = 12345;
const ORG = canonicalOrgId('00D5g000000SyNc')!;
const API_KEY = 'glance-api-key-for-history';
const CRR_USER = 'crr-service-history';
const CRR_PASSWORD = 'crr-password-for-history';
const PUID = 'sync-bot';

let p: TestPipeline;
let glance: GlanceSim;
let functions: LocalLambdaService;
let dir: string;
let runtimeFile: string;
let worker: () => Promise<void>;

const cli = (...argv: string[]) => runCli(argv, { runtimeFile, env: { GLANCE_SYNC_TARGET: 'local' }, sleep: () => worker() });

const runSyncs = () => drainQueue(p.resources.syncQueueUrl, (event) => runSyncRequests(event), { batchSize: 1 });
const processAll = () => drainQueue(p.resources.eventsQueueUrl, (event) => processEvents(event), { retryImmediately: true });

beforeAll(async () => {
  [p, glance] = await Promise.all([startTestPipeline(), startGlanceSim()]);
  // The bundled functions read the resources' names from the environment when they start; the
  // names stay the same when beforeEach makes the resources afresh.
  await p.reset();
  functions = await startLocalLambdaService({ bundles: inject('bundles'), onLog: () => undefined });
});
afterAll(async () => {
  await functions?.stop();
  await Promise.all([p?.stop(), glance?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await p.reset();
  process.env[ENV.glanceApiUrl] = glance.url;
  glance.reset();
  glance.addGroup({ groupId: GROUP, apiKey: API_KEY, username: CRR_USER, password: CRR_PASSWORD });
  await p.registerGroup(GROUP);
  await p.addOrg(ORG, [GROUP], {
    logSessionsStartedOutside: true,
    createLeadsForGuests: 'new_email',
    chatterOnSessionStart: true,
    sso: { mode: 'none', partnerUserIdField: null, nonAdminPartnerUserId: PUID, loginKeyLifetimeSeconds: 3600 },
  });
  await secretsManagerWriter().write(secretNames.groupGlance('glance-sync/', GROUP), JSON.stringify({ username: CRR_USER, password: CRR_PASSWORD, apiKey: API_KEY }));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(join(tmpdir(), 'glance-sync-history-'));
  runtimeFile = writeRuntime(
    { awsEndpoint: p.moto.endpoint, region: 'us-east-1', resources: p.resources, lambdaEndpoint: functions.endpoint, functionNames: functions.functionNames },
    join(dir, 'runtime.json'),
  );
  worker = async () => undefined;
});

/**
 * Two cobrowse sessions that ended an hour ago, as Glance's CRR lists them: ended sessions only,
 * cobrowse the only documented channel, no Salesforce origin. So a pulled session makes a session
 * record and nothing else (Leads are for screen shares, Chatter posts for sessions not yet ended);
 * the Lead and Chatter counts are covered by the processor's unit tests.
 */
function addActivity(): void {
  const startedAt = new Date(Date.now() - 3600_000).toISOString();
  const endedAt = new Date(Date.now() - 3500_000).toISOString();
  glance.addSession(
    makeSession({
      id: `${GROUP}.5001.1`, sessionKey: '5001', groupId: GROUP, type: 'C', status: 'C', startedAt, endedAt,
      guests: [{ name: 'Gil Guest', email: 'gil.history@example.org', phone: null, joinedAt: startedAt }], origin: null,
    }),
  );
  glance.addSession(
    makeSession({
      id: `${GROUP}.5002.1`, sessionKey: '5002', groupId: GROUP, type: 'C', status: 'C', startedAt, endedAt,
      guests: [{ name: 'Cora Browser', email: 'cora@example.org', phone: null, joinedAt: startedAt }], origin: null,
    }),
  );
}

describe('Sync History shows what reached the org', () => {
  it("a Sync Now's entry shows the records, Leads and posts it produced, and is complete only once its events are processed", async () => {
    addActivity();
    const { runId } = JSON.parse((await cli('sync-now', ORG, '--json')).stdout) as { runId: string };
    await runSyncs();

    let [entry] = JSON.parse((await cli('history', ORG, '--json')).stdout).runs;
    expect(entry).toMatchObject({ runId, status: 'succeeded', progress: 'processing', counts: { fetched: 2, queued: 2 }, reachedOrg: { processed: 0 } });
    expect((await cli('history', ORG)).stdout).toMatch(/sync_now\s+processing 0\/2\s/);

    await processAll();
    [entry] = JSON.parse((await cli('history', ORG, '--json')).stdout).runs;
    expect(entry).toMatchObject({
      runId,
      progress: 'complete',
      reachedOrg: { processed: 2, recordsCreated: 2, recordsUpdated: 0, leadsCreated: 0, chatterPosts: 0, failed: 0, unchanged: 0 },
    });
    expect(await p.sobjects(ORG, 'Glance_Session__c')).toHaveLength(2);
    expect((await cli('history', ORG)).stdout).toMatch(new RegExp(`sync_now\\s+complete\\s+\\S+\\s+\\S+\\s+2\\s+2\\s+0\\s+0\\s+2\\s+0\\s+0\\s+0\\s+0\\s+${runId}`));

    // A second run brings the session that ended since: one more record.
    glance.addSession(makeSession({ id: `${GROUP}.5003.1`, sessionKey: '5003', groupId: GROUP, type: 'C', status: 'C', startedAt: new Date(Date.now() - 900_000).toISOString(), endedAt: new Date(Date.now() - 600_000).toISOString(), guests: [], origin: null }));
    const second = JSON.parse((await cli('sync-now', ORG, '--json')).stdout) as { runId: string };
    await runSyncs();
    await processAll();
    const runs = JSON.parse((await cli('history', ORG, '--json')).stdout).runs;
    expect(runs[0]).toMatchObject({ runId: second.runId, progress: 'complete', reachedOrg: { leadsCreated: 0, chatterPosts: 0, failed: 0 } });
    expect(runs[0].reachedOrg.recordsCreated).toBe(1);
    expect(runs[0].reachedOrg.processed).toBe(runs[0].counts.queued);
    expect(runs[1].runId).toBe(runId);
  });

  it('sync-now --wait follows the run until its sessions reached the org, then prints the counts and the next scheduled sync', async () => {
    addActivity();
    worker = async () => {
      await runSyncs();
      await processAll();
    };
    const result = await cli('sync-now', ORG, '--wait');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`^queued sync run \\S+ for org ${ORG}\\nrun \\S+ queued: `));
    expect(result.stdout).toMatch(
      /^sync run \S+ complete: fetched 2, queued 2, already known 0, failed 0\nin the org: 2\/2 processed, 2 session records created, 0 updated, 0 Leads created, 0 Chatter posts, 0 sessions failed\nnext scheduled sync: \S+:14:00Z\n$/,
    );
  });

  it('a session Salesforce refuses counts as failed for its run, and the run still completes', async () => {
    addActivity();
    // One session's record is refused for good: it dead-letters, the other is written.
    p.sim.injectFault({ orgId: ORG, fault: 'DUPLICATES_DETECTED', pathIncludes: 'Glance_Session__c', recordMatch: { Glance_Session_Id__c: `${GROUP}.5002.1` }, times: Infinity });
    const { runId } = JSON.parse((await cli('sync-now', ORG, '--json')).stdout) as { runId: string };
    await runSyncs();
    await processAll();
    const [entry] = JSON.parse((await cli('history', ORG, '--json')).stdout).runs;
    expect(entry).toMatchObject({ runId, progress: 'complete', reachedOrg: { processed: 2, recordsCreated: 1, failed: 1, leadsCreated: 0, chatterPosts: 0 } });
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(1);
  });
});

/** The calls the org was charged for, by what they wrote (a Composite call by its path alone). */
const callsTo = (what: string) => p.sim.callLog(ORG).filter((c) => (what === '/composite' ? /\/composite$/.test(c.path) : c.path.includes(what))).length;

describe("Sync History and Debug Mode's logs inside the Salesforce org", () => {
  it('a Sync Now with Debug Mode on leaves its Glance_Sync_Run__c with the counts and one Glance_Log__c per session, in few calls', async () => {
    expect((await cli('orgs', 'set', ORG, 'debugMode=on')).code).toBe(0);
    addActivity();
    const { runId } = JSON.parse((await cli('sync-now', ORG, '--json')).stdout) as { runId: string };
    await runSyncs();
    // When the pull ends: the run as pulled, its events not yet in the org.
    let [record] = await p.sobjects(ORG, 'Glance_Sync_Run__c');
    expect(record).toMatchObject({ Run_Id__c: runId, Trigger__c: 'sync_now', Status__c: 'processing', Sessions_Fetched__c: 2, Sessions_Queued__c: 2, Records_Created__c: 0 });
    expect(record!.Next_Scheduled_Sync__c).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:14:00(\.000)?(Z|\+0000)$/);
    expect(record!.Started_At__c).toBeTruthy();
    expect(record!.Ended_At__c).toBeTruthy();

    await processAll();
    const runs = await p.sobjects(ORG, 'Glance_Sync_Run__c');
    expect(runs).toHaveLength(1);
    [record] = runs;
    expect(record).toMatchObject({ Run_Id__c: runId, Status__c: 'complete', Records_Created__c: 2, Records_Updated__c: 0, Leads_Created__c: 0, Chatter_Posts__c: 0, Sessions_Failed__c: 0 });
    const logs = await p.sobjects(ORG, 'Glance_Log__c');
    expect(logs.map((l) => l.Session_Id__c).sort()).toEqual([`${GROUP}.5001.1`, `${GROUP}.5002.1`]);
    expect(logs.every((l) => l.Recorded__c === true && l.Outcome__c === 'recorded' && String(l.Route__c).length > 0)).toBe(true);
    // What it cost: the run's record at its pull's end (a collection), then its final record and
    // the batch's logs together in one Composite call: 2 calls for the run and both logs.
    expect(callsTo('Glance_Sync_Run__c')).toBe(1);
    expect(callsTo('Glance_Log__c')).toBe(0);
    expect(callsTo('/composite')).toBe(1);
    expect(callsTo('Glance_Session__c')).toBe(1);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
  });

  it('with Debug Mode off no Glance_Log__c is written, and a scheduled run that found nothing costs one call', async () => {
    await sqs().send(new SendMessageCommand({ QueueUrl: p.resources.syncQueueUrl, MessageBody: JSON.stringify({ orgId: ORG, trigger: 'schedule' }) }));
    await runSyncs();
    await processAll();
    const [record] = await p.sobjects(ORG, 'Glance_Sync_Run__c');
    expect(record).toMatchObject({ Trigger__c: 'schedule', Status__c: 'complete', Sessions_Fetched__c: 0, Sessions_Queued__c: 0 });
    expect(p.sim.apiCalls(ORG)).toBe(1);

    addActivity();
    await cli('sync-now', ORG, '--json');
    await runSyncs();
    await processAll();
    expect(await p.sobjects(ORG, 'Glance_Session__c')).toHaveLength(2);
    expect(await p.sobjects(ORG, 'Glance_Log__c')).toEqual([]);
    expect(callsTo('Glance_Log__c')).toBe(0);
    // The second run's pull-end write carried the first run's record again, in the same call.
    expect(await p.sobjects(ORG, 'Glance_Sync_Run__c')).toHaveLength(2);
  });

  it('admin records Salesforce refuses or cannot take never cost a session record', async () => {
    expect((await cli('orgs', 'set', ORG, 'debugMode=on')).code).toBe(0);
    addActivity();
    // The pull-end record (a collection call) finds Salesforce unavailable; the batch's logs and the
    // run's final record (one Composite call, the only one here) are refused.
    p.sim.injectFault({ orgId: ORG, fault: 'SERVICE_UNAVAILABLE', pathIncludes: 'Glance_Sync_Run__c', times: Infinity });
    p.sim.injectFault({ orgId: ORG, fault: 'SERVICE_UNAVAILABLE', method: 'POST', pathIncludes: '/composite', times: Infinity });
    const { runId } = JSON.parse((await cli('sync-now', ORG, '--json')).stdout) as { runId: string };
    await runSyncs();
    await processAll();
    expect(await p.sobjects(ORG, 'Glance_Session__c')).toHaveLength(2);
    expect(await p.sobjects(ORG, 'Glance_Log__c')).toEqual([]);
    expect(await p.sobjects(ORG, 'Glance_Sync_Run__c')).toEqual([]);
    expect(await p.queueDepth(p.resources.eventsDlqUrl)).toBe(0);
    expect(await p.queueDepth(p.resources.eventsQueueUrl)).toBe(0);
    const [entry] = JSON.parse((await cli('history', ORG, '--json')).stdout).runs;
    expect(entry).toMatchObject({ runId, status: 'succeeded', progress: 'complete', reachedOrg: { recordsCreated: 2, failed: 0 } });

    // Once the org takes them again, the next run's single pull-end call repairs the missed record.
    p.sim.clearFaults(ORG);
    await cli('sync-now', ORG, '--json');
    await runSyncs();
    const records = await p.sobjects(ORG, 'Glance_Sync_Run__c');
    expect(records.find((r) => r.Run_Id__c === runId)).toMatchObject({ Status__c: 'complete', Records_Created__c: 2 });
  });
});
