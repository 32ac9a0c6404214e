import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ingest } from '../../functions/webhook-ingest/handler.ts';
import { startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { createLocalResources, exportResourceEnv, type LocalResources } from '../../local/aws-resources.ts';
import { writeRuntime } from '../../local/runtime-file.ts';
import { signWebhook } from '../../local/glance-sim/webhook-sender.ts';
import { resetAwsClients } from '../../shared/adapters/aws-clients.ts';
import { newWebhookSecret } from '../../shared/org-admin.ts';
import { runCli } from '../support/cli.ts';
import { sampleWebhookEvent } from '../support/fixtures.ts';
import { captureLogs, type LogCapture } from '../support/log-capture.ts';

// Each test uses a group of its own: the handler's secret cache lives as long as the module.
let nextGroup = 7000;
let moto: MotoServer;
let resources: LocalResources;
let dir: string;
let runtimeFile: string;
let logs: LogCapture | undefined;

const cli = (argv: string[]) => runCli(argv, { runtimeFile, env: { GLANCE_SYNC_TARGET: 'local' } });

/** A webhook for the group signed with `secret`, answered by the real handler. */
async function deliver(groupId: number, secret: string): Promise<number> {
  const body = JSON.stringify(sampleWebhookEvent({ groupId }));
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const event = {
    pathParameters: { groupId: String(groupId) },
    headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signWebhook({ secret, id, timestamp, body }) },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  return (await ingest(event)).statusCode!;
}

/** Moves the clock forward: past the secret cache's re-read floor or its expiry. */
const advance = (ms: number) => vi.setSystemTime(Date.now() + ms);

beforeAll(async () => {
  moto = await startMoto();
  useLocalAws(moto.endpoint);
  resetAwsClients();
  resources = await createLocalResources();
  exportResourceEnv(resources);
  dir = mkdtempSync(join(tmpdir(), 'glance-sync-rotation-'));
  runtimeFile = writeRuntime({ awsEndpoint: moto.endpoint, region: 'us-east-1', resources }, join(dir, 'runtime.json'));
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  logs = captureLogs();
});

afterEach(() => {
  logs?.stop();
  logs = undefined;
  vi.useRealTimers();
});

describe('webhook secret rotation from the CLI', () => {
  it('adds a second secret while the first still verifies, then retires the first: no webhook is refused on the way', async () => {
    const group = nextGroup++;
    const added = await cli(['groups', 'add', String(group)]);
    expect(added.code).toBe(0);
    const first = added.stdout.trim();
    expect(await deliver(group, first)).toBe(202);

    const rotated = await cli(['groups', 'rotate-secret', String(group)]);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toMatch(/the old one still verifies/);
    const second = rotated.stdout.trim();
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);

    // The sender switches over some time later; both secrets verify meanwhile, in the same warm function.
    advance(45_000);
    expect(await deliver(group, first)).toBe(202);
    expect(await deliver(group, second)).toBe(202);

    // A second rotation before retiring would drop the secret the sender may still use.
    const again = await cli(['groups', 'rotate-secret', String(group)]);
    expect(again.code).toBe(4); // a conflict (admin CLI exit codes)
    expect(again.stderr).toMatch(/already rotating.*groups retire-secret/);

    const retired = await cli(['groups', 'retire-secret', String(group)]);
    expect(retired).toMatchObject({ code: 0, stderr: '' });
    advance(6 * 60_000); // past the handler's 5-minute secret cache
    expect(await deliver(group, first)).toBe(401);
    expect(await deliver(group, second)).toBe(202);

    const nothingLeft = await cli(['groups', 'retire-secret', String(group)]);
    expect(nothingLeft.code).toBe(3);
    expect(nothingLeft.stderr).toMatch(/no old webhook secret to retire/);
    // A rotation can start again, with a secret from a file.
    const third = newWebhookSecret();
    writeFileSync(join(dir, 'third'), `${third}\n`);
    expect((await cli(['groups', 'rotate-secret', String(group), '--webhook-secret-file', join(dir, 'third')])).code).toBe(0);
    advance(45_000);
    expect(await deliver(group, third)).toBe(202);
    expect(await deliver(group, second)).toBe(202);
  });

  it('groups add --webhook-secret-file takes two secrets, both verify; --replace-secret ends the old ones at once', async () => {
    const group = nextGroup++;
    const [a, b, c] = [newWebhookSecret(), newWebhookSecret(), newWebhookSecret()];
    writeFileSync(join(dir, 'two'), `${a} ${b}\n`);
    expect((await cli(['groups', 'add', String(group), '--webhook-secret-file', join(dir, 'two')])).code).toBe(0);
    expect(await deliver(group, a)).toBe(202);
    expect(await deliver(group, b)).toBe(202);

    writeFileSync(join(dir, 'three'), `${a} ${b} ${c}`);
    const tooMany = await cli(['groups', 'add', String(nextGroup++), '--webhook-secret-file', join(dir, 'three')]);
    expect(tooMany.code).toBe(3);
    expect(tooMany.stderr).toMatch(/one to 2 whsec_<base64> values.*got 3/);

    writeFileSync(join(dir, 'one'), c);
    expect((await cli(['groups', 'add', String(group), '--webhook-secret-file', join(dir, 'one'), '--replace-secret'])).code).toBe(0);
    advance(6 * 60_000);
    expect(await deliver(group, a)).toBe(401);
    expect(await deliver(group, c)).toBe(202);
    expect((await cli(['groups', 'retire-secret', String(group)])).code).toBe(3);
  });

  it('refuses to rotate the secret of a group that is not registered', async () => {
    const result = await cli(['groups', 'rotate-secret', String(nextGroup++)]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/is not registered: register it first/);
  });
});

describe('rejected webhooks are counted', () => {
  it('a 401 counts as rejected and unauthorized, a 404 as rejected with its status, a 202 as accepted', async () => {
    const group = nextGroup++;
    const secret = (await cli(['groups', 'add', String(group)])).stdout.trim();
    logs!.clear();
    expect(await deliver(group, newWebhookSecret())).toBe(401);
    expect(await deliver(nextGroup++, secret)).toBe(404);
    expect(await deliver(group, secret)).toBe(202);
    const metrics = logs!.records().filter((r) => '_aws' in r);
    const sum = (name: string, extra: Record<string, unknown> = {}) =>
      metrics.filter((m) => m.service === 'webhook-ingest' && Object.entries(extra).every(([k, v]) => m[k] === v) && ('status' in extra || !('status' in m))).reduce((n, m) => n + (Number(m[name]) || 0), 0);
    expect(sum('webhook_rejected')).toBe(2);
    expect(sum('webhook_unauthorized')).toBe(1);
    expect(sum('webhook_accepted')).toBe(1);
    expect(sum('webhook_rejected', { status: '404' })).toBe(1);
    expect(sum('webhook_rejected', { status: '401' })).toBe(1);
    const namespaces = new Set(metrics.map((m) => (m._aws as { CloudWatchMetrics: Array<{ Namespace: string }> }).CloudWatchMetrics[0]!.Namespace));
    expect([...namespaces]).toEqual(['GlanceSalesforceSync']);
  });
});
