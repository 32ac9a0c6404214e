import { AdminError } from '../../shared/admin-error.ts';
import { secretExists } from '../../shared/adapters/secrets.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { flattenSettings, formatSettingValue } from '../../shared/org-settings.ts';
import { orgProblems } from '../../shared/org-readiness.ts';
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

export const orgsShow: CommandSpec = {
  path: 'orgs show',
  brief: "an org's settings, schedule rule, secrets and problems",
  usage: 'orgs show ORG [--json]',
  summary:
    'Shows an org: its settings, its schedule rule as EventBridge has it, which secrets are stored (never their values) and anything that keeps its syncs from working.',
  options: JSON_OPTION,
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const orgId = positionals[0]!;
    const t = await target();
    const deps = adminDeps(t);
    const org = await deps.registry.getOrg(orgId);
    if (!org) throw new AdminError(`org ${orgId} is not registered`, 'not_found');
    const [schedule, salesforce, glanceApiKey] = await Promise.all([
      deps.schedules.describe(orgId),
      secretExists(secretNames.orgSalesforce(t.secretPrefix, orgId)),
      secretExists(secretNames.orgGlance(t.secretPrefix, orgId)),
    ]);
    const secrets = { salesforce, glanceApiKey };
    const problems = orgProblems({ org, schedule, syncQueueArn: t.syncQueueArn, secrets });
    const health = (await orgsHealth(t, [org])).get(org.orgId)!;
    if (values.json) {
      printJson(io.stdout, { org, nextScheduledSync: nextSync(org), schedule, secrets, problems, health });
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
        ['schedule rule', schedule ? `${schedule.ruleName} ${schedule.expression} ${schedule.state}` : '(none)'],
        ['Salesforce credentials', salesforce ? 'stored' : 'missing'],
        ['Glance API key', glanceApiKey ? 'stored' : 'missing'],
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
    io.stdout.write(`\nsettings:\n${keyValues(flattenSettings(org.settings).map(([k, v]) => [k, formatSettingValue(v)]), '  ')}`);
    if (problems.length) io.stdout.write(`\nproblems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return EXIT.ok;
  },
};
