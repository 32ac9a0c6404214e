import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../bin/commands/run.ts';
import { ingest } from '../../functions/webhook-ingest/handler.ts';
import { processEvents } from '../../functions/session-processor/handler.ts';
import { syncNow } from '../../functions/sync-now/handler.ts';
import { runSyncRequests } from '../../functions/sync-run/handler.ts';
import { GlanceSalesforceSyncStack } from '../../infra/stack.ts';
import { startLocalHttpApi } from '../../local/http-api.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { writeRuntime } from '../../local/runtime-file.ts';
import { DEMO } from '../../local/demo.ts';
import { startGlanceSim, type GlanceSim } from '../../local/glance-sim/index.ts';
import { sendWebhook } from '../../local/glance-sim/webhook-sender.ts';
import { dynamo } from '../../shared/adapters/aws-clients.ts';
import { listDeadLetters, redriveDeadLetters } from '../../shared/adapters/dead-letter-queue.ts';
import { requestSalesforceToken } from '../../shared/adapters/salesforce-auth.ts';
import type { SalesforceCredentials } from '../../shared/salesforce-credentials.ts';
import { addOrg, newWebhookSecret, pairOrg, registerGroup, setSalesforceCredentials } from '../../shared/org-admin.ts';
import { secretNames } from '../../shared/secret-names.ts';
import type { SettingsPatch } from '../../shared/org-settings.ts';
import { sampleSession, sampleWebhookEvent } from '../support/fixtures.ts';
import { startTestPipeline, WEBHOOK_SECRET as FIXTURE_WEBHOOK_SECRET, type TestPipeline } from '../support/pipeline.ts';
import { captureLogs, type LogCapture } from '../support/log-capture.ts';

vi.hoisted(() => {
  // Everything the loggers can say, said: a secret in a debug line is still a leak.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const GROUP = 12345;
const SECOND_GROUP = 4242;
const REFRESH_ORG = '00D5g000000ReFrEAK';
const JWT_ORG = '00D5g000000JwTkEAK';
const BAD_ORG = '00D5g000000BaDkEAK';
const CLI_ORG = '00D5g000000CliIEAS';
const BAD_GROUP = 5151;

const random = (label: string) => `${label}-${randomBytes(24).toString('base64url')}`;
const { privateKey: JWT_PRIVATE_KEY } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const { privateKey: CLI_PRIVATE_KEY } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

/** Every secret the flow below uses, by name; values collected at run time are added as they appear. */
const secrets = new Map<string, string>([
  ['webhook secret', newWebhookSecret()],
  ['second group webhook secret', newWebhookSecret()],
  ['refresh token', random('rt')],
  ['client secret', random('cs')],
  ['JWT private key', JWT_PRIVATE_KEY],
  ['revoked refresh token', random('rt-revoked')],
  ['Glance API key', random('gk')],
  ['Glance CRR password', random('crr-pw')],
  ['wrong Glance API key', random('gk-wrong')],
  ['CLI refresh token', random('rt-cli')],
  ['CLI client secret', random('cs-cli')],
  ['CLI JWT private key', CLI_PRIVATE_KEY],
  ['CLI Glance API key', random('gk-cli')],
  ['CLI Glance CRR password', random('crr-pw-cli')],
  ['refused Glance CRR password', random('crr-pw-refused')],
  ['refused credentials file token', random('rt-refused')],
]);
const secret = (name: string) => secrets.get(name)!;
let accessTokens = 0;
let crrTokens = 0;

/** What a secret looks like wherever it might land: as is, JSON-escaped, URL-encoded, base64, and its distinctive parts. */
function forms(value: string): string[] {
  const out = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), Buffer.from(value).toString('base64')]);
  if (value.startsWith('whsec_')) {
    const key = Buffer.from(value.slice(6), 'base64');
    out.add(value.slice(6)).add(key.toString('hex')).add(key.toString('base64url'));
  }
  if (value.includes('PRIVATE KEY')) for (const line of value.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) out.add(line);
  // Access tokens: the org id before "!" is public, what follows is the secret.
  if (/^00D\w{12}!/.test(value)) out.add(value.slice(value.indexOf('!') + 1));
  // JWTs: header.payload.signature; the signature is what must not travel (the payload may be shown by design nowhere, but is not secret alone).
  if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)) out.add(value.split('.')[2]!);
  return [...out].filter((f) => f.length >= 16);
}

interface Finding {
  secret: string;
  where: string;
  around: string;
}
function scan(where: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const [name, value] of secrets) {
    for (const form of forms(value)) {
      const at = text.indexOf(form);
      if (at >= 0) {
        findings.push({ secret: name, where, around: text.slice(Math.max(0, at - 80), at + 20) });
        break;
      }
    }
  }
  return findings;
}

let p: TestPipeline;
let glance: GlanceSim;
let api: Awaited<ReturnType<typeof startLocalHttpApi>>;
let logs: LogCapture;
let dir: string;
let runtimeFile: string;
/** Everything shown to someone outside the process: HTTP answers, CLI output, thrown messages. */
const shown: Array<{ where: string; text: string }> = [];
const sqsBodies: string[] = [];
const realFetch = globalThis.fetch;

beforeAll(async () => {
  logs = captureLogs();
  // Collect the secrets the systems hand out during the flow: Salesforce access tokens and Glance CRR service tokens.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const res = await realFetch(input, init);
    if (url.endsWith('/services/oauth2/token') && res.ok) {
      const body = (await res.clone().json()) as { access_token?: string };
      if (body.access_token) secrets.set(`access token ${++accessTokens}`, body.access_token);
    }
    if (url.endsWith('/api/auth/service') && res.ok) {
      const body = (await res.clone().json()) as { access_token?: string };
      if (body.access_token) secrets.set(`Glance CRR service token ${++crrTokens}`, body.access_token);
    }
    return res;
  });
  // Every message body sent to any queue, including delayed ones no receive would see.
  const send = SQSClient.prototype.send;
  vi.spyOn(SQSClient.prototype, 'send').mockImplementation(function (this: SQSClient, command: unknown, ...rest: unknown[]) {
    if (command instanceof SendMessageCommand) sqsBodies.push(command.input.MessageBody ?? '');
    if (command instanceof SendMessageBatchCommand) sqsBodies.push(...(command.input.Entries ?? []).map((e) => e.MessageBody ?? ''));
    return (send as (...args: unknown[]) => Promise<unknown>).call(this, command, ...rest);
  } as never);

  [p, glance] = await Promise.all([startTestPipeline(), startGlanceSim()]);
  api = await startLocalHttpApi(ingest);
  await p.reset();
  process.env.GLANCE_API_URL = glance.url;
  dir = mkdtempSync(join(tmpdir(), 'glance-sync-secrets-'));
  runtimeFile = writeRuntime({ awsEndpoint: p.moto.endpoint, region: process.env.AWS_REGION ?? 'us-east-1', resources: p.resources }, join(dir, 'runtime.json'));
});

afterAll(async () => {
  logs?.stop();
  vi.restoreAllMocks();
  await api?.stop();
  await glance?.stop();
  await p?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function registerOrg(orgId: string, credentials: SalesforceCredentials, settings: SettingsPatch, groupId = GROUP) {
  await addOrg(p.admin, { orgId, name: `Org ${orgId}`, environment: 'production', installedAt: '2026-11-01T13:14:00Z', settings }, credentials);
  await pairOrg(p.admin, orgId, groupId);
}

/** Written as `glance-sync groups credentials` would, without its check, so a key Glance refuses can be stored. */
async function storeGroupCredentials(groupId: number, apiKey: string, password: string): Promise<void> {
  await p.admin.secrets.write(secretNames.groupGlance(p.admin.secretPrefix, groupId), JSON.stringify({ username: `crr-${groupId}`, password, apiKey }));
}

const drainEvents = () => drainQueue(p.resources.eventsQueueUrl, (e) => processEvents(e), { retryImmediately: true });

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    env: { ...process.env, GLANCE_SYNC_TARGET: 'local', GLANCE_SYNC_RUNTIME_FILE: runtimeFile },
  });
  shown.push({ where: `glance-sync ${argv.join(' ')}`, text: out.join('') + err.join('') });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function thrown(where: string, action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    const text = `${(error as Error).name}: ${(error as Error).message} ${JSON.stringify(error)}`;
    shown.push({ where: `thrown by ${where}`, text });
    return text;
  }
  throw new Error(`${where} did not fail`);
}

describe('the scan', () => {
  it('finds a secret a Powertools logger or console printed, however it was escaped', () => {
    const planted = `planted/${randomBytes(12).toString('hex')}+x`;
    const printed = (print: () => void) => {
      const inner = captureLogs();
      try {
        print();
      } finally {
        inner.stop();
      }
      return inner.text();
    };
    const powertools = printed(() => new Logger({ serviceName: 'planted' }).info('oops', { credentials: { refreshToken: planted, privateKey: CLI_PRIVATE_KEY } }));
    const consoleLine = printed(() => console.error(`token=${encodeURIComponent(planted)}`));
    const stdout = printed(() => process.stdout.write(`${Buffer.from(planted).toString('base64')}\n`));
    secrets.set('planted', planted);
    try {
      expect(scan('powertools', powertools).map((f) => f.secret).sort()).toEqual(['CLI JWT private key', 'planted']);
      expect(scan('console', consoleLine).map((f) => f.secret)).toEqual(['planted']);
      expect(scan('stdout', stdout).map((f) => f.secret)).toEqual(['planted']);
      // A private key logged one line at a time is still found.
      expect(scan('one line', CLI_PRIVATE_KEY.split('\n')[5]!).map((f) => f.secret)).toEqual(['CLI JWT private key']);
    } finally {
      secrets.delete('planted');
    }
    expect(scan('captured so far', logs.text())).toEqual([]);
  });
});

describe('a representative flow, everything captured', () => {
  it('registers groups and orgs (refresh token with client secret, JWT, revoked credentials)', async () => {
    await registerGroup(p.admin, GROUP, secret('webhook secret'));
    await registerGroup(p.admin, BAD_GROUP, newWebhookSecret());
    await storeGroupCredentials(GROUP, secret('Glance API key'), secret('Glance CRR password'));
    await storeGroupCredentials(BAD_GROUP, secret('wrong Glance API key'), secret('Glance CRR password'));
    const refreshCredentials = { authType: 'refresh_token' as const, loginUrl: p.sim.url, clientId: 'client-refresh', clientSecret: secret('client secret'), refreshToken: secret('refresh token') };
    p.sim.addOrg({ orgId: REFRESH_ORG, username: 'admin@refresh.example', clientId: 'client-refresh', refreshToken: secret('refresh token') });
    await registerOrg(
      REFRESH_ORG,
      refreshCredentials,
      { logSessionsStartedOutside: true, debugMode: true, chatterOnSessionStart: true, createLeadsForGuests: 'new_email' },
    );
    p.sim.addOrg({ orgId: JWT_ORG, username: 'integration@jwt.example', clientId: 'client-jwt' });
    await registerOrg(JWT_ORG, { authType: 'jwt', loginUrl: p.sim.url, clientId: 'client-jwt', username: 'integration@jwt.example', privateKey: secret('JWT private key') }, { logSessionsStartedOutside: true, debugMode: true });
    p.sim.addOrg({ orgId: BAD_ORG, username: 'admin@bad.example', clientId: 'client-bad', refreshToken: 'the-one-salesforce-knows' });
    await registerOrg(
      BAD_ORG,
      { authType: 'refresh_token', loginUrl: p.sim.url, clientId: 'client-bad', refreshToken: secret('revoked refresh token') },
      { logSessionsStartedOutside: true, debugMode: true },
    );
    // Paired with a second group too, whose stored API key Glance refuses.
    await pairOrg(p.admin, BAD_ORG, BAD_GROUP);

    // Refusals that must name the problem, never the value.
    await thrown('addOrg with an unusable private key', () =>
      addOrg(p.admin, { orgId: '00D5g000000XxXxEAK', name: 'x', environment: 'production' }, { authType: 'jwt', loginUrl: p.sim.url, clientId: 'c', username: 'u', privateKey: secret('refused credentials file token') } as never),
    );
    await thrown('setSalesforceCredentials with a bad login URL', () =>
      setSalesforceCredentials(p.admin, BAD_ORG, { authType: 'refresh_token', loginUrl: 'not a url', clientId: 'c', refreshToken: secret('refused credentials file token') }),
    );
    const login = await thrown('a Salesforce login with a revoked refresh token', () =>
      requestSalesforceToken({ authType: 'refresh_token', loginUrl: p.sim.url, clientId: 'client-bad', refreshToken: secret('revoked refresh token') }),
    );
    expect(login).toMatch(/invalid_grant/);
  });

  it('webhooks: accepted, and refused for every reason', async () => {
    const url = `${api.url}/webhooks/glance/${GROUP}`;
    const answers = [
      await sendWebhook(url, sampleWebhookEvent({ id: '12345.s.1' }), { secret: secret('webhook secret') }),
      await sendWebhook(url, sampleWebhookEvent({ id: '12345.s.2', guests: [{ name: 'Nora New', email: 'nora@example.net', phone: null, joinedAt: null }] }), { secret: secret('webhook secret') }),
      await sendWebhook(url, sampleWebhookEvent(), { secret: secret('second group webhook secret') }),
      await sendWebhook(url, sampleWebhookEvent(), { secret: secret('webhook secret'), timestamp: Math.floor(Date.now() / 1000) - 3600 }),
      await sendWebhook(url, '{"type":', { secret: secret('webhook secret') }),
      await sendWebhook(url, sampleWebhookEvent({ status: 'lower' }), { secret: secret('webhook secret') }),
      await sendWebhook(`${api.url}/webhooks/glance/777`, sampleWebhookEvent({ groupId: 777 }), { secret: secret('webhook secret') }),
      await sendWebhook(url, { pad: 'x'.repeat(300 * 1024) }, { secret: secret('webhook secret') }),
    ];
    expect(answers.map((a) => a.status)).toEqual([202, 202, 401, 401, 400, 400, 404, 413]);
    for (const a of answers) shown.push({ where: `webhook answer ${a.status}`, text: JSON.stringify(a.body) });
  });

  it('processing: a token refresh, a 503, a permanent refusal, revoked credentials, debug traces, a pause', async () => {
    p.sim.injectFault({ orgId: JWT_ORG, fault: 'SERVICE_UNAVAILABLE', times: 1 });
    await drainEvents();
    expect(await p.sobjects(REFRESH_ORG, 'Glance_Session__c')).toHaveLength(2);

    p.sim.injectFault({ orgId: REFRESH_ORG, fault: 'EXPIRED_SESSION', times: 1 });
    p.sim.injectFault({ orgId: JWT_ORG, fault: 'DUPLICATES_DETECTED', pathIncludes: 'Glance_Session__c', recordMatch: { Glance_Session_Id__c: '12345.s.3' }, times: Infinity });
    p.sim.setApiUsage(JWT_ORG, 99_000);
    const caseId = p.sim.seed(REFRESH_ORG, 'Case', { Subject: 'Printer on fire' });
    for (const [n, origin] of [
      [3, null],
      [4, { salesforceOrgId: REFRESH_ORG, recordId: caseId }],
    ] as const) {
      expect((await sendWebhook(`${api.url}/webhooks/glance/${GROUP}`, sampleWebhookEvent({ id: `12345.s.${n}`, origin }), { secret: secret('webhook secret') })).status).toBe(202);
    }
    await drainEvents();
    expect(p.sim.pendingFaults().filter((f) => f.fault === 'EXPIRED_SESSION')).toEqual([]);
    expect(await p.sobjects(REFRESH_ORG, 'FeedItem')).toHaveLength(1);
    expect(accessTokens).toBeGreaterThanOrEqual(3);
  });

  it('sync runs: one with a good Glance API key, one Glance refuses', async () => {
    glance.addGroup({ groupId: GROUP, apiKey: secret('Glance API key'), username: `crr-${GROUP}`, password: secret('Glance CRR password') });
    glance.addGroup({ groupId: BAD_GROUP, apiKey: random('gk-real'), username: `crr-${BAD_GROUP}`, password: secret('Glance CRR password') });
    glance.addSession(sampleSession({ id: '12345.g.1', type: 'C', startedAt: '2026-11-20T10:00:00Z', endedAt: '2026-11-20T10:20:00Z', status: 'C' }));
    for (const orgId of [REFRESH_ORG, BAD_ORG]) {
      const answer = await syncNow({ orgId });
      shown.push({ where: `syncNow ${orgId}`, text: JSON.stringify(answer) });
    }
    await drainQueue(p.resources.syncQueueUrl, (e) => runSyncRequests(e), { batchSize: 1 });
    await drainEvents();
    expect(crrTokens).toBeGreaterThanOrEqual(2);
    const badRun = (JSON.parse((await cli('history', BAD_ORG, '--json')).stdout) as { runs: Array<{ status: string; error: string }> }).runs[0];
    expect(badRun).toMatchObject({ status: 'failed', error: expect.stringContaining(`Glance refused the API key of group ${BAD_GROUP}`) });
    expect((await p.sobjects(REFRESH_ORG, 'Glance_Session__c')).map((r) => r.Glance_Session_Id__c)).toContain('12345.g.1');
  });

  it('admin operations: the CLI and the dead-letter admin', async () => {
    const refreshFile = file('refresh.json', JSON.stringify({ authType: 'refresh_token', loginUrl: 'https://login.salesforce.com', clientId: 'cli', clientSecret: secret('CLI client secret'), refreshToken: secret('CLI refresh token') }));
    const jwtFile = file('jwt.json', JSON.stringify({ authType: 'jwt', loginUrl: 'https://login.salesforce.com', clientId: 'cli', username: 'cli@example.com', privateKey: secret('CLI JWT private key') }));
    glance.addGroup({ groupId: SECOND_GROUP, apiKey: secret('CLI Glance API key'), username: 'crr-cli', password: secret('CLI Glance CRR password') });
    const glanceFile = file('glance.json', JSON.stringify({ username: 'crr-cli', password: secret('CLI Glance CRR password'), apiKey: secret('CLI Glance API key') }));
    const refusedGlanceFile = file('glance-refused.json', JSON.stringify({ username: 'crr-cli', password: secret('refused Glance CRR password'), apiKey: secret('CLI Glance API key') }));
    const webhookFile = file('webhook.secret', `${secret('second group webhook secret')}\n`);
    const brokenFile = file('broken.json', `{"authType":"refresh_token","refreshToken":"${secret('refused credentials file token')}",`);
    const refusedFile = file('refused.json', JSON.stringify({ authType: 'refresh_token', loginUrl: 'nope', clientId: 'cli', refreshToken: secret('refused credentials file token') }));

    // These credentials point at login.salesforce.com, which tests never call: stored untested.
    expect((await cli('orgs', 'add', CLI_ORG, '--name', 'CLI', '--environment', 'production', '--skip-check', '--credentials-file', refreshFile)).code).toBe(0);
    expect((await cli('orgs', 'credentials', CLI_ORG, '--skip-check', '--credentials-file', jwtFile)).code).toBe(0);
    expect((await cli('orgs', 'credentials', CLI_ORG, '--credentials-file', brokenFile)).code).not.toBe(0);
    expect((await cli('orgs', 'credentials', CLI_ORG, '--credentials-file', refusedFile)).code).not.toBe(0);
    // A login Salesforce refuses: the error names the refusal, never the token.
    const loginRefused = file('login-refused.json', JSON.stringify({ authType: 'refresh_token', loginUrl: p.sim.url, clientId: 'client-refresh', refreshToken: secret('CLI login-refused token') }));
    expect((await cli('orgs', 'credentials', CLI_ORG, '--credentials-file', loginRefused)).code).toBe(3);
    expect((await cli('groups', 'add', String(SECOND_GROUP), '--webhook-secret-file', webhookFile)).code).toBe(0);
    expect((await cli('groups', 'credentials', String(SECOND_GROUP), '--file', refusedGlanceFile)).code).toBe(3);
    expect((await cli('groups', 'credentials', String(SECOND_GROUP), '--file', glanceFile)).code).toBe(0);
    for (const orgId of [REFRESH_ORG, JWT_ORG, BAD_ORG, CLI_ORG]) {
      expect((await cli('orgs', 'show', orgId, '--json')).code).toBe(0);
      expect((await cli('history', orgId, '--json')).code).toBe(0);
    }
    expect((await cli('orgs', 'list')).code).toBe(0);
    const listed = await cli('dlq', 'list', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).length).toBeGreaterThanOrEqual(1);
    expect((await cli('dlq', 'redrive', '--dry-run')).code).toBe(0);
    shown.push({ where: 'listDeadLetters', text: JSON.stringify(await listDeadLetters(p.resources.eventsDlqUrl)) });
    shown.push({ where: 'redriveDeadLetters --org', text: JSON.stringify(await redriveDeadLetters(p.resources.eventsDlqUrl, p.resources.eventsQueueUrl, { org: JWT_ORG })) });
    await drainEvents();
  });

  it('no secret value appears in any log line, message, trace, table item, answer, error or the CDK template', async () => {
    // The flow did what it was meant to, so the scan below has something to find.
    const text = logs.text();
    for (const line of ['webhook accepted', 'webhook rejected', 'Salesforce call failed for org', 'org paused', 'sync run succeeded', 'sync run failed', 'batch processed']) {
      expect(text).toContain(line);
    }
    expect(accessTokens).toBeGreaterThanOrEqual(3);
    expect(crrTokens).toBeGreaterThanOrEqual(2);

    const tables = await Promise.all(
      [p.resources.orgsTable, p.resources.dedupeTable, p.resources.tracesTable].map(async (table) => {
        const items: unknown[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const out = await dynamo().send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
          items.push(...(out.Items ?? []));
          start = out.LastEvaluatedKey;
        } while (start);
        return { table, items };
      }),
    );
    const traces = tables.find((t) => t.table === p.resources.tracesTable)!.items;
    expect(traces.length).toBeGreaterThan(0);
    const deadLetters = [...(await p.receiveAll(p.resources.eventsDlqUrl)), ...(await p.receiveAll(p.resources.syncDlqUrl))].map((m) => m.body);
    expect(deadLetters.length + sqsBodies.length).toBeGreaterThan(0);
    expect(sqsBodies.some((b) => b.includes('glance-sync.dead-letter'))).toBe(true);

    // The template only, without esbuild (test/integration/bundles.test.ts checks the bundles).
    const cdkContext = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;
    const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
    const template = JSON.stringify(Template.fromStack(new GlanceSalesforceSyncStack(app, 'SecretsScanStack')).toJSON());
    // The template cannot know this run's secrets, but fixed ones (demo, fixtures) could be baked in by mistake.
    secrets.set('fixture webhook secret', FIXTURE_WEBHOOK_SECRET);
    secrets.set('demo Glance API key', DEMO.glanceApiKey);
    secrets.set('demo Glance CRR password', DEMO.crrPassword);

    const findings = [
      ...scan('logs', text),
      ...shown.flatMap((s) => scan(s.where, s.text)),
      ...sqsBodies.flatMap((b, i) => scan(`SQS message ${i}`, b)),
      ...deadLetters.flatMap((b, i) => scan(`dead letter ${i}`, b)),
      ...tables.flatMap((t) => t.items.flatMap((item, i) => scan(`${t.table} item ${i}`, JSON.stringify(item)))),
      ...scan('CDK template', template),
    ];
    expect(findings).toEqual([]);
    // And the template holds no secret material at all: names and ARNs only.
    expect(template).not.toMatch(/SecretString|GenerateSecretString|PRIVATE KEY|whsec_/);
  });
});
