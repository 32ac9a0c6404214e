import { AdminError } from '../../shared/admin-error.ts';
import { registerGroup } from '../../shared/org-admin.ts';
import { adminDeps } from './deps.ts';
import { readSecretFile } from './files.ts';
import { EXIT, optionalString, type CommandSpec } from './spec.ts';

export const groupsAdd: CommandSpec = {
  path: 'groups add',
  brief: 'accept webhooks for a Glance group; prints its secret',
  usage: 'groups add GROUP [--webhook-secret-file FILE] [--replace-secret]',
  summary:
    "Accepts Glance webhooks for a group (its numeric Group ID). Without --webhook-secret-file a signing secret is generated and printed once on stdout, alone, so a script can capture it; give it to Glance for the group's webhooks.",
  details:
    "A group already registered is refused unless --replace-secret is given: replacing the secret makes webhooks signed with the old one fail until Glance has the new one.",
  options: {
    'webhook-secret-file': { type: 'string', value: 'FILE', description: 'use this whsec_<base64> secret instead of generating one' },
    'replace-secret': { type: 'boolean', description: "replace the webhook secret of a group that is already registered" },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const text = positionals[0]!;
    if (!/^\d{1,15}$/.test(text) || Number(text) <= 0) throw new AdminError(`group id must be a positive whole number; got '${text}'`);
    const groupId = Number(text);
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
