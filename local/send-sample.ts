/**
 * `npm run send-sample`: posts one signed `session.started` webhook to the local run and shows
 * the Glance Session record it became in the Salesforce simulator.
 */
import { randomUUID } from 'node:crypto';
import { useLocalAws } from './moto.ts';
import { readRuntime, requireRunning, runtimeFilePath } from './runtime-file.ts';
import { sendWebhook } from './glance-sim/webhook-sender.ts';
import { makeSession } from './glance-sim/sample-sessions.ts';
import { DEMO } from './demo.ts';
import { cachedSecretReader } from '../shared/adapters/secrets.ts';
import { secretNames } from '../shared/secret-names.ts';
import { DEFAULTS } from '../shared/config.ts';

async function main(): Promise<void> {
  // The same runtime file and checks as the admin CLI's --local: a clear message when no run answers.
  const file = runtimeFilePath();
  const runtime = readRuntime(file);
  await requireRunning(runtime, file);
  if (!runtime.webhookUrl || !runtime.salesforceSimUrl || runtime.demoGroupId === undefined) {
    throw new Error(`${file} names no demo webhook: restart the local run (npm start)`);
  }
  useLocalAws(runtime.awsEndpoint);
  // The signing secret is read from the local secret store, as Glance would hold its copy.
  const secret = await cachedSecretReader().read(secretNames.groupWebhook(DEFAULTS.secretPrefix, runtime.demoGroupId));
  if (!secret) throw new Error(`group ${runtime.demoGroupId} has no webhook secret in the local run`);

  const suffix = Math.floor(Math.random() * 1e6);
  const session = makeSession({
    id: `${runtime.demoGroupId}.${suffix}.${Date.now()}`,
    sessionKey: String(suffix),
    groupId: runtime.demoGroupId,
    startedAt: new Date().toISOString(),
    origin: { salesforceOrgId: DEMO.productionOrgId, recordId: null },
  });
  const event = { type: 'session.started', occurredAt: new Date().toISOString(), session };
  const answer = await sendWebhook(runtime.webhookUrl, event, { secret, id: `msg_${randomUUID()}` });
  console.log(`POST ${runtime.webhookUrl} -> ${answer.status} ${JSON.stringify(answer.body)}`);
  if (answer.status !== 202) process.exit(1);

  const url = `${runtime.salesforceSimUrl}/__sim/sobjects/Glance_Session__c?orgId=${DEMO.productionOrgId}`;
  for (let i = 0; i < 60; i++) {
    const records = (await (await fetch(url)).json()) as Array<Record<string, unknown>>;
    const record = records.find((r) => r.Glance_Session_Id__c === session.id);
    if (record) {
      console.log(`\nGlance_Session__c in org ${DEMO.productionOrgId} (${url}):\n${JSON.stringify(record, null, 2)}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the session did not reach the simulator within 30 s: look at the npm start terminal`);
}

main().catch((error) => {
  console.error(`send-sample failed: ${(error as Error).message}`);
  process.exit(1);
});
