import { AdminError } from '../../shared/admin-error.ts';
import { secretMetadata } from '../../shared/adapters/secrets.ts';
import { createGlanceActivityClient } from '../../shared/adapters/glance-activity.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { registerGroup, removeGroup, retireGroupSecret, rotateGroupSecret } from '../../shared/org-admin.ts';
import { GLANCE_CREDENTIALS_EXAMPLE, storeGlanceCredentials } from '../../shared/sync/glance-credentials.ts';
import { adminDeps } from './deps.ts';
import { readSecretFile } from './files.ts';
import { keyValues, printJson, table, when } from './output.ts';
import { EXIT, JSON_OPTION, optionalString, requireString, UsageError, type CommandSpec } from './spec.ts';
import type { Target } from './target.ts';

function groupIdArg(text: string): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) <= 0) throw new AdminError(`group id must be a positive whole number; got '${text}'`);
  return Number(text);
}

const webhookUrl = (t: Target, groupId: number) => (t.webhookBaseUrl ? `${t.webhookBaseUrl}${groupId}` : null);

/** What an admin needs about a group's webhook secret, from its metadata: never the secret itself. */
interface SecretFacts {
  stored: boolean;
  /** Versions that verify: 1, or 2 while a rotation keeps the previous one valid. */
  count: number;
  changedAt: string | null;
  ageDays: number | null;
}

async function secretFacts(t: Target, groupId: number): Promise<SecretFacts> {
  const meta = await secretMetadata(secretNames.groupWebhook(t.secretPrefix, groupId));
  if (!meta) return { stored: false, count: 0, changedAt: null, ageDays: null };
  const ageDays = meta.changedAt ? Math.floor((Date.now() - Date.parse(meta.changedAt)) / 86_400_000) : null;
  return { stored: true, count: meta.stagedVersions, changedAt: meta.changedAt, ageDays };
}

const secretText = (s: SecretFacts) =>
  s.stored
    ? `${s.count} secret${s.count === 1 ? '' : 's (current and previous: a rotation under way)'}, last changed ${when(s.changedAt)} (${s.ageDays} days ago)`
    : 'MISSING: webhooks are refused (groups add GROUP --replace-secret)';

export const groupsAdd: CommandSpec = {
  path: 'groups add',
  brief: 'accept webhooks for a Glance group; prints its secret and webhook URL',
  usage: 'groups add GROUP [--webhook-secret-file FILE] [--replace-secret]',
  summary:
    "Accepts Glance webhooks for a group (its numeric Group ID). Without --webhook-secret-file a signing secret is generated and printed once on stdout, alone, so a script can capture it; the webhook URL follows on stderr. Give both to Glance (or to the relay that posts the group's session events).",
  details:
    'The file may hold two secrets separated by a space; both verify. A group already registered is refused (exit 4) unless --replace-secret is given: replacing the secret makes webhooks signed with the old one fail at once, until Glance has the new one. To switch without losing webhooks, use groups rotate-secret and groups retire-secret.',
  options: {
    'webhook-secret-file': { type: 'string', value: 'FILE', description: 'use this whsec_<base64> secret instead of generating one' },
    'replace-secret': { type: 'boolean', description: 'replace the webhook secret of a group that is already registered (the old one stops verifying)' },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const groupId = groupIdArg(positionals[0]!);
    const file = optionalString(values, 'webhook-secret-file');
    const given = file ? readSecretFile(file, 'webhook secret').trim() : undefined;
    const t = await target();
    const deps = adminDeps(t);
    if (values['replace-secret'] !== true && (await deps.registry.getGroup(groupId))) {
      throw new AdminError(`group ${groupId} is already registered; pass --replace-secret to give it a new webhook secret`, 'conflict');
    }
    const { webhookSecret } = await registerGroup(deps, groupId, ...(given ? [given] : []));
    const url = webhookUrl(t, groupId) ?? '(unknown: the WebhookBaseUrl stack output followed by the group id)';
    if (given) {
      io.stdout.write(`registered group ${groupId} with the webhook secret from ${file}\nwebhook URL: ${url}\n`);
    } else {
      io.stderr.write(`registered group ${groupId}; its webhook signing secret follows, shown this once:\n`);
      io.stdout.write(`${webhookSecret}\n`);
      io.stderr.write(`webhook URL: ${url}\ngive Glance the URL and the secret (POST, Standard Webhooks signature)\n`);
    }
    io.stderr.write(`next: store its Glance CRR credentials for scheduled syncs (glance-sync groups credentials ${groupId} --file FILE)\n`);
    return EXIT.ok;
  },
};

export const groupsList: CommandSpec = {
  path: 'groups list',
  brief: 'list groups with their paired orgs and webhook URLs',
  usage: 'groups list [--json]',
  summary: 'Lists the Glance groups that webhooks are accepted for, the orgs paired with each and its webhook URL.',
  options: JSON_OPTION,
  positionals: { min: 0, max: 0 },
  async run({ values, io, target }) {
    const t = await target();
    const { registry } = adminDeps(t);
    const [groups, orgs] = await Promise.all([registry.listGroups(), registry.listOrgs()]);
    const rows = groups.map((g) => ({
      groupId: g.groupId,
      createdAt: g.createdAt,
      orgIds: orgs.filter((o) => o.groups.includes(g.groupId)).map((o) => o.orgId),
      webhookUrl: webhookUrl(t, g.groupId),
    }));
    if (values.json) {
      printJson(io.stdout, rows);
      return EXIT.ok;
    }
    if (rows.length === 0) {
      io.stdout.write('no groups registered (glance-sync groups add --help)\n');
      return EXIT.ok;
    }
    io.stdout.write(table(['GROUP', 'REGISTERED', 'ORGS', 'WEBHOOK URL'], rows.map((r) => [String(r.groupId), when(r.createdAt), r.orgIds.join(',') || '-', r.webhookUrl ?? '-'])));
    return EXIT.ok;
  },
};

export const groupsShow: CommandSpec = {
  path: 'groups show',
  brief: "a group's paired orgs, webhook URL and secret count and age",
  usage: 'groups show GROUP [--json]',
  summary: 'Shows a group: the orgs paired with it, its webhook URL, and how many webhook secrets it holds and how old they are (never their values).',
  options: JSON_OPTION,
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const groupId = groupIdArg(positionals[0]!);
    const t = await target();
    const { registry } = adminDeps(t);
    const group = await registry.getGroup(groupId);
    if (!group) throw new AdminError(`group ${groupId} is not registered`, 'not_found');
    const [orgs, secret] = await Promise.all([registry.orgsForGroup(groupId), secretFacts(t, groupId)]);
    const view = {
      groupId,
      createdAt: group.createdAt,
      webhookUrl: webhookUrl(t, groupId),
      secret,
      orgs: orgs.map((o) => ({ orgId: o.orgId, name: o.name, environment: o.environment, sites: o.settings.sites, sso: o.settings.sso.mode })),
    };
    if (values.json) {
      printJson(io.stdout, view);
      return EXIT.ok;
    }
    io.stdout.write(
      keyValues([
        ['group', String(groupId)],
        ['registered at', when(group.createdAt)],
        ['webhook URL', view.webhookUrl ?? '(unknown)'],
        ['webhook secret', secretText(secret)],
        ['paired orgs', orgs.length ? '' : '(none: its sessions reach no org; glance-sync orgs pair ORG GROUP)'],
      ]),
    );
    for (const o of view.orgs) io.stdout.write(`  ${o.orgId}  ${o.name} (${o.environment}, sites ${o.sites.join(',')}, sso ${o.sso})\n`);
    return EXIT.ok;
  },
};

export const groupsRemove: CommandSpec = {
  path: 'groups remove',
  brief: 'stop accepting webhooks for a group',
  usage: 'groups remove GROUP --yes',
  summary:
    'Stops accepting webhooks for a group: forgets it and schedules its webhook secret and Glance credentials for deletion (Secrets Manager keeps it recoverable for 7 days). Refused (exit 4) while orgs are paired with it, and without --yes.',
  options: { yes: { type: 'boolean', description: 'confirm the removal' } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const groupId = groupIdArg(positionals[0]!);
    if (values.yes !== true) throw new UsageError(`refusing to remove group ${groupId} without --yes (its webhooks will be answered 404)`);
    await removeGroup(adminDeps(await target()), groupId);
    io.stdout.write(`removed group ${groupId}: its webhooks are now answered 404; its secrets are deleted after 7 days\n`);
    return EXIT.ok;
  },
};

export const groupsCredentials: CommandSpec = {
  path: 'groups credentials',
  brief: "store a group's Glance CRR credentials (checked with Glance first)",
  usage: 'groups credentials GROUP --file FILE',
  summary:
    "Stores the Glance credentials the scheduled sync pulls a group's ended sessions with, in Secrets Manager. They are checked first: a service login and one short read of the group's sessions; credentials Glance refuses are not stored.",
  details: [
    `FILE holds JSON: ${GLANCE_CREDENTIALS_EXAMPLE}`,
    '  username, password  the CRR service account issued by your Glance representative',
    "  apiKey              the group's API key (Glance: My Account > Settings)",
    '  site                optional, production (default) or staging: CRR says nothing about the site, so pulled sessions are recorded under this one',
    'Secrets are read from files only, never from flags, and are never printed.',
  ].join('\n'),
  options: {
    file: { type: 'string', value: 'FILE', description: 'the credentials JSON (required)' },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const groupId = groupIdArg(positionals[0]!);
    const file = requireString(values, 'file');
    const text = readSecretFile(file, 'Glance credentials');
    const t = await target();
    const deps = adminDeps(t);
    const stored = await storeGlanceCredentials(
      {
        groupKnown: async (id) => (await deps.registry.getGroup(id)) !== null,
        secretName: (id) => secretNames.groupGlance(t.secretPrefix, id),
        writeSecret: (name, value) => deps.secrets.write(name, value),
        check: (id, credentials) => createGlanceActivityClient({ baseUrl: t.glanceApiUrl, credentials: async () => credentials, maxRetries: 1 }).check(id, new Date()),
      },
      groupId,
      `Glance credentials file ${file}`,
      text,
    );
    io.stdout.write(`Glance accepted the credentials; stored them for group ${groupId} (${stored.secretName}), sessions recorded as site ${stored.site}\n`);
    return EXIT.ok;
  },
};

export const groupsRotateSecret: CommandSpec = {
  path: 'groups rotate-secret',
  brief: "add a new webhook secret while the old one still verifies; prints it",
  usage: 'groups rotate-secret GROUP [--webhook-secret-file FILE]',
  summary:
    "Step one of a webhook secret rotation without downtime: a new signing secret becomes the group's current one, and the old one keeps verifying. Without --webhook-secret-file the new secret is generated and printed once on stdout, alone.",
  details:
    "Give Glance (or the relay) the new secret; once its webhooks are signed with it (webhook_unauthorized stays at 0), run groups retire-secret. Refused while an earlier rotation has not been retired.",
  options: {
    'webhook-secret-file': { type: 'string', value: 'FILE', description: 'use this whsec_<base64> secret instead of generating one' },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const groupId = groupIdArg(positionals[0]!);
    const file = optionalString(values, 'webhook-secret-file');
    const given = file ? readSecretFile(file, 'webhook secret').trim() : undefined;
    const { webhookSecret } = await rotateGroupSecret(adminDeps(await target()), groupId, ...(given ? [given] : []));
    const next = `once Glance signs with it, run: glance-sync groups retire-secret ${groupId}`;
    if (given) {
      io.stdout.write(`group ${groupId} now verifies the webhook secret from ${file} and, until retired, the old one; ${next}\n`);
    } else {
      io.stderr.write(`group ${groupId}: new webhook signing secret follows, shown this once; the old one still verifies; ${next}\n`);
      io.stdout.write(`${webhookSecret}\n`);
    }
    return EXIT.ok;
  },
};

export const groupsRetireSecret: CommandSpec = {
  path: 'groups retire-secret',
  brief: 'stop accepting the webhook secret a rotation replaced',
  usage: 'groups retire-secret GROUP',
  summary: "Step two of a webhook secret rotation: the old secret stops verifying (warm functions notice within 5 minutes); only the newest one is accepted.",
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ positionals, io, target }) {
    const groupId = groupIdArg(positionals[0]!);
    await retireGroupSecret(adminDeps(await target()), groupId);
    io.stdout.write(`group ${groupId}: the old webhook secret is retired; only the current one verifies\n`);
    return EXIT.ok;
  },
};
