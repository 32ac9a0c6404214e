import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { runCli, type CliResult } from '../support/cli.ts';
import { startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { createLocalResources, exportResourceEnv, type LocalResources } from '../../local/aws-resources.ts';
import { startLocalLambdaService, type LocalLambdaService } from '../../local/lambda/index.ts';
import { writeRuntime } from '../../local/runtime-file.ts';
import { resetAwsClients, sqs } from '../../shared/adapters/aws-clients.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { queuedRun, type SyncRun } from '../../shared/sync/sync-history.ts';
import { dynamoRunEffects } from '../../shared/adapters/run-effects.ts';
import { noRunEffects } from '../../shared/sync/run-effects.ts';

const ORG = '00D5g000000AbCdEAK';
const SANDBOX = '00D5g000000SbXyEAC';
const UNKNOWN = '00D5g000000ZzZzEAK';
const REFRESH_TOKEN = 'refresh-token-never-printed';
const API_KEY = 'glance-api-key-never-printed';

let moto: MotoServer;
let functions: LocalLambdaService;
let resources: LocalResources;
let dir: string;
let runtimeFile: string;
let onSleep: () => Promise<void>;

type Result = CliResult;

async function cli(argv: string[], env: NodeJS.ProcessEnv = { GLANCE_SYNC_TARGET: 'local' }): Promise<Result> {
  return runCli(argv, { runtimeFile, env, sleep: () => onSleep() });
}

const json = (result: Result) => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
};

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const credentialsFile = () =>
  file('creds.json', JSON.stringify({ authType: 'refresh_token', loginUrl: 'https://login.salesforce.com', clientId: 'client-1', refreshToken: REFRESH_TOKEN }));

async function addOrg(orgId = ORG, ...settings: string[]): Promise<Result> {
  return cli(['orgs', 'add', orgId, '--name', 'Acme', '--environment', 'production', '--installed-at', '2026-11-01T13:14:00Z', '--credentials-file', credentialsFile(), ...settings]);
}

beforeAll(async () => {
  moto = await startMoto();
  useLocalAws(moto.endpoint);
  resetAwsClients();
  // The bundled SyncNow behind the local Invoke API, as npm start serves it; its environment
  // names the resources, which keep their names when beforeEach makes them afresh.
  exportResourceEnv(await createLocalResources());
  functions = await startLocalLambdaService({ bundles: inject('bundles'), onLog: () => undefined });
});

afterAll(async () => {
  await functions?.stop();
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await moto.reset();
  resources = await createLocalResources();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = mkdtempSync(join(tmpdir(), 'glance-sync-cli-'));
  runtimeFile = writeRuntime(
    { awsEndpoint: moto.endpoint, region: 'us-east-1', resources, lambdaEndpoint: functions.endpoint, functionNames: functions.functionNames },
    join(dir, 'runtime.json'),
  );
  onSleep = async () => undefined;
});

describe('--help', () => {
  const paths = ['', 'orgs', 'groups', 'orgs add', 'orgs list', 'orgs show', 'orgs set', 'orgs pair', 'orgs unpair', 'orgs remove', 'orgs credentials', 'groups add', 'groups list', 'groups show', 'groups remove', 'sync-now', 'history'];

  it.each(paths)('glance-sync %s --help exits 0 with usage and exit codes, without any AWS', async (path) => {
    runtimeFile = join(dir, 'no-such-runtime.json');
    const result = await cli([...path.split(' ').filter(Boolean), '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Usage: glance-sync ${path || 'COMMAND'} `));
    expect(result.stdout).toContain('Exit codes: 0 ok, 1 operational failure');
    expect(result.stdout).toContain('2 usage error, 3 not found or invalid value');
  });

  it('lists every setting and its values on orgs set --help', async () => {
    const { stdout } = await cli(['orgs', 'set', '-h']);
    expect(stdout).toMatch(/syncFrequency\s+hourly \| every_2_hours \| daily \| never/);
    expect(stdout).toMatch(/sso\.loginKeyLifetimeSeconds\s+60\.\.86400/);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [[], /Usage: glance-sync COMMAND/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['orgs'], /orgs needs a subcommand/],
    [['orgs', 'frobnicate'], /unknown orgs subcommand 'frobnicate'/],
    [['orgs', 'show'], /missing argument: glance-sync orgs show ORG/],
    [['orgs', 'show', ORG, 'extra'], /unexpected argument 'extra'/],
    [['orgs', 'list', '--colour'], /Unknown option '--colour'/],
    [['orgs', 'list', '--stack'], /--stack/],
    [['orgs', 'add', ORG, '--environment', 'production', '--credentials-file', 'creds.json'], /--name is required/],
    [['orgs', 'remove', ORG], /refusing to remove org 00D5g000000AbCdEAK without --yes/],
    [['orgs', 'credentials', ORG], /give --credentials-file, --glance-api-key-file or both/],
    [['history', ORG, '--limit', '0'], /--limit must be a whole number from 1 to 100; got '0'/],
    [['sync-now', ORG, '--timeout', '5'], /--timeout goes with --wait/],
  ])('glance-sync %j', async (argv, message) => {
    const result = await cli(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('points at the command help', async () => {
    expect((await cli(['orgs', 'show'])).stderr).toMatch(/Run 'glance-sync orgs show --help' for usage\.\n$/);
  });
});

describe('orgs and groups against the local run', () => {
  it('groups add prints the generated webhook secret alone on stdout, once', async () => {
    const result = await cli(['groups', 'add', '12345']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}\n$/);
    expect(result.stderr).toMatch(/shown this once/);
    const again = await cli(['groups', 'add', '12345']);
    expect(again).toMatchObject({ code: 4, stdout: '' });
    expect(again.stderr).toMatch(/group 12345 is already registered; pass --replace-secret/);
  });

  it('add, pair, list, show and set: the org as an admin sees it', async () => {
    expect((await cli(['groups', 'add', '12345'])).code).toBe(0);
    const added = await cli([
      'orgs', 'add', ORG, '--name', 'Acme', '--environment', 'production', '--installed-at', '2026-11-01T13:14:00Z',
      '--credentials-file', credentialsFile(), '--glance-api-key-file', file('key.txt', `${API_KEY}\n`), 'syncFrequency=daily',
    ]);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/registered org 00D5g000000AbCdEAK \(Acme, production\)/);
    expect(added.stdout).toMatch(/schedule:\s+glance-sync-org-00D5g000000AbCdEAK cron\(14 13 \* \* \? \*\)/);

    expect(await cli(['orgs', 'pair', ORG, '12345'])).toMatchObject({ code: 0, stdout: `org ${ORG} is paired with groups 12345\n` });

    const list = json(await cli(['orgs', 'list', '--json']));
    expect(list).toEqual([expect.objectContaining({ orgId: ORG, name: 'Acme', groups: [12345], settings: expect.objectContaining({ syncFrequency: 'daily' }) })]);
    expect(list[0].nextScheduledSync).toMatch(/T13:14:00\.000Z$/);
    expect((await cli(['orgs', 'list'])).stdout).toMatch(
      /^ORG ID\s+NAME\s+ENVIRONMENT\s+HEALTH\s+SALESFORCE LOGIN\s+LAST SYNC\s+DEAD LETTERS\s+GROUPS\s+SYNC\s+NEXT SYNC\n00D5g000000AbCdEAK\s+Acme\s+production\s+unknown\s+unknown \(not tried yet\)\s+never\s+0\s+12345\s+daily\s+\S+T13:14:00Z\n$/,
    );

    let shown = json(await cli(['orgs', 'show', ORG, '--json']));
    expect(shown.schedule).toMatchObject({ expression: 'cron(14 13 * * ? *)', state: 'ENABLED', targetArn: resources.syncQueueArn, input: { orgId: ORG, trigger: 'schedule' } });
    expect(shown.secrets).toEqual({ salesforce: true, glanceApiKey: true });
    expect(shown.problems).toEqual([expect.stringMatching(/^sso\.nonAdminPartnerUserId is not set/)]);

    const set = await cli(['orgs', 'set', ORG, 'sso.nonAdminPartnerUserId=sync-bot', 'syncFrequency=every_2_hours', 'debugMode=on']);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain(`org ${ORG}: syncFrequency daily -> every_2_hours\n`);
    expect(set.stdout).toContain(`org ${ORG}: debugMode off -> on\n`);
    expect(set.stdout).toContain(`org ${ORG}: sso.nonAdminPartnerUserId (none) -> sync-bot\n`);
    expect(set.stdout).toMatch(/schedule: glance-sync-org-00D5g000000AbCdEAK cron\(14 1\/2 \* \* \? \*\), next /);

    shown = json(await cli(['orgs', 'show', ORG, '--json']));
    expect(shown.schedule.expression).toBe('cron(14 1/2 * * ? *)');
    expect(shown.problems).toEqual([]);

    const text = await cli(['orgs', 'show', ORG]);
    expect(text.stdout).toMatch(/Glance API key:\s+stored/);
    expect(text.stdout).toMatch(/ {2}debugMode:\s+on/);
    expect(text.stdout).not.toContain(REFRESH_TOKEN);
    expect(text.stdout).not.toContain(API_KEY);
  });

  it('a bad value exits 3 naming the setting and what it accepts, and changes nothing', async () => {
    await addOrg();
    const before = await dynamoOrgRegistry(resources.orgsTable).getOrg(ORG);
    const result = await cli(['orgs', 'set', ORG, 'debugMode=on', 'syncFrequency=weekly']);
    expect(result).toEqual({ code: 3, stdout: '', stderr: "glance-sync: syncFrequency must be one of hourly, every_2_hours, daily, never; got 'weekly'\n" });
    expect((await cli(['orgs', 'set', ORG, 'colour=blue'])).stderr).toMatch(/^glance-sync: unknown setting 'colour'; known settings: syncFrequency, /);
    expect((await cli(['orgs', 'set', ORG, 'recordMapping={"Case": {"Contact Email": "user_email"}}'])).stderr).toMatch(/recordMapping\.Case: 'Contact Email' is not a field API name/);
    expect(await dynamoOrgRegistry(resources.orgsTable).getOrg(ORG)).toEqual(before);
  });

  it('the SSO pairing rule exits 3 with the reason', async () => {
    await cli(['groups', 'add', '111']);
    await cli(['groups', 'add', '222']);
    await addOrg(ORG, 'sso.mode=saml');
    expect((await cli(['orgs', 'pair', ORG, '111'])).code).toBe(0);
    const result = await cli(['orgs', 'pair', ORG, '222']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/uses SSO \(saml\) and an SSO-enabled org may be paired with one Glance group only/);
  });

  it('bad secret files exit 3 naming the file, never its content', async () => {
    const notJson = file('creds.txt', `refreshToken=${REFRESH_TOKEN}`);
    const result = await cli(['orgs', 'add', ORG, '--name', 'A', '--environment', 'production', '--credentials-file', notJson]);
    expect(result).toMatchObject({ code: 3, stderr: `glance-sync: Salesforce credentials file ${notJson} is not JSON\n` });
    const missing = await cli(['orgs', 'add', ORG, '--name', 'A', '--environment', 'production', '--credentials-file', join(dir, 'nope.json')]);
    expect(missing).toMatchObject({ code: 3, stderr: expect.stringMatching(/nope\.json cannot be read \(ENOENT\)/) });
    const incomplete = await cli(['orgs', 'add', ORG, '--name', 'A', '--environment', 'production', '--credentials-file', file('c.json', JSON.stringify({ authType: 'refresh_token', refreshToken: REFRESH_TOKEN }))]);
    expect(incomplete).toMatchObject({ code: 3, stderr: 'glance-sync: invalid Salesforce credentials: loginUrl, clientId\n' });
    const badEnv = await cli(['orgs', 'add', ORG, '--name', 'A', '--environment', 'staging', '--credentials-file', credentialsFile()]);
    expect(badEnv.code).toBe(3);
    expect(badEnv.stderr).toMatch(/environment/);
  });

  it('unpair and remove', async () => {
    await cli(['groups', 'add', '111']);
    await addOrg();
    await cli(['orgs', 'pair', ORG, '111']);
    expect(await cli(['orgs', 'unpair', ORG, '111'])).toMatchObject({ code: 0, stdout: `org ${ORG} is paired with no group\n` });
    const removed = await cli(['orgs', 'remove', ORG, '--yes']);
    expect(removed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^removed org 00D5g000000AbCdEAK \(Acme\): settings, pairings, schedule rule and secrets\n$/) });
    expect(json(await cli(['orgs', 'list', '--json']))).toEqual([]);
  });

  it.each([
    [['orgs', 'show', UNKNOWN]],
    [['orgs', 'set', UNKNOWN, 'debugMode=on']],
    [['orgs', 'pair', UNKNOWN, '111']],
    [['orgs', 'unpair', UNKNOWN, '111']],
    [['orgs', 'remove', UNKNOWN, '--yes']],
    [['orgs', 'credentials', UNKNOWN, '--glance-api-key-file', 'KEYFILE']],
    [['history', UNKNOWN]],
    [['sync-now', UNKNOWN]],
  ])('an unknown org exits 3 naming it: %j', async (argv) => {
    await cli(['groups', 'add', '111']);
    const args = argv.map((a) => (a === 'KEYFILE' ? file('k.txt', API_KEY) : a));
    expect(await cli(args)).toEqual({ code: 3, stdout: '', stderr: `glance-sync: org ${UNKNOWN} is not registered\n` });
  });
});

describe('sync-now and history', () => {
  const history = () => dynamoSyncHistory(resources.orgsTable);
  const finished = (run: SyncRun, status: SyncRun['status'], counts: SyncRun['counts'], error: string | null = null): SyncRun => ({
    ...run,
    status,
    startedAt: run.requestedAt,
    endedAt: new Date(Date.parse(run.requestedAt) + 30_000).toISOString(),
    counts,
    error,
  });

  it('history --json lists runs newest first with the next scheduled sync', async () => {
    await addOrg();
    const older = queuedRun(ORG, 'run-older', 'schedule', new Date('2026-11-22T14:14:00Z'));
    const newer = queuedRun(ORG, 'run-newer', 'sync_now', new Date('2026-11-22T15:00:00Z'));
    for (const run of [older, newer]) await history().createRun(run);
    await history().saveRun(finished(older, 'succeeded', { fetched: 12, queued: 10, alreadyKnown: 2, failed: 0 }));
    await history().saveRun(finished(newer, 'failed', { fetched: 3, queued: 1, alreadyKnown: 0, failed: 2 }, 'Glance answered 401'));

    const out = json(await cli(['history', ORG, '--json']));
    expect(out).toMatchObject({ orgId: ORG, syncFrequency: 'hourly', nextScheduledSync: expect.stringMatching(/:14:00\.000Z$/) });
    expect(out.runs.map((r: SyncRun) => [r.runId, r.trigger, r.status, r.counts, r.error])).toEqual([
      ['run-newer', 'sync_now', 'failed', { fetched: 3, queued: 1, alreadyKnown: 0, failed: 2 }, 'Glance answered 401'],
      ['run-older', 'schedule', 'succeeded', { fetched: 12, queued: 10, alreadyKnown: 2, failed: 0 }, null],
    ]);
    expect(json(await cli(['history', ORG, '--json', '--limit', '1'])).runs).toHaveLength(1);

    const text = await cli(['history', ORG]);
    expect(text.stdout).toMatch(/^next scheduled sync: \S+:14:00Z\n\nREQUESTED\s+TRIGGER\s+STATUS/);
    // It queued one session the processor has not settled yet: still processing, nothing in the org.
    expect(text.stdout).toMatch(/2026-11-22T15:00:00Z\s+sync_now\s+processing 0\/1\s+.*\s+3\s+1\s+0\s+2\s+0\s+0\s+0\s+0\s+0\s+run-newer\s+Glance answered 401\n/);
  });

  it('sync-now invokes the bundled SyncNow, which queues a run visible in history at once', async () => {
    await addOrg();
    const answer = json(await cli(['sync-now', ORG, '--json']));
    expect(answer).toEqual({ runId: expect.any(String), status: 'queued', nextScheduledSync: expect.stringMatching(/:14:00\.000Z$/) });
    const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: resources.syncQueueUrl, MaxNumberOfMessages: 10 }));
    expect(received.Messages?.map((m) => JSON.parse(m.Body!))).toEqual([{ orgId: ORG, runId: answer.runId, trigger: 'sync_now' }]);
    const runs = json(await cli(['history', ORG, '--json'])).runs;
    expect(runs.map((r: SyncRun) => [r.runId, r.status])).toEqual([[answer.runId, 'queued']]);
    expect((await cli(['sync-now', ORG])).stdout).toMatch(/^queued sync run \S+ for org 00D5g000000AbCdEAK; next scheduled sync: \S+Z\n$/);
  });

  it.each([
    ['succeeded', 'complete', 0, null],
    ['failed', 'failed', 1, 'Glance answered 401'],
  ] as const)('sync-now --wait follows the run on stderr until it %s and its sessions are processed (exit %i)', async (status, progress, code, error) => {
    await addOrg();
    const effects = dynamoRunEffects(resources.orgsTable);
    const some = (processed: number, recordsCreated: number) => ({ ...noRunEffects(), processed, recordsCreated, unchanged: processed - recordsCreated });
    // Each wait of the CLI lets "the worker" move the run one step: the sync run, then the processor.
    const steps: Array<(run: SyncRun) => Promise<void>> = [
      async (run) => history().saveRun({ ...run, status: 'running', startedAt: new Date().toISOString(), counts: { fetched: 100, queued: 40, alreadyKnown: 0, failed: 0 } }),
      async (run) => history().saveRun({ ...run, status, endedAt: new Date().toISOString(), error, counts: { fetched: 250, queued: 200, alreadyKnown: 50, failed: 0 } }),
      async (run) => effects.add(ORG, run.runId, some(150, 120)),
      async (run) => effects.add(ORG, run.runId, { ...some(50, 30), leadsCreated: 7, chatterPosts: 3 }),
    ];
    onSleep = async () => {
      const [run] = await history().listRuns(ORG, 1);
      await steps.shift()!(run!);
    };
    const result = await cli(['sync-now', ORG, '--wait']);
    expect(result.code).toBe(code);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^queued sync run \S+ for org 00D5g000000AbCdEAK$/);
    const inOrg = (processed: number, queued: number, created: number, leads = 0, posts = 0) =>
      `in the org: ${processed}/${queued} processed, ${created} session records created, 0 updated, ${leads} Leads created, ${posts} Chatter posts, 0 sessions failed`;
    expect(lines.slice(1).map((l) => l.replace(/^run \S+ /, ''))).toEqual([
      `queued: fetched 0, queued 0, already known 0, failed 0; ${inOrg(0, 0, 0)}`,
      `running: fetched 100, queued 40, already known 0, failed 0; ${inOrg(0, 40, 0)}`,
      `processing: fetched 250, queued 200, already known 50, failed 0; ${inOrg(0, 200, 0)}`,
      `processing: fetched 250, queued 200, already known 50, failed 0; ${inOrg(150, 200, 120)}`,
      `${progress}: fetched 250, queued 200, already known 50, failed 0; ${inOrg(200, 200, 150, 7, 3)}`,
    ]);
    expect(result.stdout.replace(/^sync run \S+ /, 'sync run RUN ').replace(/next scheduled sync: \S+/, 'next scheduled sync: T')).toBe(
      `sync run RUN ${progress}: fetched 250, queued 200, already known 50, failed 0${error ? `; error: ${error}` : ''}\n` +
        `${inOrg(200, 200, 150, 7, 3)}\nnext scheduled sync: T\n`,
    );
    expect(result.stdout).toMatch(/next scheduled sync: \S+:14:00Z\n$/);
  });

  it('sync-now --wait gives up after --timeout, saying where to look', async () => {
    await addOrg();
    const result = await cli(['sync-now', ORG, '--wait', '--timeout', '3']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/still not complete after 3 s; it goes on: glance-sync history 00D5g000000AbCdEAK\n$/);
  });
});

describe('where the CLI points', () => {
  it('--local before the command works like GLANCE_SYNC_TARGET=local', async () => {
    await addOrg();
    expect(json(await cli(['--local', 'orgs', 'list', '--json'], {})).map((o: { orgId: string }) => o.orgId)).toEqual([ORG]);
  });

  it('without a local run it says how to start one (exit 1)', async () => {
    runtimeFile = join(dir, 'missing.json');
    const result = await cli(['orgs', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no local run found .*missing\.json.*: start one with npm start/);
  });

  it('a deployed stack is found by its CloudFormation outputs', async () => {
    await addOrg();
    await addOrg(SANDBOX);
    const outputs = {
      OrgsTableName: resources.orgsTable,
      DebugTracesTableName: resources.tracesTable,
      EventsQueueUrl: resources.eventsQueueUrl,
      EventsDlqUrl: resources.eventsDlqUrl,
      SyncQueueUrl: resources.syncQueueUrl,
      SyncQueueArn: resources.syncQueueArn,
      SyncNowFunctionName: 'sync-now-fn',
    };
    await new CloudFormationClient({}).send(
      new CreateStackCommand({
        StackName: 'GlanceSalesforceSyncStack',
        TemplateBody: JSON.stringify({
          Resources: { Marker: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'cli-test-stack-marker' } } },
          Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
        }),
      }),
    );
    expect(json(await cli(['orgs', 'list', '--json'], {})).map((o: { orgId: string }) => o.orgId)).toEqual([ORG, SANDBOX]);
    const set = await cli(['orgs', 'set', SANDBOX, 'syncFrequency=never', '--stack', 'GlanceSalesforceSyncStack'], {});
    expect(set.stdout).toContain('schedule: none (syncFrequency never)');
    const missing = await cli(['orgs', 'list', '--stack', 'NoSuchStack'], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^glance-sync: stack NoSuchStack not found in us-east-1: deploy it, pass --stack\/--region, or use --local\n$/);
    expect((await cli(['orgs', 'list', '--local', '--stack', 'X'], {})).code).toBe(2);
  });
});

describe('debug', () => {
  it("prints an org's decision traces, filtered by session, and says how to turn Debug Mode on", async () => {
    expect((await addOrg()).code).toBe(0);
    const empty = await cli(['debug', ORG]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/debugMode is off: glance-sync orgs set .* debugMode=on/);

    const { dynamoTraceStore } = await import('../../shared/adapters/trace-store.ts');
    const trace = (sessionId: string, at: string) => ({
      orgId: ORG,
      sessionId,
      eventId: `webhook:${sessionId}`,
      at,
      recorded: true,
      route: 'launched from this org',
      link: 'related to Case 5005g00000XyZ12AAB (launched from Case 5005g00000XyZ12AAB)',
      leads: ['guest 1: Lead 00Q5g0000000001AAA created'],
      chatter: 'posted 0D55g0000000001AAA on 5005g00000XyZ12AAB',
      outcome: 'recorded',
      salesforceCalls: ['query Lead', 'upsert 1 Lead by Glance_Guest_Key__c'],
    });
    await dynamoTraceStore(resources.tracesTable).put([trace('1.a.1', '2026-11-22T10:00:00.000Z'), trace('1.b.1', '2026-11-22T11:00:00.000Z')]);

    const all = await cli(['debug', ORG]);
    expect(all.code).toBe(0);
    expect(all.stdout.indexOf('1.b.1')).toBeLessThan(all.stdout.indexOf('1.a.1'));
    expect(all.stdout).toContain('guest 1: Lead 00Q5g0000000001AAA created');
    const one = json(await cli(['debug', ORG, '1.a.1', '--json']));
    expect(one.map((t: { sessionId: string }) => t.sessionId)).toEqual(['1.a.1']);
    expect((await cli(['debug', UNKNOWN])).code).toBe(3);
  });
});
