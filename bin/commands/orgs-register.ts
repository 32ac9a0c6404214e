import type { SalesforceCredentials } from '../../shared/salesforce-credentials.ts';
import { addOrg, removeOrg, setSalesforceCredentials } from '../../shared/org-admin.ts';
import { SETTING_RULES } from '../../shared/org-settings.ts';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../../shared/adapters/aws-clients.ts';
import { listDeadLetters } from '../../shared/adapters/dead-letter-queue.ts';
import { dynamoOrgPauses } from '../../shared/adapters/org-pauses.ts';
import { MAX_SCAN } from '../../shared/dead-letter-admin.ts';
import type { Org } from '../../shared/org.ts';
import { adminDeps, syncHistory } from './deps.ts';
import { deadLettersFor } from './health.ts';
import type { Target } from './target.ts';
import { readJsonSecretFile } from './files.ts';
import { keyValues, when } from './output.ts';
import { EXIT, optionalString, requireString, settingsFromArgs, UsageError, type CommandSpec } from './spec.ts';

const SKIP_CHECK_OPTION = {
  'skip-check': { type: 'boolean' as const, description: 'store the Salesforce credentials without testing the login or checking the org' },
};

const settingsHelp = () =>
  `Settings (setting=value):\n${[...SETTING_RULES].map(([name, rule]) => `  ${name.padEnd(30)}${rule.accepts}`).join('\n')}`;

export const orgsAdd: CommandSpec = {
  path: 'orgs add',
  orgArgument: true,
  brief: 'register a Salesforce org, its credentials and schedule',
  usage: 'orgs add ORG_ID --name NAME --environment production|sandbox --credentials-file FILE [options] [setting=value ...]',
  summary:
    'Registers a Salesforce org: its credentials go to Secrets Manager, its settings to the orgs table, and its Sync Frequency becomes an EventBridge Scheduler schedule anchored at the install time.',
  details: [
    'FILE holds the Salesforce credentials as JSON, either',
    '  {"authType": "jwt", "loginUrl": "https://login.salesforce.com", "clientId": "...", "username": "...", "privateKey": "-----BEGIN PRIVATE KEY-----..."}',
    '  {"authType": "refresh_token", "loginUrl": "...", "clientId": "...", "clientSecret": "...", "refreshToken": "..."}',
    'Secrets are read from files only, never from flags.',
    'Before anything is stored, the credentials log in to Salesforce and the org is checked against the',
    "package in salesforce/ (glance-sync orgs check --help): a refused login, another org's credentials or a",
    'missing field, flag or permission exits 3 and names each problem with its fix. --skip-check skips that.',
    '',
    settingsHelp(),
  ].join('\n'),
  options: {
    name: { type: 'string', value: 'NAME', description: 'name admins know the org by' },
    environment: { type: 'string', value: 'ENV', description: 'production or sandbox' },
    'login-url': { type: 'string', value: 'URL', description: 'default: from the credentials, else login.salesforce.com / test.salesforce.com' },
    'installed-at': { type: 'string', value: 'ISO', description: 'when the package was installed (anchors the schedule); default now' },
    'credentials-file': { type: 'string', value: 'FILE', description: 'Salesforce credentials JSON (required)' },
    ...SKIP_CHECK_OPTION,
  },
  positionals: { min: 1, max: Infinity },
  async run({ values, positionals, io, target }) {
    const [orgId, ...assignments] = positionals as [string, ...string[]];
    const name = requireString(values, 'name');
    const environment = requireString(values, 'environment');
    const credentialsFile = requireString(values, 'credentials-file');
    const settings = settingsFromArgs(assignments);
    const credentials = readJsonSecretFile(credentialsFile, 'Salesforce credentials') as SalesforceCredentials;
    const deps = adminDeps(await target());
    const org = await addOrg(
      deps,
      {
        orgId,
        name,
        environment: environment as 'production' | 'sandbox',
        settings,
        ...(values['login-url'] ? { loginUrl: String(values['login-url']) } : {}),
        ...(values['installed-at'] ? { installedAt: String(values['installed-at']) } : {}),
      },
      credentials,
      { skipCheck: values['skip-check'] === true },
    );
    const schedule = await deps.schedules.describe(org.orgId);
    io.stdout.write(`registered org ${org.orgId} (${org.name}, ${org.environment})\n`);
    io.stdout.write(
      keyValues([
        ['installed at', when(org.installedAt)],
        ['sync frequency', org.settings.syncFrequency],
        ['schedule', schedule ? `${schedule.groupName}/${schedule.scheduleName} ${schedule.expression} next ${when(schedule.nextFireAt)}` : 'none'],
        ['Salesforce', values['skip-check'] === true ? `login not tested (glance-sync orgs check ${org.orgId})` : 'login tested; the org has everything the package declares'],
        ['next step', `glance-sync orgs pair ${org.orgId} GROUP (the group's Glance credentials: glance-sync groups credentials GROUP --file FILE)`],
      ], '  '),
    );
    return EXIT.ok;
  },
};

export const orgsCredentials: CommandSpec = {
  path: 'orgs credentials',
  orgArgument: true,
  brief: "replace an org's Salesforce credentials",
  usage: 'orgs credentials ORG --credentials-file FILE',
  summary:
    "Replaces the org's Salesforce credentials in Secrets Manager (e.g. after a rotation). An org paused because Salesforce refused its credentials (invalid_grant) resumes at once and Org Resumed is published. Glance credentials belong to the group: glance-sync groups credentials GROUP --file FILE.",
  options: {
    'credentials-file': { type: 'string', value: 'FILE', description: 'Salesforce credentials JSON (see orgs add --help)' },
    ...SKIP_CHECK_OPTION,
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const orgId = positionals[0]!;
    const credentialsFile = requireString(values, 'credentials-file');
    const credentials = readJsonSecretFile(credentialsFile, 'Salesforce credentials') as SalesforceCredentials;
    const { resumed } = await setSalesforceCredentials(adminDeps(await target()), orgId, credentials, { skipCheck: values['skip-check'] === true });
    io.stdout.write(`stored new Salesforce credentials for org ${orgId}${values['skip-check'] === true ? ' (login not tested)' : ' (login tested, package check passed)'}\n`);
    if (resumed) io.stdout.write(`org ${orgId} resumed: its pause for refused credentials${resumed.since ? ` (since ${resumed.since})` : ''} is over; its waiting sessions go at their next delivery\n`);
    return EXIT.ok;
  },
};

export const orgsRemove: CommandSpec = {
  path: 'orgs remove',
  orgArgument: true,
  brief: 'remove an org, its pairings, schedule and secrets',
  usage: 'orgs remove ORG --yes',
  summary:
    "Removes the org: its settings, its group pairings, its sync schedule and its secrets (Secrets Manager keeps them recoverable for 7 days). Its sync history is kept. Refused without --yes. Warns first about what is still on its way to the org: dead letters, a sync run in progress, events waiting on the queue, a pause holding its sessions back.",
  details:
    "After the removal, the org's dead letters can no longer be redriven to it, and its events still on the queue are no longer delivered to it (nothing is written to an org that is not registered).",
  options: { yes: { type: 'boolean', description: 'confirm the removal' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const orgId = positionals[0]!;
    if (values.yes !== true) {
      throw new UsageError(`refusing to remove org ${orgId} without --yes (removes its settings, pairings, schedule and secrets)`);
    }
    const t = await target();
    const deps = adminDeps(t);
    const existing = await deps.registry.getOrg(orgId);
    if (existing) for (const warning of await workInFlight(t, existing)) io.stderr.write(`glance-sync: warning: ${warning}\n`);
    const org = await removeOrg(deps, orgId);
    io.stdout.write(
      `removed org ${org.orgId} (${org.name}): settings, pairings${org.groups.length ? ` with groups ${org.groups.join(', ')}` : ''}, schedule and secrets\n`,
    );
    return EXIT.ok;
  },
};

/** What is still on its way to the org, for the removal's warnings. */
async function workInFlight(t: Target, org: Org): Promise<string[]> {
  const warnings: string[] = [];
  const [deadLetters, lease, pauses, depth] = await Promise.all([
    listDeadLetters(t.eventsDlqUrl, { limit: MAX_SCAN, sourceQueueUrl: t.eventsQueueUrl }),
    syncHistory(t).currentLease(org.orgId, new Date()),
    dynamoOrgPauses(t.orgsTable).pausedOrgs([org.orgId]),
    queueDepth(t.eventsQueueUrl),
  ]);
  const mine = deadLettersFor(org, deadLetters);
  if (mine.length) warnings.push(`${mine.length} dead letter(s) for org ${org.orgId} stay on the DLQ and can no longer be redriven to it (glance-sync dlq list --org ${org.orgId})`);
  if (lease) warnings.push(`sync run ${lease.runId} (${lease.trigger}) has been running for org ${org.orgId} since ${lease.acquiredAt}; what it queues is no longer delivered to the org`);
  const pause = pauses.get(org.orgId);
  if (pause) warnings.push(`org ${org.orgId} is paused until ${pause.until} (${pause.reason}); its sessions waiting for the pause to end are dropped`);
  if (depth > 0 && org.groups.length) {
    warnings.push(`${depth} session event(s) are on the events queue; those of groups ${org.groups.join(', ')} are no longer delivered to org ${org.orgId}`);
  }
  return warnings;
}

async function queueDepth(queueUrl: string): Promise<number> {
  const out = await sqs().send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
}
