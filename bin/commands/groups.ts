import { AdminError } from '../../shared/admin-error.ts';
import { createGlanceActivityClient } from '../../shared/adapters/glance-activity.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { registerGroup, retireGroupSecret, rotateGroupSecret } from '../../shared/org-admin.ts';
import { GLANCE_CREDENTIALS_EXAMPLE, storeGlanceCredentials } from '../../shared/sync/glance-credentials.ts';
import { adminDeps } from './deps.ts';
import { readSecretFile } from './files.ts';
import { EXIT, optionalString, requireString, type CommandSpec } from './spec.ts';

function parseGroupId(text: string): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) <= 0) throw new AdminError(`group id must be a positive whole number; got '${text}'`);
  return Number(text);
}

export const groupsAdd: CommandSpec = {
  path: 'groups add',
  brief: 'accept webhooks for a Glance group; prints its secret',
  usage: 'groups add GROUP [--webhook-secret-file FILE] [--replace-secret]',
  summary:
    "Accepts Glance webhooks for a group (its numeric Group ID). Without --webhook-secret-file a signing secret is generated and printed once on stdout, alone, so a script can capture it; give it to Glance for the group's webhooks.",
  details:
    "The file may hold two secrets separated by a space; both verify. A group already registered is refused unless --replace-secret is given: replacing the secret makes webhooks signed with the old one fail at once, until Glance has the new one. To switch without losing webhooks, use groups rotate-secret and groups retire-secret.",
  options: {
    'webhook-secret-file': { type: 'string', value: 'FILE', description: 'use this whsec_<base64> secret instead of generating one' },
    'replace-secret': { type: 'boolean', description: "replace the webhook secret of a group that is already registered (the old one stops verifying)" },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const groupId = parseGroupId(positionals[0]!);
    const file = optionalString(values, 'webhook-secret-file');
    const given = file ? readSecretFile(file, 'webhook secret').trim() : undefined;
    const deps = adminDeps(await target());
    if (values['replace-secret'] !== true && (await deps.registry.getGroup(groupId))) {
      throw new AdminError(`group ${groupId} is already registered; pass --replace-secret to give it a new webhook secret`);
    }
    const { webhookSecret } = await registerGroup(deps, groupId, ...(given ? [given] : []));
    if (given) {
      io.stdout.write(`registered group ${groupId} with the webhook secret from ${file}\n`);
    } else {
      io.stderr.write(`registered group ${groupId}; its webhook signing secret follows, shown this once:\n`);
      io.stdout.write(`${webhookSecret}\n`);
    }
    io.stderr.write(`next: store its Glance CRR credentials for scheduled syncs (glance-sync groups credentials ${groupId} --file FILE)\n`);
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
    const groupId = parseGroupId(positionals[0]!);
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
    const groupId = parseGroupId(positionals[0]!);
    await retireGroupSecret(adminDeps(await target()), groupId);
    io.stdout.write(`group ${groupId}: the old webhook secret is retired; only the current one verifies\n`);
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
    const groupId = parseGroupId(positionals[0]!);
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
