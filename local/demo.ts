import { readFileSync } from 'node:fs';
import type { SalesforceSim } from './salesforce-sim/index.ts';
import { addOrg, pairOrg, registerGroup, type OrgAdminDeps } from '../shared/org-admin.ts';
import { salesforceCredentialsSchema, type SalesforceCredentials } from '../shared/adapters/salesforce-auth.ts';

/** The embedded defaults of the local run: one Glance group shared by a production org and its sandbox. */
export const DEMO = {
  groupId: 12345,
  productionOrgId: '00D5g000000AbCdEAK',
  sandboxOrgId: '00D5g000000SbXyEAC',
  installedAt: '2026-11-01T13:14:00Z',
} as const;

export interface DemoSetup {
  webhookSecret: string;
  orgs: Array<{ orgId: string; environment: 'production' | 'sandbox'; salesforce: 'simulator' | 'real org' }>;
}

/**
 * Registers the demo group and orgs. With SALESFORCE_CREDENTIALS_FILE (and SALESFORCE_ORG_ID) the
 * production org is a real Salesforce org instead of the simulator; its credentials go to the
 * local secret store only.
 */
export async function setUpDemo(admin: OrgAdminDeps, sim: SalesforceSim, env: NodeJS.ProcessEnv = process.env): Promise<DemoSetup> {
  const { webhookSecret } = await registerGroup(admin, DEMO.groupId);
  const orgs: DemoSetup['orgs'] = [];

  const realFile = env.SALESFORCE_CREDENTIALS_FILE;
  let productionCredentials: SalesforceCredentials;
  let productionOrgId: string = DEMO.productionOrgId;
  if (realFile) {
    const parsed = salesforceCredentialsSchema.safeParse(JSON.parse(readFileSync(realFile, 'utf8')));
    if (!parsed.success) throw new Error(`${realFile}: not Salesforce credentials (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
    if (!env.SALESFORCE_ORG_ID) throw new Error('SALESFORCE_ORG_ID must name the real org (00D…) when SALESFORCE_CREDENTIALS_FILE is set');
    productionCredentials = parsed.data;
    productionOrgId = env.SALESFORCE_ORG_ID;
  } else {
    sim.addOrg({ orgId: DEMO.productionOrgId, username: 'admin@glance-demo.example', clientId: 'demo-client', refreshToken: 'demo-refresh-production' });
    productionCredentials = { authType: 'refresh_token', loginUrl: sim.url, clientId: 'demo-client', refreshToken: 'demo-refresh-production' };
  }
  await addOrg(
    admin,
    { orgId: productionOrgId, name: 'Demo production org', environment: 'production', installedAt: DEMO.installedAt, settings: { logSessionsStartedOutside: true } },
    productionCredentials,
  );
  await pairOrg(admin, productionOrgId, DEMO.groupId);
  orgs.push({ orgId: productionOrgId, environment: 'production', salesforce: realFile ? 'real org' : 'simulator' });

  sim.addOrg({ orgId: DEMO.sandboxOrgId, username: 'admin@glance-demo.example.sandbox', clientId: 'demo-client-sandbox', refreshToken: 'demo-refresh-sandbox' });
  await addOrg(
    admin,
    { orgId: DEMO.sandboxOrgId, name: 'Demo sandbox org', environment: 'sandbox', installedAt: DEMO.installedAt },
    { authType: 'refresh_token', loginUrl: sim.url, clientId: 'demo-client-sandbox', refreshToken: 'demo-refresh-sandbox' },
  );
  await pairOrg(admin, DEMO.sandboxOrgId, DEMO.groupId);
  orgs.push({ orgId: DEMO.sandboxOrgId, environment: 'sandbox', salesforce: 'simulator' });
  return { webhookSecret, orgs };
}
