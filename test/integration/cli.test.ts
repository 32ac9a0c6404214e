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
import { dynamo, eventBridge, resetAwsClients, sqs } from '../../shared/adapters/aws-clients.ts';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { orgHealthKey } from '../../shared/adapters/org-pauses.ts';
import { ListRulesCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { queuedRun, type SyncRun } from '../../shared/sync/sync-history.ts';
import { dynamoRunEffects } from '../../shared/adapters/run-effects.ts';
import { noRunEffects } from '../../shared/sync/run-effects.ts';
import { startSalesforceSim, type SalesforceSim } from '../../local/salesforce-sim/index.ts';
import { secretExists, secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { dynamoWebhookActivity } from '../../shared/adapters/webhook-activity.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { DEFAULTS } from '../../shared/config.ts';
import { startGlanceSim } from '../../local/glance-sim/index.ts';

const ORG = '00D5g000000AbCdEAK';
const SANDBOX = '00D5g000000SbXyEAK';
const UNKNOWN = '00D5g000000UnKnEAK';
/** An org without the package's Lead.Glance_Session_Id__c and with Glance_Session_Id__c not an external id. */
const UNREADY = '00D5g000000UnReEAK';
const REFRESH_TOKEN = 'refresh-token-never-printed';
const API_KEY = 'glance-api-key-never-printed';

let moto: MotoServer;
let functions: LocalLambdaService;
let salesforce: SalesforceSim;
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

/** Each simulated org logs in with its own refresh token; orgs add and credentials test the login against the simulator. */
const refreshToken = (orgId: string) => `${REFRESH_TOKEN}-${orgId}`;
const credentialsFile = (orgId = ORG, token = refreshToken(orgId)) =>
  file(`creds-${orgId}.json`, JSON.stringify({ authType: 'refresh_token', loginUrl: salesforce.url, clientId: 'client-1', refreshToken: token }));

/** Stored directly; `groups credentials` itself is tested against the Glance simulator below. */
async function writeGlanceCredentials(groupId: number): Promise<void> {
  await secretsManagerWriter().write(secretNames.groupGlance(DEFAULTS.secretPrefix, groupId), JSON.stringify({ username: 'u', password: 'p', apiKey: API_KEY }));
}

async function addOrg(orgId = ORG, ...settings: string[]): Promise<Result> {
  return cli(['orgs', 'add', orgId, '--name', 'Acme', '--environment', 'production', '--installed-at', '2026-11-01T13:14:00Z', '--credentials-file', credentialsFile(orgId.length === 15 ? `${orgId}EAK` : orgId), ...settings]);
}

beforeAll(async () => {
  salesforce = await startSalesforceSim();
  for (const orgId of [ORG, SANDBOX]) salesforce.addOrg({ orgId, username: `admin@${orgId}.example`, clientId: 'client-1', refreshToken: refreshToken(orgId) });
  salesforce.addOrg({
    orgId: UNREADY,
    username: 'admin@unready.example',
    clientId: 'client-1',
    refreshToken: refreshToken(UNREADY),
    schema: { missingFields: ['Lead.Glance_Session_Id__c'], notExternalId: ['Glance_Session__c.Glance_Session_Id__c'] },
  });
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
  await salesforce?.stop();
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
  const paths = ['', 'orgs', 'groups', 'orgs add', 'orgs list', 'orgs show', 'orgs set', 'orgs pair', 'orgs unpair', 'orgs remove', 'orgs credentials', 'groups add', 'groups list', 'groups show', 'groups remove', 'groups rotate-secret', 'groups retire-secret', 'sync-now', 'history'];

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
    [['orgs', 'credentials', ORG], /--credentials-file is required/],
    [['groups', 'credentials', '12345'], /--file is required/],
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
      '--credentials-file', credentialsFile(), 'syncFrequency=daily',
    ]);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/registered org 00D5g000000AbCdEAK \(Acme, production\)/);
    expect(added.stdout).toMatch(/schedule:\s+glance-sync-orgs\/glance-sync-org-00D5g000000AbCdEAK cron\(14 13 \* \* \? \*\)/);

    expect(await cli(['orgs', 'pair', ORG, '12345'])).toMatchObject({ code: 0, stdout: `org ${ORG} is paired with groups 12345\n` });

    const list = json(await cli(['orgs', 'list', '--json']));
    expect(list).toEqual([expect.objectContaining({ orgId: ORG, name: 'Acme', groups: [12345], settings: expect.objectContaining({ syncFrequency: 'daily' }) })]);
    expect(list[0].nextScheduledSync).toMatch(/T13:14:00\.000Z$/);
    expect((await cli(['orgs', 'list'])).stdout).toMatch(
      /^ORG ID\s+NAME\s+ENVIRONMENT\s+HEALTH\s+SALESFORCE LOGIN\s+LAST SYNC\s+DEAD LETTERS\s+GROUPS\s+SYNC\s+NEXT SYNC\n00D5g000000AbCdEAK\s+Acme\s+production\s+unknown\s+unknown \(not tried yet\)\s+never\s+0\s+12345\s+daily\s+\S+T13:14:00Z\n$/,
    );

    let shown = json(await cli(['orgs', 'show', ORG, '--json']));
    expect(shown.schedule).toMatchObject({ expression: 'cron(14 13 * * ? *)', state: 'ENABLED', targetArn: resources.syncQueueArn, input: { orgId: ORG, trigger: 'schedule' } });
    expect(shown.secrets).toEqual({ salesforce: true });
    expect(shown.groups).toEqual({ '12345': { glanceCredentials: false, lastWebhookAt: null, webhooksRecent: false } });
    expect(shown.problems).toEqual([expect.stringMatching(/^group 12345 has no Glance CRR credentials stored: .*groups credentials 12345 --file FILE/)]);
    await writeGlanceCredentials(12345);

    const set = await cli(['orgs', 'set', ORG, 'sso.nonAdminPartnerUserId=sync-bot', 'syncFrequency=every_2_hours', 'debugMode=on']);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain(`org ${ORG}: syncFrequency daily -> every_2_hours\n`);
    expect(set.stdout).toContain(`org ${ORG}: debugMode off -> on\n`);
    expect(set.stdout).toContain(`org ${ORG}: sso.nonAdminPartnerUserId (none) -> sync-bot\n`);
    expect(set.stdout).toMatch(/schedule: glance-sync-orgs\/glance-sync-org-00D5g000000AbCdEAK cron\(14 1\/2 \* \* \? \*\), next /);

    shown = json(await cli(['orgs', 'show', ORG, '--json']));
    expect(shown.schedule.expression).toBe('cron(14 1/2 * * ? *)');
    expect(shown.problems).toEqual([]);

    const text = await cli(['orgs', 'show', ORG]);
    expect(text.stdout).toMatch(/schedule:\s+glance-sync-orgs\/glance-sync-org-00D5g000000AbCdEAK cron\(14 1\/2 \* \* \? \*\) UTC ENABLED\n/);
    expect(text.stdout).toMatch(/group 12345:\s+Glance credentials stored; no webhook accepted yet \(pull only: ended sessions, no start posts\)/);
    expect(text.stdout).toMatch(/ {2}debugMode:\s+on/);
    expect(text.stdout).not.toContain(REFRESH_TOKEN);
    expect(text.stdout).not.toContain(API_KEY);
  });

  it('groups credentials: checked against Glance, stored only once accepted, never printed; orgs show says whether webhooks arrive', async () => {
    const glance = await startGlanceSim();
    try {
      glance.addGroup({ groupId: 12345, apiKey: API_KEY, username: 'crr-user', password: 'crr-password-never-printed' });
      const env = { GLANCE_SYNC_TARGET: 'local', GLANCE_API_URL: glance.url };
      expect(await cli(['groups', 'add', '12345'])).toMatchObject({ code: 0 });
      const name = secretNames.groupGlance(DEFAULTS.secretPrefix, 12345);
      const creds = (apiKey: string) => file('glance.json', JSON.stringify({ username: 'crr-user', password: 'crr-password-never-printed', apiKey }));

      const refused = await cli(['groups', 'credentials', '12345', '--file', creds('a-wrong-api-key')], env);
      expect(refused).toMatchObject({ code: 3, stdout: '' });
      expect(refused.stderr).toMatch(/^glance-sync: not stored: Glance refused the API key of group 12345 \(403: invalid partnerId or apiKey\)/);
      expect(refused.stderr).not.toMatch(/a-wrong-api-key|crr-password/);
      expect(await secretExists(name)).toBe(false);

      const unknownGroup = await cli(['groups', 'credentials', '777', '--file', creds(API_KEY)], env);
      expect(unknownGroup).toMatchObject({ code: 3, stderr: expect.stringContaining('group 777 is not registered') });

      const stored = await cli(['groups', 'credentials', '12345', '--file', creds(API_KEY)], env);
      expect(stored).toEqual({ code: 0, stdout: `Glance accepted the credentials; stored them for group 12345 (${name}), sessions recorded as site production\n`, stderr: '' });
      expect(glance.requests().map((r) => `${r.path} ${r.status}`)).toEqual([
        '/api/auth/service 200',
        '/api/crr/sessions/ended 403',
        '/api/auth/service 200',
        '/api/crr/sessions/ended 200',
      ]);

      await addOrg(ORG, 'chatterOnSessionStart=on');
      await cli(['orgs', 'pair', ORG, '12345']);
      let shown = json(await cli(['orgs', 'show', ORG, '--json']));
      expect(shown.groups).toEqual({ '12345': { glanceCredentials: true, lastWebhookAt: null, webhooksRecent: false } });
      expect(shown.problems).toEqual([expect.stringMatching(/^chatterOnSessionStart is on, but group 12345 has sent no webhook/)]);
      await dynamoWebhookActivity(resources.orgsTable).noteAccepted(12345, new Date());
      shown = json(await cli(['orgs', 'show', ORG, '--json']));
      expect(shown.groups['12345']).toMatchObject({ glanceCredentials: true, webhooksRecent: true });
      expect(shown.problems).toEqual([]);
      expect((await cli(['orgs', 'show', ORG])).stdout).toMatch(/group 12345:\s+Glance credentials stored; webhooks recently, last accepted \S+Z/);
    } finally {
      await glance.stop();
    }
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

  it('orgs add refuses the other form of a registered org id, and every command finds the org by either form', async () => {
    expect((await addOrg()).code).toBe(0);
    const again = await addOrg(ORG.slice(0, 15));
    // A conflict with what exists exits 4 (issue 12).
    expect(again).toMatchObject({ code: 4, stderr: `glance-sync: org ${ORG} is already registered\n` });
    expect(json(await cli(['orgs', 'list', '--json']))).toHaveLength(1);
    expect(json(await cli(['orgs', 'show', ORG.slice(0, 15), '--json'])).org.orgId).toBe(ORG);
    // The 18-character form is case-insensitive: its suffix says the case.
    expect((await cli(['orgs', 'set', ORG.toLowerCase(), 'debugMode=on'])).stdout).toContain(`org ${ORG}: debugMode off -> on`);
    expect((await cli(['orgs', 'set', ORG.slice(0, 15), 'chatterOnSessionStart=on'])).stdout).toContain(`org ${ORG}: chatterOnSessionStart off -> on`);
    expect((await cli(['orgs', 'show', ORG.toLowerCase().slice(0, 15)])).code).toBe(3); // lower-cased 15 characters are another org
    const bad = await cli(['orgs', 'show', '00D5g000000AbCdZZZ']);
    expect(bad).toMatchObject({ code: 3, stderr: expect.stringMatching(/is not a Salesforce org id/) });
  });

  it('orgs add tests the login first: refused credentials or another org exit 3 and store nothing; --skip-check stores untested', async () => {
    const refused = await cli(['orgs', 'add', ORG, '--name', 'A', '--environment', 'production', '--credentials-file', credentialsFile(ORG, 'wrong-token')]);
    expect(refused).toMatchObject({ code: 3, stderr: expect.stringMatching(/^glance-sync: Salesforce refused the login: .*invalid_grant.*nothing was stored/) });
    expect(refused.stderr).not.toContain('wrong-token');
    const other = await cli(['orgs', 'add', ORG, '--name', 'A', '--environment', 'production', '--credentials-file', credentialsFile(SANDBOX)]);
    expect(other).toMatchObject({ code: 3, stderr: expect.stringContaining(`these credentials log in to org ${SANDBOX}, not ${ORG}`) });
    expect(json(await cli(['orgs', 'list', '--json']))).toEqual([]);
    const unreachable = { authType: 'refresh_token', loginUrl: 'http://127.0.0.1:9', clientId: 'client-1', refreshToken: REFRESH_TOKEN };
    const down = await cli(['orgs', 'add', ORG, '--name', 'A', '--environment', 'production', '--credentials-file', file('down.json', JSON.stringify(unreachable))]);
    expect(down).toMatchObject({ code: 1, stderr: expect.stringMatching(/could not test the Salesforce login/) });
    const skipped = await cli(['orgs', 'add', ORG, '--name', 'A', '--environment', 'production', '--skip-check', '--credentials-file', credentialsFile(ORG, 'wrong-token')]);
    expect(skipped).toMatchObject({ code: 0, stdout: expect.stringMatching(/Salesforce:\s+login not tested \(glance-sync orgs check 00D5g000000AbCdEAK\)/) });
    const check = await cli(['orgs', 'check', ORG]);
    expect(check).toMatchObject({ code: 3, stderr: expect.stringMatching(/Salesforce refused the login/) });
    // The processor had paused the org for its refused credentials: the fix ends the pause at once.
    const pause = { ...orgHealthKey(ORG), kind: 'pause', pauseKind: 'credentials', since: '2026-11-22T13:00:00.000Z', until: new Date(Date.now() + 1_800_000).toISOString(), reason: 'Salesforce refused the login: invalid_grant' };
    await dynamo().send(new PutCommand({ TableName: resources.orgsTable, Item: pause }));
    expect(await cli(['orgs', 'credentials', ORG, '--credentials-file', credentialsFile(ORG)])).toMatchObject({
      code: 0,
      stdout:
        `stored new Salesforce credentials for org ${ORG} (login tested, package check passed)\n` +
        `org ${ORG} resumed: its pause for refused credentials (since 2026-11-22T13:00:00.000Z) is over; its waiting sessions go at their next delivery\n`,
    });
    expect((await dynamo().send(new GetCommand({ TableName: resources.orgsTable, Key: orgHealthKey(ORG) }))).Item).toBeUndefined();
    expect(await cli(['orgs', 'check', ORG.slice(0, 15)])).toMatchObject({ code: 0, stdout: `org ${ORG}: login ok; the org has every object, field and permission the package declares\n` });
  });

  it('orgs add and orgs check name every way an org lacks the package, with what to do', async () => {
    const refused = await cli(['orgs', 'add', UNREADY, '--name', 'A', '--environment', 'production', '--credentials-file', credentialsFile(UNREADY)]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`org ${UNREADY} lacks what glance-sync writes (3 problems)`);
    expect(refused.stderr).toContain('Glance_Session__c.Glance_Session_Id__c: is not marked External ID');
    expect(refused.stderr).toContain('Lead.Glance_Session_Id__c: missing, or not visible to the integration user');
    expect(refused.stderr).toMatch(/fix: deploy the package \(cd salesforce && npx @salesforce\/cli project deploy start --source-dir force-app/);
    expect((await cli(['orgs', 'add', UNREADY, '--name', 'A', '--environment', 'production', '--skip-check', '--credentials-file', credentialsFile(UNREADY)])).code).toBe(0);
    const check = await cli(['orgs', 'check', UNREADY, '--json']);
    expect(check.code).toBe(3);
    const report = JSON.parse(check.stdout);
    expect(report).toMatchObject({ orgId: UNREADY, ready: false });
    expect(report.problems.map((p: { where: string }) => p.where).sort()).toEqual(['Glance_Session__c.Glance_Session_Id__c', 'Glance_Session__c.Glance_Session_Id__c', 'Lead.Glance_Session_Id__c']);
  });

  it('unpair and remove', async () => {
    await cli(['groups', 'add', '111']);
    await addOrg();
    await cli(['orgs', 'pair', ORG, '111']);
    expect(await cli(['orgs', 'unpair', ORG, '111'])).toMatchObject({ code: 0, stdout: `org ${ORG} is paired with no group\n` });
    const removed = await cli(['orgs', 'remove', ORG, '--yes']);
    expect(removed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^removed org 00D5g000000AbCdEAK \(Acme\): settings, pairings, schedule and secrets\n$/) });
    expect(json(await cli(['orgs', 'list', '--json']))).toEqual([]);
  });

  it.each([
    [['orgs', 'show', UNKNOWN]],
    [['orgs', 'set', UNKNOWN, 'debugMode=on']],
    [['orgs', 'pair', UNKNOWN, '111']],
    [['orgs', 'unpair', UNKNOWN, '111']],
    [['orgs', 'remove', UNKNOWN, '--yes']],
    [['orgs', 'credentials', UNKNOWN, '--credentials-file', 'KEYFILE']],
    [['history', UNKNOWN]],
    [['sync-now', UNKNOWN]],
  ])('an unknown org exits 3 naming it: %j', async (argv) => {
    await cli(['groups', 'add', '111']);
    const args = argv.map((a) => (a === 'KEYFILE' ? credentialsFile() : a));
    expect(await cli(args)).toEqual({ code: 3, stdout: '', stderr: `glance-sync: org ${UNKNOWN} is not registered\n` });
  });
});

describe('upgrade cleanup', () => {
  it("lists (--dry-run) and removes (--yes) the per-org EventBridge rules and org Glance secrets earlier versions left, nothing else", async () => {
    await addOrg();
    await addOrg(SANDBOX);
    // As an earlier version made them: a rule on the default bus targeting the sync queue, a per-org Glance secret.
    const events = eventBridge();
    await events.send(new PutRuleCommand({ Name: `glance-sync-org-${ORG}`, ScheduleExpression: 'cron(14 * * * ? *)', State: 'ENABLED' }));
    await events.send(new PutTargetsCommand({ Rule: `glance-sync-org-${ORG}`, Targets: [{ Id: 'sync-queue', Arn: 'arn:aws:sqs:us-east-1:123456789012:sync', Input: JSON.stringify({ orgId: ORG, trigger: 'schedule' }) }] }));
    await events.send(new PutRuleCommand({ Name: 'someone-elses-rule', ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' }));
    const oldSecret = `${DEFAULTS.secretPrefix}org/${SANDBOX}/glance`;
    await secretsManagerWriter().write(oldSecret, JSON.stringify({ apiKey: 'old' }));

    expect((await cli(['upgrade', 'cleanup'])).code).toBe(2);
    const dry = await cli(['upgrade', 'cleanup', '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toBe(
      `would remove EventBridge rule glance-sync-org-${ORG} (org ${ORG})\nwould remove secret ${oldSecret} (org ${SANDBOX})\n2 to remove: run again with --yes\n`,
    );
    expect(await secretExists(oldSecret)).toBe(true);
    expect((await events.send(new ListRulesCommand({}))).Rules?.map((r) => r.Name).sort()).toEqual([`glance-sync-org-${ORG}`, 'someone-elses-rule']);

    expect((await cli(['upgrade', 'cleanup', '--yes'])).code).toBe(0);
    expect((await events.send(new ListRulesCommand({}))).Rules?.map((r) => r.Name)).toEqual(['someone-elses-rule']);
    expect(await secretExists(oldSecret)).toBe(false);
    // The orgs' own Salesforce credentials stay.
    expect(await secretExists(secretNames.orgSalesforce(DEFAULTS.secretPrefix, ORG))).toBe(true);
    expect((await cli(['upgrade', 'cleanup', '--dry-run'])).stdout).toBe('nothing left by earlier versions for the 2 registered org(s)\n');
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
      `in the org: ${processed}/${queued} processed, ${created} session records created, 0 updated, ${leads} Leads created, ${posts} Chatter posts, 0 sessions failed` +
      (processed > created ? `, ${processed - created} already in the org (written by a webhook, an earlier run or a run of another org paired with the group)` : '');
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
      ScheduleGroupName: resources.scheduleGroupName,
      SchedulerRoleArn: resources.schedulerRoleArn,
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
