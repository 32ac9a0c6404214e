import { ReceiveMessageCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { createLocalResources, exportResourceEnv, localSchedules, type LocalResources } from '../../local/aws-resources.ts';
import { startSalesforceSim, type SalesforceSim, type SimOrgConfig } from '../../local/salesforce-sim/index.ts';
import { resetAwsClients, sqs } from '../../shared/adapters/aws-clients.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { addOrg, pairOrg, registerGroup, type OrgAdminDeps } from '../../shared/org-admin.ts';
import type { OrgSettings } from '../../shared/org.ts';
import { DEFAULTS } from '../../shared/config.ts';

export const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** moto_server + the Salesforce simulator + the stack's resources: the real parts of one test file. */
export interface TestPipeline {
  moto: MotoServer;
  sim: SalesforceSim;
  resources: LocalResources;
  admin: OrgAdminDeps;
  /** Fresh AWS state and simulator before each test. */
  reset(): Promise<void>;
  /** Registers a simulator org and the matching org in the registry, paired with the groups. */
  addOrg(orgId: string, groups: number[], settings?: Partial<OrgSettings>, simOrg?: Partial<SimOrgConfig>): Promise<void>;
  registerGroup(groupId: number): Promise<void>;
  /** Stored records of an sObject in an org, read over HTTP from the simulator's inspection endpoint. */
  sobjects(orgId: string, sobject: string): Promise<Array<Record<string, unknown>>>;
  queueDepth(queueUrl: string): Promise<number>;
  receiveAll(queueUrl: string): Promise<Array<{ body: string; attributes: Record<string, string | undefined> }>>;
  stop(): Promise<void>;
}

export async function startTestPipeline(): Promise<TestPipeline> {
  const moto = await startMoto();
  useLocalAws(moto.endpoint);
  resetAwsClients();
  const sim = await startSalesforceSim();
  let resources!: LocalResources;
  const knownSimOrgs = new Set<string>();
  const admin = (): OrgAdminDeps => ({
    registry: dynamoOrgRegistry(resources.orgsTable),
    secrets: secretsManagerWriter(),
    secretPrefix: DEFAULTS.secretPrefix,
    schedules: localSchedules(resources),
    now: () => new Date(),
  });
  const pipeline: TestPipeline = {
    moto,
    sim,
    get resources() {
      return resources;
    },
    get admin() {
      return admin();
    },
    async reset() {
      await moto.reset();
      sim.reset();
      resources = await createLocalResources({ visibilityTimeoutSeconds: 30 });
      exportResourceEnv(resources);
    },
    async registerGroup(groupId) {
      await registerGroup(admin(), groupId, WEBHOOK_SECRET);
    },
    async addOrg(orgId, groups, settings = {}, simOrg = {}) {
      const refreshToken = `refresh-${orgId}`;
      const clientId = `client-${orgId}`;
      // The simulator keeps its orgs across reset(); only records and counters are wiped.
      if (!knownSimOrgs.has(orgId)) sim.addOrg({ orgId, username: `admin@${orgId.toLowerCase()}.example`, clientId, refreshToken, ...simOrg });
      knownSimOrgs.add(orgId);
      await addOrg(
        admin(),
        { orgId, name: `Org ${orgId}`, environment: 'production', installedAt: '2026-11-01T13:14:00Z', settings },
        { authType: 'refresh_token', loginUrl: sim.url, clientId, refreshToken },
      );
      for (const groupId of groups) await pairOrg(admin(), orgId, groupId);
    },
    async sobjects(orgId, sobject) {
      const res = await fetch(`${sim.url}/__sim/sobjects/${sobject}?orgId=${orgId}`);
      if (!res.ok) throw new Error(`simulator inspection failed: ${res.status} ${await res.text()}`);
      return (await res.json()) as Array<Record<string, unknown>>;
    },
    async queueDepth(queueUrl) {
      const out = await sqs().send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    },
    async receiveAll(queueUrl) {
      const all: Array<{ body: string; attributes: Record<string, string | undefined> }> = [];
      for (;;) {
        const out = await sqs().send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60, MessageAttributeNames: ['All'] }),
        );
        if (!out.Messages?.length) return all;
        for (const m of out.Messages) {
          all.push({
            body: m.Body ?? '',
            attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])),
          });
        }
      }
    },
    async stop() {
      await sim.stop();
      await moto.stop();
    },
  };
  return pipeline;
}
