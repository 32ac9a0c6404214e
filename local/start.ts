/**
 * `npm start`: the whole pipeline on this machine with embedded defaults. moto_server stands in
 * for AWS, the project's simulators for Salesforce and Glance, a loopback HTTP server for API
 * Gateway, and pollers for the Lambda event source mappings; the handlers are the real ones.
 */
import { startMoto, useLocalAws } from './moto.ts';
import { createLocalResources, exportResourceEnv } from './aws-resources.ts';
import { startSalesforceSim } from './salesforce-sim/index.ts';
import { startLocalHttpApi } from './http-api.ts';
import { pollForever } from './queue-poller.ts';
import { DEMO, setUpDemo } from './demo.ts';
import { ingest } from '../functions/webhook-ingest/handler.ts';
import { processEvents } from '../functions/session-processor/handler.ts';
import { dynamoOrgRegistry } from '../shared/adapters/org-registry.ts';
import { secretsManagerWriter } from '../shared/adapters/secrets.ts';
import { DEFAULTS } from '../shared/config.ts';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const port = (name: string) => Number(process.env[name] ?? 0);

async function main(): Promise<void> {
  // Lambda logs are JSON lines; locally only warnings and errors, unless asked for more.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const moto = await startMoto();
  useLocalAws(moto.endpoint);
  const resources = await createLocalResources({ visibilityTimeoutSeconds: 5 });
  exportResourceEnv(resources);

  const sim = await startSalesforceSim({ port: port('SALESFORCE_SIM_PORT') });
  const admin = { registry: dynamoOrgRegistry(resources.orgsTable), secrets: secretsManagerWriter(), secretPrefix: DEFAULTS.secretPrefix, now: () => new Date() };
  const demo = await setUpDemo(admin, sim);
  const api = await startLocalHttpApi(ingest, port('WEBHOOK_PORT'));
  const webhookUrl = `${api.url}/webhooks/glance/${DEMO.groupId}`;

  const stop = new AbortController();
  const onError = (error: unknown) => console.error('poller error:', (error as Error).message);
  const pollers = [pollForever(resources.eventsQueueUrl, (event) => processEvents(event), stop.signal, onError)];

  const runtimeFile = process.env.GLANCE_SYNC_RUNTIME_FILE ?? '.local/runtime.json';
  mkdirSync(dirname(runtimeFile), { recursive: true });
  writeFileSync(
    runtimeFile,
    JSON.stringify({ awsEndpoint: moto.endpoint, region: process.env.AWS_REGION, resources, salesforceSimUrl: sim.url, webhookUrl, demoGroupId: DEMO.groupId }, null, 2),
  );

  console.log(`glance-salesforce-sync is running locally (Ctrl-C stops it)

  AWS (moto_server)        ${moto.endpoint}
  Salesforce simulator     ${sim.url}   records: ${sim.url}/__sim/sobjects/Glance_Session__c?orgId=${DEMO.productionOrgId}
  Webhook endpoint         POST ${webhookUrl}
  Demo Glance group        ${DEMO.groupId}
  Its webhook secret       ${demo.webhookSecret}   (local demo only; deployed secrets live in Secrets Manager)
  Orgs paired with it      ${demo.orgs.map((o) => `${o.orgId} (${o.environment}, ${o.salesforce})`).join(', ')}
  Runtime file             ${runtimeFile}   (used by npm run send-sample and npm run glance-sync -- --local)

Send a signed sample webhook from another terminal:  npm run send-sample`);

  const shutdown = async () => {
    stop.abort();
    await Promise.allSettled(pollers);
    await api.stop();
    await sim.stop();
    await moto.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
});
