import type { SalesforceSim } from '../local/salesforce-sim/index.ts';
import type { LocalResources } from '../local/aws-resources.ts';
import { dynamoOrgRegistry } from '../shared/adapters/org-registry.ts';
import { eventBridgeSchedules } from '../shared/adapters/schedules.ts';
import { secretsManagerWriter } from '../shared/adapters/secrets.ts';
import { DEFAULTS } from '../shared/config.ts';
import { addOrg, pairOrg, registerGroup, type OrgAdminDeps } from '../shared/org-admin.ts';
import { BENCH_ORGS, simCredentials, simOrgConfig, WEBHOOK_SECRETS } from './orgs.ts';
import type { Workload } from './workload.ts';

/**
 * The groups and orgs registered the way an admin does it (secrets, registry, pairing), and the
 * simulator holding each org with its seeded Leads and origin records. Nothing here is timed.
 */
export async function registerBenchOrgs(resources: LocalResources, sim: SalesforceSim, salesforceUrl: string, workload: Workload): Promise<void> {
  const admin: OrgAdminDeps = {
    registry: dynamoOrgRegistry(resources.orgsTable),
    secrets: secretsManagerWriter(),
    secretPrefix: DEFAULTS.secretPrefix,
    schedules: eventBridgeSchedules({ syncQueueArn: resources.syncQueueArn }),
    now: () => new Date(),
  };
  for (const [group, secret] of Object.entries(WEBHOOK_SECRETS)) await registerGroup(admin, Number(group), secret);
  for (const { org, group } of BENCH_ORGS) {
    sim.addOrg(simOrgConfig(org.orgId));
    await addOrg(
      admin,
      { orgId: org.orgId, name: org.name, environment: org.environment, installedAt: org.installedAt, settings: org.settings },
      simCredentials(org.orgId, salesforceUrl),
    );
    await pairOrg(admin, org.orgId, group);
  }
  for (const seed of workload.seeds) sim.seed(seed.orgId, seed.sobject, seed.fields);
}
