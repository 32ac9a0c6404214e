import { readFileSync } from 'node:fs';
import type { SalesforceSim } from './salesforce-sim/index.ts';
import type { GlanceSim } from './glance-sim/index.ts';
import { generateSessions } from './glance-sim/sample-sessions.ts';
import { addOrg, pairOrg, registerGroup, type OrgAdminDeps } from '../shared/org-admin.ts';
import { salesforceCredentialsSchema, type SalesforceCredentials } from '../shared/salesforce-credentials.ts';
import { createGlanceActivityClient } from '../shared/adapters/glance-activity.ts';
import { secretNames } from '../shared/secret-names.ts';
import { storeGlanceCredentials } from '../shared/sync/glance-credentials.ts';

/** The embedded defaults of the local run: one Glance group shared by a production org and its sandbox. */
export const DEMO = {
  groupId: 12345,
  productionOrgId: '00D5g000000AbCdEAK',
  sandboxOrgId: '00D5g000000SbXyEAK',
  /** A Glance user id for the orgs' SSO settings (the sync itself signs in with the group's CRR account). */
  syncPartnerUserId: 'glance-sync-bot',
  glanceApiKey: 'demo-glance-api-key-not-a-secret',
  /** The group's CRR service account on the simulator. */
  crrUsername: 'demo-crr-service',
  crrPassword: 'demo-crr-password-not-a-secret',
} as const;

/**
 * "Installed" a day ago, two minutes past the current minute: the hourly schedule, anchored at
 * install time, then fires two minutes after `npm start`, so a newcomer sees a scheduled sync.
 */
export function demoInstallTime(now: Date): string {
  const at = new Date(now.getTime() - 24 * 3600_000 + 2 * 60_000);
  at.setUTCSeconds(0, 0);
  return at.toISOString();
}

export interface DemoSetup {
  webhookSecret: string;
  orgs: Array<{ orgId: string; environment: 'production' | 'sandbox'; salesforce: 'simulator' | 'real org' }>;
}

/**
 * Registers the demo group and orgs. With SALESFORCE_CREDENTIALS_FILE (and SALESFORCE_ORG_ID) the
 * production org is a real Salesforce org instead of the simulator; its credentials go to the
 * local secret store only.
 */
export async function setUpDemo(admin: OrgAdminDeps, sim: SalesforceSim, glance: GlanceSim, env: NodeJS.ProcessEnv = process.env): Promise<DemoSetup> {
  const installedAt = demoInstallTime(admin.now());
  const sso = { mode: 'saml' as const, nonAdminPartnerUserId: DEMO.syncPartnerUserId };
  glance.addGroup({ groupId: DEMO.groupId, apiKey: DEMO.glanceApiKey, username: DEMO.crrUsername, password: DEMO.crrPassword });
  // Cobrowse only: it is the one channel type Glance's CRR documents (README: "Real Glance").
  for (const session of generateSessions({
    types: ['C'],
    seed: 7,
    count: 12,
    groupId: DEMO.groupId,
    start: new Date(installedAt),
    end: new Date(admin.now().getTime() - 5 * 60_000),
    orgIds: [DEMO.productionOrgId, DEMO.sandboxOrgId],
  })) {
    glance.addSession(session);
  }
  const { webhookSecret } = await registerGroup(admin, DEMO.groupId);
  // The same path as `glance-sync groups credentials`: checked against the simulator, then stored.
  await storeGlanceCredentials(
    {
      groupKnown: async (id) => (await admin.registry.getGroup(id)) !== null,
      secretName: (id) => secretNames.groupGlance(admin.secretPrefix, id),
      writeSecret: (name, value) => admin.secrets.write(name, value),
      check: (id, credentials) => createGlanceActivityClient({ baseUrl: glance.url, credentials: async () => credentials }).check(id, admin.now()),
    },
    DEMO.groupId,
    'demo Glance credentials',
    JSON.stringify({ username: DEMO.crrUsername, password: DEMO.crrPassword, apiKey: DEMO.glanceApiKey }),
  );
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
    {
      orgId: productionOrgId,
      name: 'Demo production org',
      environment: 'production',
      installedAt,
      settings: { logSessionsStartedOutside: true, createLeadsForGuests: 'new_email', chatterOnSessionStart: true, debugMode: true, sso },
    },
    productionCredentials,
  );
  await pairOrg(admin, productionOrgId, DEMO.groupId);
  orgs.push({ orgId: productionOrgId, environment: 'production', salesforce: realFile ? 'real org' : 'simulator' });

  sim.addOrg({ orgId: DEMO.sandboxOrgId, username: 'admin@glance-demo.example.sandbox', clientId: 'demo-client-sandbox', refreshToken: 'demo-refresh-sandbox' });
  await addOrg(
    admin,
    { orgId: DEMO.sandboxOrgId, name: 'Demo sandbox org', environment: 'sandbox', installedAt, settings: { syncFrequency: 'every_2_hours', sso } },
    { authType: 'refresh_token', loginUrl: sim.url, clientId: 'demo-client-sandbox', refreshToken: 'demo-refresh-sandbox' },
  );
  await pairOrg(admin, DEMO.sandboxOrgId, DEMO.groupId);
  orgs.push({ orgId: DEMO.sandboxOrgId, environment: 'sandbox', salesforce: 'simulator' });
  return { webhookSecret, orgs };
}
