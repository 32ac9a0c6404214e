import { AdminError } from '../../shared/admin-error.ts';
import { registerGroup, retireGroupSecret, rotateGroupSecret } from '../../shared/org-admin.ts';
import { adminDeps } from './deps.ts';
import { readSecretFile } from './files.ts';
import { EXIT, optionalString, type CommandSpec } from './spec.ts';

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
