import { requireOrg } from '../../shared/org-admin.ts';
import { dynamoOrgPauses, PAUSE_HISTORY_DAYS, recentPauses, type PauseEpisode } from '../../shared/adapters/org-pauses.ts';
import { secretExists } from '../../shared/adapters/secrets.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { flattenSettings, formatSettingValue } from '../../shared/org-settings.ts';
import { dynamoWebhookActivity } from '../../shared/adapters/webhook-activity.ts';
import { orgProblems, webhooksRecent, type OrgFacts } from '../../shared/org-readiness.ts';
import type { Org } from '../../shared/org.ts';
import { nextScheduledSync } from '../../shared/schedule.ts';
import { adminDeps } from './deps.ts';
import { orgsHealth } from './health.ts';
import { keyValues, printJson, table, when } from './output.ts';
import { EXIT, JSON_OPTION, type CommandSpec } from './spec.ts';

const nextSync = (org: Org, now = new Date()) =>
  nextScheduledSync(org.settings.syncFrequency, new Date(org.installedAt), now)?.toISOString() ?? null;

export const orgsList: CommandSpec = {
  path: 'orgs list',
  brief: 'list orgs with their health, groups and next sync',
  usage: 'orgs list [--json]',
  summary:
    'Lists the registered orgs with their health (login ok or failing, last sync, paused, dead letters waiting), groups, sync frequency and next scheduled sync. orgs show ORG tells since when and why.',
  details:
    'HEALTH is ok; failing (Salesforce or Glance refuses the login); paused (the org waits for its API allowance); attention (dead letters waiting or the last sync failed); unknown (nothing delivered yet).',
  options: JSON_OPTION,
  positionals: { min: 0, max: 0 },
  async run({ values, io, target }) {
    const t = await target();
    const orgs = await adminDeps(t).registry.listOrgs();
    const health = await orgsHealth(t, orgs);
    if (values.json) {
      printJson(io.stdout, orgs.map((org) => ({ ...org, nextScheduledSync: nextSync(org), health: health.get(org.orgId) })));
      return EXIT.ok;
    }
    if (orgs.length === 0) {
      io.stdout.write('no orgs registered (glance-sync orgs add --help)\n');
      return EXIT.ok;
    }
    io.stdout.write(
      table(
        ['ORG ID', 'NAME', 'ENVIRONMENT', 'HEALTH', 'SALESFORCE LOGIN', 'LAST SYNC', 'DEAD LETTERS', 'GROUPS', 'SYNC', 'NEXT SYNC'],
        orgs.map((o) => {
          const h = health.get(o.orgId)!;
          return [
            o.orgId,
            o.name,
            o.environment,
            h.status,
            h.salesforceLogin.replace(/: .*$/, ''),
            h.lastSync.replace(/: .*$/, ''),
            String(h.deadLetters),
            o.groups.join(',') || '-',
            o.settings.syncFrequency,
            when(nextSync(o)),
          ];
        }),
      ),
    );
    return EXIT.ok;
  },
};

/** Whether the group's webhooks arrive: Glance sends none itself, only a relay the customer runs does. */
function describeWebhooks(lastWebhookAt: string | null, now: Date): string {
  if (lastWebhookAt === null) return 'no webhook accepted yet (pull only: ended sessions, no start posts)';
  const recent = webhooksRecent(lastWebhookAt, now) ? 'recently' : 'not in the last 24 hours';
  return `webhooks ${recent}, last accepted ${when(lastWebhookAt)}`;
}

export const orgsShow: CommandSpec = {
  path: 'orgs show',
  orgArgument: true,
  brief: "an org's settings, schedule, secrets and problems",
  usage: 'orgs show ORG [--json]',
  summary:
    "Shows an org: its settings, its sync schedule as EventBridge Scheduler has it (group, name, expression, time zone, state), which secrets are stored (never their values), per paired group whether its Glance credentials are stored and when it last sent a webhook, and anything that keeps its syncs from working.",
  options: JSON_OPTION,
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const orgId = positionals[0]!;
    const t = await target();
    const deps = adminDeps(t);
    const org = await requireOrg(deps, orgId);
    const webhooks = dynamoWebhookActivity(t.orgsTable);
    const [schedule, salesforce, groupFacts, pauses, pauseHistory] = await Promise.all([
      deps.schedules.describe(orgId),
      secretExists(secretNames.orgSalesforce(t.secretPrefix, orgId)),
      Promise.all(
        org.groups.map(async (groupId) => {
          const [glanceCredentials, lastWebhookAt] = await Promise.all([
            secretExists(secretNames.groupGlance(t.secretPrefix, groupId)),
            webhooks.lastAccepted(groupId),
          ]);
          return [String(groupId), { glanceCredentials, lastWebhookAt }] as const;
        }),
      ),
      dynamoOrgPauses(t.orgsTable).pausedOrgs([orgId]),
      recentPauses(t.orgsTable, org.orgId),
    ]);
    const now = new Date();
    const secrets = { salesforce };
    const groups: OrgFacts['groups'] = Object.fromEntries(groupFacts);
    const pause = pauses.get(orgId) ?? null;
    const problems = [
      ...(pause ? [`paused until ${pause.until}: ${pause.reason}`] : []),
      ...orgProblems({ org, schedule, syncQueueArn: t.syncQueueArn, secrets, groups, now }),
    ];
    const health = (await orgsHealth(t, [org], pauses)).get(org.orgId)!;
    if (values.json) {
      const withRecency = Object.fromEntries(Object.entries(groups).map(([id, g]) => [id, { ...g, webhooksRecent: webhooksRecent(g.lastWebhookAt, now) }]));
      printJson(io.stdout, { org, nextScheduledSync: nextSync(org), schedule, secrets, groups: withRecency, pause, recentPauses: pauseHistory, problems, health });
      return EXIT.ok;
    }
    io.stdout.write(
      keyValues([
        ['org', `${org.orgId} (${org.name})`],
        ['environment', org.environment],
        ['login URL', org.loginUrl],
        ['installed at', when(org.installedAt)],
        ['groups', org.groups.join(', ') || '(none)'],
        ['next scheduled sync', when(nextSync(org))],
        ['schedule', schedule ? `${schedule.groupName}/${schedule.scheduleName} ${schedule.expression} ${schedule.timezone ?? ''} ${schedule.state}`.replace(/ +/g, ' ') : '(none)'],
        ['Salesforce credentials', salesforce ? 'stored' : 'missing'],
        ...Object.entries(groups).map(([id, g]): [string, string] => [
          `group ${id}`,
          `Glance credentials ${g.glanceCredentials ? 'stored' : 'missing'}; ${describeWebhooks(g.lastWebhookAt, now)}`,
        ]),
        ['updated at', when(org.updatedAt)],
      ]),
    );
    io.stdout.write(
      `\nhealth: ${health.status}\n${keyValues(
        [
          ['Salesforce login', health.salesforceLogin],
          ['Glance login', health.glanceLogin],
          ['last sync', health.lastSync],
          ['paused', health.paused],
          ['dead letters', health.deadLetters ? `${health.deadLetters} waiting (glance-sync dlq list --org ${org.orgId})` : '0'],
          ['last error', health.lastError],
        ],
        '  ',
      )}`,
    );
    if (pauseHistory.length) io.stdout.write(`\nrecent pauses (newest first, kept ${PAUSE_HISTORY_DAYS} days):\n${pauseHistory.map((e) => `  - ${describeEpisode(e)}`).join('\n')}\n`);
    io.stdout.write(`\nsettings:\n${keyValues(flattenSettings(org.settings).map(([k, v]) => [k, formatSettingValue(v)]), '  ')}`);
    if (problems.length) io.stdout.write(`\nproblems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT.ok;
  },
};

/** One line per pause episode: since when, why, how many failed probes, and how it ended. */
function describeEpisode(e: PauseEpisode): string {
  const probes = e.probes ? `, ${e.probes} failed probe${e.probes === 1 ? '' : 's'}` : '';
  const end = e.endedAt ? `resumed ${e.endedAt}${e.endedBy === 'credentials' ? ' (new credentials)' : e.endedBy === 'setup fixed' ? ' (setup fixed)' : ' (probe answered)'}` : `paused until ${e.until}`;
  return `${e.since} ${e.kind ?? 'pause'}: ${end}${probes}: ${e.reason}`;
}
