import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { createLocalResources, localSchedules, type LocalResources } from '../../local/aws-resources.ts';
import { startLocalScheduler, type LocalScheduler, type ScheduledFire } from '../../local/scheduler.ts';
import { resetAwsClients, sqs } from '../../shared/adapters/aws-clients.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { DEFAULTS } from '../../shared/config.ts';
import { addOrg, updateSettings, type OrgAdminDeps } from '../../shared/org-admin.ts';
import type { SettingsPatch } from '../../shared/org-settings.ts';

const ORG = '00D5g000000AbCdEAK';
const SANDBOX = '00D5g000000SbXyEAK';

let moto: MotoServer;
let resources: LocalResources;
let clock: Date;
let stop: AbortController;
let scheduler: LocalScheduler;
let fired: ScheduledFire[];

const admin = (): OrgAdminDeps => ({
  registry: dynamoOrgRegistry(resources.orgsTable),
  secrets: secretsManagerWriter(),
  secretPrefix: DEFAULTS.secretPrefix,
  schedules: localSchedules(resources),
  now: () => new Date(),
});

const register = (orgId: string, installedAt: string, settings: SettingsPatch = {}) =>
  addOrg(admin(), { orgId, name: orgId, environment: 'production', installedAt, settings }, { authType: 'refresh_token', loginUrl: 'https://login.salesforce.com', clientId: 'c', refreshToken: 'r' });

/** Moves the clock and lets the scheduler look, as its loop would on a tick. */
async function at(iso: string): Promise<ScheduledFire[]> {
  clock = new Date(iso);
  return scheduler.tick();
}

/** Every message waiting on the sync queue, removed from it. */
async function drainSyncQueue(): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const out = await sqs().send(new ReceiveMessageCommand({ QueueUrl: resources.syncQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) return bodies;
    for (const m of out.Messages) {
      bodies.push(JSON.parse(m.Body!));
      await sqs().send(new DeleteMessageCommand({ QueueUrl: resources.syncQueueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
}

beforeAll(async () => {
  moto = await startMoto();
  useLocalAws(moto.endpoint);
  resetAwsClients();
});

afterAll(async () => {
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  resources = await createLocalResources();
  fired = [];
  clock = new Date('2026-11-23T13:50:00Z');
  stop = new AbortController();
  // A long tick: the test moves the clock and ticks itself.
  scheduler = startLocalScheduler({ signal: stop.signal, now: () => clock, tickMs: 3_600_000, onFire: (f) => fired.push(f) });
});

afterEach(async () => {
  stop.abort();
  await scheduler.stopped;
});

describe('the local scheduler fires the org rules it finds in EventBridge', () => {
  it('sends a due rule its input on the sync queue, once per due minute', async () => {
    await register(ORG, '2026-11-01T13:14:00Z');
    expect(await at('2026-11-23T14:13:59Z')).toEqual([]);
    expect(await drainSyncQueue()).toEqual([]);

    await at('2026-11-23T14:14:00Z');
    await at('2026-11-23T14:14:05Z');
    await at('2026-11-23T14:14:59Z');
    await at('2026-11-23T14:40:00Z');
    expect(await drainSyncQueue()).toEqual([{ orgId: ORG, trigger: 'schedule' }]);

    await at('2026-11-23T15:14:02Z');
    expect(await drainSyncQueue()).toEqual([{ orgId: ORG, trigger: 'schedule' }]);
    expect(fired.map((f) => [f.scheduleName, f.scheduledFor])).toEqual([
      [`glance-sync-org-${ORG}`, '2026-11-23T14:14:00.000Z'],
      [`glance-sync-org-${ORG}`, '2026-11-23T15:14:00.000Z'],
    ]);
  });

  it('fires each org at its own anchored times, following frequency changes', async () => {
    await register(ORG, '2026-11-01T13:14:00Z', { syncFrequency: 'every_2_hours' });
    await register(SANDBOX, '2026-11-01T09:30:00Z', { syncFrequency: 'hourly' });
    for (let minute = 0; minute <= 150; minute += 1) {
      await at(new Date(Date.parse('2026-11-23T13:50:00Z') + minute * 60_000).toISOString());
    }
    // 13:50 → 16:20: the org at 15:14 (odd hours), the sandbox at 14:30, 15:30 and 16:30 is not yet due.
    expect(fired.map((f) => `${f.scheduleName.replace('glance-sync-org-', '')} ${f.scheduledFor}`)).toEqual([
      `${SANDBOX} 2026-11-23T14:30:00.000Z`,
      `${ORG} 2026-11-23T15:14:00.000Z`,
      `${SANDBOX} 2026-11-23T15:30:00.000Z`,
    ]);
    expect(await drainSyncQueue()).toHaveLength(3);

    await updateSettings(admin(), SANDBOX, { syncFrequency: 'never' });
    await updateSettings(admin(), ORG, { syncFrequency: 'daily' });
    await at('2026-11-24T13:13:00Z');
    await at('2026-11-24T13:14:00Z');
    expect(await drainSyncQueue()).toEqual([{ orgId: ORG, trigger: 'schedule' }]);
  });

  it('after a pause spanning several due minutes a rule fires once, not once per missed minute', async () => {
    await register(ORG, '2026-11-01T13:14:00Z');
    await at('2026-11-23T18:00:00Z');
    expect(fired.map((f) => f.scheduledFor)).toEqual(['2026-11-23T17:14:00.000Z']);
    expect(await drainSyncQueue()).toHaveLength(1);
  });

  it('fireNow sends the org its scheduled input at once, for a demo', async () => {
    await register(ORG, '2026-11-01T13:14:00Z');
    const fires = await scheduler.fireNow(ORG);
    expect(fires).toEqual([{ scheduleName: `glance-sync-org-${ORG}`, scheduledFor: null, queueUrl: resources.syncQueueUrl, body: JSON.stringify({ orgId: ORG, trigger: 'schedule' }) }]);
    expect(await drainSyncQueue()).toEqual([{ orgId: ORG, trigger: 'schedule' }]);
    await register(SANDBOX, '2026-11-01T13:14:00Z', { syncFrequency: 'never' });
    await expect(scheduler.fireNow(SANDBOX)).rejects.toThrow(/org 00D5g000000SbXyEAK has no schedule .*syncFrequency is never/);
  });

  it('its loop ticks on its own until stopped', async () => {
    await register(ORG, '2026-11-01T13:14:00Z');
    const ownStop = new AbortController();
    let now = new Date('2026-11-23T14:13:59.900Z');
    const own = startLocalScheduler({ signal: ownStop.signal, now: () => now, tickMs: 20 });
    now = new Date('2026-11-23T14:14:00.100Z');
    await expect.poll(async () => (await drainSyncQueue()).length, { timeout: 120_000 }).toBe(1);
    ownStop.abort();
    await own.stopped;
  });
});
