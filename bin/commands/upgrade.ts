import { findUpgradeLeftovers, removeUpgradeLeftovers } from '../../shared/adapters/upgrade-leftovers.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { printJson } from './output.ts';
import { EXIT, JSON_OPTION, UsageError, type CommandSpec } from './spec.ts';

export const upgradeCleanup: CommandSpec = {
  path: 'upgrade cleanup',
  brief: 'remove what earlier versions left per org (old EventBridge rules, per-org Glance secrets)',
  usage: 'upgrade cleanup (--dry-run | --yes) [--json]',
  summary:
    "Finds, for every registered org, what earlier versions made and this one no longer uses: the EventBridge rule glance-sync-org-ORG on the default bus (scheduled syncs are EventBridge Scheduler schedules in the stack's group now, and the old rule would run a second sync each period) and the secret glance-sync/org/ORG/glance (Glance credentials are per group now). --dry-run lists them; --yes removes them (the rule's targets, then the rule; the secret is scheduled for deletion, recoverable for 7 days).",
  details: 'Run it once after deploying this version. Nothing else is touched: the org\'s current schedule and its Salesforce credentials stay.',
  options: {
    'dry-run': { type: 'boolean', description: 'list what would be removed, remove nothing' },
    yes: { type: 'boolean', description: 'remove what is listed' },
    ...JSON_OPTION,
  },
  positionals: { min: 0, max: 0 },
  async run({ values, io, target }) {
    const dryRun = values['dry-run'] === true;
    if (dryRun === (values.yes === true)) throw new UsageError('give exactly one of --dry-run (list only) and --yes (remove)');
    const t = await target();
    const orgs = await dynamoOrgRegistry(t.orgsTable).listOrgs();
    const options = { secretPrefix: t.secretPrefix };
    const leftovers = await findUpgradeLeftovers(orgs.map((o) => o.orgId), options);
    if (!dryRun) await removeUpgradeLeftovers(leftovers, options);
    if (values.json) {
      printJson(io.stdout, { dryRun, removed: dryRun ? [] : leftovers, found: leftovers });
      return EXIT.ok;
    }
    if (leftovers.length === 0) {
      io.stdout.write(`nothing left by earlier versions for the ${orgs.length} registered org(s)\n`);
      return EXIT.ok;
    }
    const verb = dryRun ? 'would remove' : 'removed';
    for (const l of leftovers) io.stdout.write(`${verb} ${l.kind === 'secret' ? 'secret' : 'EventBridge rule'} ${l.name} (org ${l.orgId})\n`);
    if (dryRun) io.stdout.write(`${leftovers.length} to remove: run again with --yes\n`);
    return EXIT.ok;
  },
};
