import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { writeRuntime } from '../../local/runtime-file.ts';
import { run } from '../../bin/commands/run.ts';
import { sqs } from '../../shared/adapters/aws-clients.ts';
import { sqsEventsQueue } from '../../shared/adapters/events-queue.ts';
import { listDeadLetters, redriveDeadLetters, sqsDeadLetterQueue } from '../../shared/adapters/dead-letter-queue.ts';
import { redriveDeadLetterEntries } from '../../shared/dead-letter-admin.ts';
import type { GlanceSession, SessionEvent } from '../../shared/session.ts';
import { DEMO_GROUP, PROD_ORG, SANDBOX_ORG, sampleSession } from '../support/fixtures.ts';
import { startTestPipeline, type TestPipeline } from '../support/pipeline.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

let p: TestPipeline;
beforeAll(async () => {
  p = await startTestPipeline();
});
afterAll(async () => {
  await p?.stop();
});

let caseId: string;
beforeEach(async () => {
  await p.reset();
  await p.registerGroup(DEMO_GROUP);
  // Production makes Leads and posts to Chatter: the effects a careless redrive would double.
  await p.addOrg(PROD_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true, createLeadsForGuests: 'new_email', chatterOnSessionStart: true });
  await p.addOrg(SANDBOX_ORG, [DEMO_GROUP], { logSessionsStartedOutside: true });
  caseId = p.sim.seed(PROD_ORG, 'Case', { Subject: 'Printer on fire' });
});

const SESSION_ID = '12345.4821.918273';
let seq = 0;
const session = (overrides: Partial<GlanceSession> = {}) =>
  sampleSession({ origin: { salesforceOrgId: PROD_ORG, recordId: caseId }, ...overrides });
const event = (s: GlanceSession = session()): SessionEvent => ({
  eventId: `webhook:msg_dl_${++seq}`,
  source: 'webhook',
  type: 'session.started',
  occurredAt: '2026-11-22T13:14:05Z',
  session: s,
});
const queues = () => ({ events: p.resources.eventsQueueUrl, dlq: p.resources.eventsDlqUrl });
const drain = () => drainQueue(queues().events, (e) => processEvents(e), { retryImmediately: true });
const deliver = async (...events: SessionEvent[]) => {
  await sqsEventsQueue(queues().events).sendMany(events);
  await drain();
};
const refuseSession = (orgId?: string) =>
  p.sim.injectFault({ ...(orgId ? { orgId } : {}), fault: 'DUPLICATES_DETECTED', pathIncludes: 'Glance_Session__c', recordMatch: { Glance_Session_Id__c: SESSION_ID }, times: Infinity });
const count = async (orgId: string, sobject: string) => (await p.sobjects(orgId, sobject)).length;

describe('dlq list', () => {
  it('shows a permanent Salesforce refusal with its reason, org and session, and reading it loses nothing', async () => {
    refuseSession(PROD_ORG);
    await deliver(event());

    const entries = await listDeadLetters(queues().dlq);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      movedBy: 'processor',
      orgIds: [PROD_ORG],
      sessionId: SESSION_ID,
      groupId: DEMO_GROUP,
      receiveCount: 1,
      redrivable: true,
    });
    expect(entries[0]!.reason).toMatch(/DUPLICATES_DETECTED/);
    expect(Date.parse(entries[0]!.deadLetteredAt!)).toBeGreaterThan(Date.now() - 60_000);

    // Listing again (and filtering) finds the same message: nothing was consumed by reading.
    expect(await listDeadLetters(queues().dlq)).toEqual(entries);
    expect(await listDeadLetters(queues().dlq, { org: PROD_ORG.slice(0, 15) })).toEqual(entries);
    expect(await listDeadLetters(queues().dlq, { org: SANDBOX_ORG })).toEqual([]);
    expect(await p.queueDepth(queues().dlq)).toBe(1);
  });

  it('explains a message SQS moved itself after the processor kept dying on it', async () => {
    await sqsEventsQueue(queues().events).send(event());
    await drainQueue(queues().events, async () => {
      throw new Error('Task timed out after 120.00 seconds');
    }, { retryImmediately: true });
    expect(await p.queueDepth(queues().events)).toBe(0);

    const [entry, ...rest] = await listDeadLetters(queues().dlq);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ movedBy: 'sqs', sessionId: SESSION_ID, groupId: DEMO_GROUP, orgIds: [], receiveCount: 5, redrivable: true });
    expect(entry!.reason).toBe('moved by SQS after 5 receives (the processor never finished: e.g. timeout or crash)');
  });

  it('honours --limit, oldest first', async () => {
    refuseSession();
    await deliver(event());
    await deliver(event(session({ id: SESSION_ID, status: 'C', endedAt: '2026-11-22T13:40:00Z' })));
    const all = await listDeadLetters(queues().dlq);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const [first] = await listDeadLetters(queues().dlq, { limit: 1 });
    expect(first).toEqual(all[0]);
    expect(all.map((e) => e.deadLetteredAt)).toEqual([...all.map((e) => e.deadLetteredAt)].sort());
  });
});

describe('dlq redrive', () => {
  it('after the fault is cleared, records the session once, with one Lead and one Chatter post, and leaves the other org alone', async () => {
    refuseSession(PROD_ORG);
    await deliver(event());
    // The Lead was made before Salesforce refused the session record.
    expect(await count(PROD_ORG, 'Lead')).toBe(1);
    expect(await count(PROD_ORG, 'Glance_Session__c')).toBe(0);
    expect(await count(SANDBOX_ORG, 'Glance_Session__c')).toBe(1);
    const sandboxCalls = p.sim.apiCalls(SANDBOX_ORG);

    p.sim.clearFaults();
    const result = await redriveDeadLetters(queues().dlq, queues().events);
    expect(result).toMatchObject({ dryRun: false, matched: 1, redriven: 1, skipped: [], untouched: 0 });
    expect(await p.queueDepth(queues().dlq)).toBe(0);

    // SQS delivers at least once: the redriven copy arrives twice, and must still act once.
    const out = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queues().events, MaxNumberOfMessages: 10 }));
    expect(out.Messages).toHaveLength(1);
    const body = out.Messages![0]!.Body!;
    expect(JSON.parse(body)).toMatchObject({ onlyOrgId: PROD_ORG, session: { id: SESSION_ID } });
    await sqs().send(new SendMessageCommand({ QueueUrl: queues().events, MessageBody: body }));
    await drain();
    const callsAfter = p.sim.apiCalls(PROD_ORG);
    await sqs().send(new SendMessageCommand({ QueueUrl: queues().events, MessageBody: body }));
    await drain();

    expect(await count(PROD_ORG, 'Glance_Session__c')).toBe(1);
    expect((await p.sobjects(PROD_ORG, 'Glance_Session__c'))[0]).toMatchObject({ Glance_Session_Id__c: SESSION_ID, Case__c: caseId });
    expect(await count(PROD_ORG, 'Lead')).toBe(1);
    expect(await count(PROD_ORG, 'FeedItem')).toBe(1);
    expect(p.sim.apiCalls(PROD_ORG)).toBe(callsAfter);
    expect(await count(SANDBOX_ORG, 'Glance_Session__c')).toBe(1);
    expect(p.sim.apiCalls(SANDBOX_ORG)).toBe(sandboxCalls);
    expect(await p.queueDepth(queues().dlq)).toBe(0);
  });

  it('a redrive that fails again lands back on the DLQ and can be redriven again once fixed', async () => {
    refuseSession(PROD_ORG);
    await deliver(event());
    const [first] = await listDeadLetters(queues().dlq);

    expect(await redriveDeadLetters(queues().dlq, queues().events)).toMatchObject({ redriven: 1 });
    await drain();
    const [again, ...none] = await listDeadLetters(queues().dlq);
    expect(none).toEqual([]);
    expect(again!.messageId).not.toBe(first!.messageId);
    expect(again).toMatchObject({ orgIds: [PROD_ORG], sessionId: SESSION_ID });
    expect(again!.reason).toMatch(/DUPLICATES_DETECTED/);

    p.sim.clearFaults();
    expect(await redriveDeadLetters(queues().dlq, queues().events)).toMatchObject({ redriven: 1 });
    await drain();
    expect(await count(PROD_ORG, 'Glance_Session__c')).toBe(1);
    expect(await count(PROD_ORG, 'FeedItem')).toBe(1);
    expect(await count(PROD_ORG, 'Lead')).toBe(1);
    expect(await p.queueDepth(queues().dlq)).toBe(0);
  });

  it('--org moves only that org’s dead letters; --dry-run moves nothing', async () => {
    refuseSession();
    await deliver(event());
    expect((await listDeadLetters(queues().dlq)).map((e) => e.orgIds[0]).sort()).toEqual([PROD_ORG, SANDBOX_ORG].sort());
    p.sim.clearFaults();

    const dry = await redriveDeadLetters(queues().dlq, queues().events, { org: SANDBOX_ORG, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, matched: 1, redriven: 1, untouched: 1 });
    expect(await p.queueDepth(queues().dlq)).toBe(2);
    expect(await p.queueDepth(queues().events)).toBe(0);

    const real = await redriveDeadLetters(queues().dlq, queues().events, { org: PROD_ORG });
    expect(real).toMatchObject({ matched: 1, redriven: 1, untouched: 1 });
    expect(real.entries.map((e) => e.orgIds)).toEqual([[PROD_ORG]]);
    await drain();

    expect(await count(PROD_ORG, 'Glance_Session__c')).toBe(1);
    expect(await count(SANDBOX_ORG, 'Glance_Session__c')).toBe(0);
    const left = await listDeadLetters(queues().dlq);
    expect(left.map((e) => e.orgIds)).toEqual([[SANDBOX_ORG]]);
  });

  it('puts a message SQS moved back as it was, and the processor records it once in every org', async () => {
    await sqsEventsQueue(queues().events).send(event());
    await drainQueue(queues().events, async () => {
      throw new Error('Runtime exited with error: signal: killed');
    }, { retryImmediately: true });
    expect(await count(PROD_ORG, 'Glance_Session__c')).toBe(0);

    expect(await redriveDeadLetters(queues().dlq, queues().events)).toMatchObject({ redriven: 1 });
    await drain();
    expect(await count(PROD_ORG, 'Glance_Session__c')).toBe(1);
    expect(await count(SANDBOX_ORG, 'Glance_Session__c')).toBe(1);
    expect(await count(PROD_ORG, 'FeedItem')).toBe(1);
    expect(await p.queueDepth(queues().dlq)).toBe(0);
  });

  it('leaves on the DLQ what the processor could never read, and says why', async () => {
    await sqs().send(new SendMessageCommand({ QueueUrl: queues().events, MessageBody: '{"eventId":"x","session":{"id":"12345.1.1","groupId":12345}}' }));
    await drain();
    const [entry] = await listDeadLetters(queues().dlq);
    expect(entry).toMatchObject({ movedBy: 'processor', sessionId: '12345.1.1', redrivable: false });
    expect(entry!.reason).toMatch(/not a session event/);

    const result = await redriveDeadLetters(queues().dlq, queues().events);
    expect(result).toMatchObject({ matched: 1, redriven: 0, skipped: [{ messageId: entry!.messageId, reason: expect.stringMatching(/not a session event/) }] });
    expect(await p.queueDepth(queues().dlq)).toBe(1);
    expect(await p.queueDepth(queues().events)).toBe(0);
  });

  it('a crash between sending the copy and deleting the dead letter does not act twice', async () => {
    refuseSession(PROD_ORG);
    await deliver(event());
    p.sim.clearFaults();

    // First attempt: the copy is sent, then the admin's process dies before the delete.
    const queue = sqsDeadLetterQueue(queues().dlq, { holdSeconds: 1 });
    const events = sqsEventsQueue(queues().events);
    await expect(
      redriveDeadLetterEntries({ ...queue, remove: async () => Promise.reject(new Error('connection reset')) }, { send: (e) => events.send(e) }),
    ).rejects.toThrow(/connection reset/);
    await drain();
    expect(await count(PROD_ORG, 'FeedItem')).toBe(1);
    const calls = p.sim.apiCalls(PROD_ORG);

    // The dead letter is still there; redriving it again is recognised as the same delivery.
    expect(await redriveDeadLetters(queues().dlq, queues().events)).toMatchObject({ redriven: 1 });
    await drain();
    expect(await count(PROD_ORG, 'Glance_Session__c')).toBe(1);
    expect(await count(PROD_ORG, 'FeedItem')).toBe(1);
    expect(p.sim.apiCalls(PROD_ORG)).toBe(calls);
    expect(await p.queueDepth(queues().dlq)).toBe(0);
  });
});

describe('glance-sync dlq', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'glance-sync-dlq-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(...argv: string[]) {
    const runtimeFile = writeRuntime({ awsEndpoint: p.moto.endpoint, region: process.env.AWS_REGION ?? 'us-east-1', resources: p.resources }, join(dir, 'runtime.json'));
    const out: string[] = [];
    const err: string[] = [];
    const code = await run(argv, {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      env: { ...process.env, GLANCE_SYNC_TARGET: 'local', GLANCE_SYNC_RUNTIME_FILE: runtimeFile },
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it('list shows reason, org and session; redrive --org moves only that org; a bad --org is refused', async () => {
    refuseSession();
    await deliver(event());

    const listed = await cli('dlq', 'list');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^MESSAGE\s+DEAD-LETTERED\s+BY\s+ORGS\s+SESSION\s+RECEIVES\s+REASON$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[3]).sort()).toEqual([PROD_ORG, SANDBOX_ORG].sort());
    for (const line of lines.slice(1)) expect(line).toMatch(new RegExp(`processor\\s+00D\\w+\\s+${SESSION_ID.replace(/\./g, '\\.')}\\s+1\\s+Salesforce refused the session: .*DUPLICATES_DETECTED`));

    const json = await cli('dlq', 'list', '--org', SANDBOX_ORG, '--json');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ orgIds: [SANDBOX_ORG], sessionId: SESSION_ID })]);

    p.sim.clearFaults();
    const redriven = await cli('dlq', 'redrive', '--org', PROD_ORG);
    expect(redriven).toMatchObject({ code: 0, stdout: 'redrove 1 of 1 dead letters for org 00D5g000000AbCdEAK; 1 others left in place\n' });
    await drain();
    expect(await count(PROD_ORG, 'Glance_Session__c')).toBe(1);
    expect(await count(SANDBOX_ORG, 'Glance_Session__c')).toBe(0);
    expect((await cli('dlq', 'list', '--org', PROD_ORG)).stdout).toBe(`no dead letters for org ${PROD_ORG}\n`);

    const bad = await cli('dlq', 'redrive', '--org', "x' OR 1=1");
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/--org must be a Salesforce org id/);
    expect(await p.queueDepth(queues().dlq)).toBe(1);
  });
});
