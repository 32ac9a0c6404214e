import { salesforceCredentialsSchema } from '../../shared/salesforce-credentials.ts';
import { cachedSecretReader } from '../../shared/adapters/secrets.ts';
import { secretNames } from '../../shared/secret-names.ts';
import { AdminError, checkOrgAgainstPackage, endSetupPause, requireOrg } from '../../shared/org-admin.ts';
import { formatPackageProblems } from '../../shared/org-package-check.ts';
import { adminDeps } from './deps.ts';
import { printJson, setupResumedLine } from './output.ts';
import { EXIT, JSON_OPTION, type CommandSpec } from './spec.ts';

export const orgsCheck: CommandSpec = {
  path: 'orgs check',
  orgArgument: true,
  brief: 'log in to the org and compare it with the Salesforce package',
  usage: 'orgs check ORG [--json]',
  summary:
    "Logs in to the org with its stored credentials, describes it as the integration user sees it and compares it with the package in salesforce/ (what `sf project deploy start` deploys): every missing object or field, wrong type or length, missing External ID or Unique flag and missing permission is listed with what to do. Exit 0 when the org is ready, 3 when it is not or the login is refused, 1 when Salesforce cannot be reached.",
  options: JSON_OPTION,
  positionals: { min: 1, max: 1 },
  async run({ values, positionals, io, target }) {
    const orgId = positionals[0]!;
    const t = await target();
    const deps = adminDeps(t);
    const org = await requireOrg(deps, orgId);
    const raw = await cachedSecretReader().read(secretNames.orgSalesforce(t.secretPrefix, orgId));
    if (!raw) throw new AdminError(`no Salesforce credentials stored for org ${orgId} (glance-sync orgs credentials ${orgId} --credentials-file FILE)`);
    const parsed = salesforceCredentialsSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new AdminError(`the stored Salesforce credentials of org ${orgId} are incomplete; store them again (glance-sync orgs credentials ${orgId} --credentials-file FILE)`);
    const problems = await checkOrgAgainstPackage(deps.checkSalesforce!, orgId, parsed.data);
    // A ready org's setup pause was fixed in Salesforce: its sessions need not wait for the probe.
    const resumed = problems.length === 0 ? await endSetupPause(deps, orgId) : null;
    if (values.json) printJson(io.stdout, { orgId, ready: problems.length === 0, problems, resumed });
    else if (problems.length === 0) io.stdout.write(`org ${orgId}: login ok; the org has every object, field and permission the package declares\n${resumed ? setupResumedLine(orgId, resumed) : ''}`);
    else io.stdout.write(`org ${orgId}: login ok; ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${formatPackageProblems(problems)}\n`);
    return problems.length === 0 ? EXIT.ok : EXIT.invalid;
  },
};
