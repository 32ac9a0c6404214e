import { AdminError } from '../../shared/admin-error.ts';
import { pairOrg, unpairOrg, updateSettings } from '../../shared/org-admin.ts';
import { formatSettingValue, SETTING_RULES } from '../../shared/org-settings.ts';
import { adminDeps } from './deps.ts';
import { setupResumedLine, when } from './output.ts';
import { EXIT, settingsFromArgs, type CommandSpec } from './spec.ts';

export const orgsSet: CommandSpec = {
  path: 'orgs set',
  orgArgument: true,
  brief: 'change settings (setting=value ...)',
  usage: 'orgs set ORG setting=value [setting=value ...]',
  summary:
    "Changes settings; the others stay. Every value is checked before anything is saved. Setting syncFrequency replaces the org's sync schedule (never removes it), even to the same value, which repairs a schedule that drifted.",
  details: [
    'Settings:',
    ...[...SETTING_RULES].map(([name, rule]) => `  ${name.padEnd(30)}${rule.accepts}`),
    '',
    'Examples:',
    '  glance-sync orgs set 00D5g000000AbCdEAK syncFrequency=every_2_hours debugMode=on',
    `  glance-sync orgs set 00D5g000000AbCdEAK 'recordMapping={"Case": {"ContactEmail": "user_email"}}'`,
    '  glance-sync orgs set 00D5g000000AbCdEAK sso.mode=login_key sso.loginKeyLifetimeSeconds=3600',
    '',
    'An org with SSO on may be paired with one Glance group only.',
    "recordMapping is checked against the org's describe (signing in with its stored credentials): each object must be one Glance_Session__c has a lookup on, each field must exist and be filterable.",
  ].join('\n'),
  options: { unchecked: { type: 'boolean', description: "save recordMapping without checking it against the org's describe (org unreachable)" } },
  positionals: { min: 2, max: Infinity },
  async run({ values, positionals, io, target }) {
    const [orgId, ...assignments] = positionals as [string, ...string[]];
    const patch = settingsFromArgs(assignments);
    const deps = adminDeps(await target(), { checked: values.unchecked !== true });
    const { org, changes, resumed } = await updateSettings(deps, orgId, patch);
    if (changes.length === 0) io.stdout.write(`org ${orgId}: no setting changed\n`);
    for (const change of changes) {
      io.stdout.write(`org ${orgId}: ${change.setting} ${formatSettingValue(change.from)} -> ${formatSettingValue(change.to)}\n`);
    }
    if (resumed) io.stdout.write(setupResumedLine(orgId, resumed));
    if ('syncFrequency' in patch) {
      const schedule = await deps.schedules.describe(orgId);
      io.stdout.write(
        schedule
          ? `schedule: ${schedule.groupName}/${schedule.scheduleName} ${schedule.expression}, next ${when(schedule.nextFireAt)}\n`
          : `schedule: none (syncFrequency ${org.settings.syncFrequency})\n`,
      );
    }
    return EXIT.ok;
  },
};

function groupId(text: string): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) <= 0) throw new AdminError(`group id must be a positive whole number; got '${text}'`);
  return Number(text);
}

export const orgsPair: CommandSpec = {
  path: 'orgs pair',
  orgArgument: true,
  brief: 'pair an org with a Glance group',
  usage: 'orgs pair ORG GROUP',
  summary:
    "Pairs an org with a Glance group (register the group first with groups add): the org then receives all the group's sessions. An org with SSO on may be paired with one group only.",
  positionals: { min: 2, max: 2 },
  async run({ positionals, io, target }) {
    const [orgId, group] = positionals as [string, string];
    const org = await pairOrg(adminDeps(await target()), orgId, groupId(group));
    io.stdout.write(`org ${orgId} is paired with groups ${org.groups.join(', ')}\n`);
    return EXIT.ok;
  },
};

export const orgsUnpair: CommandSpec = {
  path: 'orgs unpair',
  orgArgument: true,
  brief: 'unpair an org from a Glance group',
  usage: 'orgs unpair ORG GROUP',
  summary: "Stops delivering a Glance group's sessions to an org. Unpairing a group that is not paired changes nothing.",
  positionals: { min: 2, max: 2 },
  async run({ positionals, io, target }) {
    const [orgId, group] = positionals as [string, string];
    const org = await unpairOrg(adminDeps(await target()), orgId, groupId(group));
    io.stdout.write(`org ${orgId} is paired with ${org.groups.length ? `groups ${org.groups.join(', ')}` : 'no group'}\n`);
    return EXIT.ok;
  },
};
