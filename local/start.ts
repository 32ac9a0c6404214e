/**
 * `npm start`: the whole pipeline on this machine with embedded defaults. moto_server stands in
 * for AWS, the project's simulators for Salesforce and Glance, a loopback HTTP server for API
 * Gateway, a loopback Lambda Invoke API for Lambda, and pollers for the event source mappings.
 * The handlers run as the stack deploys them: esbuild bundles built with the stack's options.
 */
import { startMoto, useLocalAws } from './moto.ts';
import { createLocalResources, exportResourceEnv, localSchedules } from './aws-resources.ts';
import { startSalesforceSim } from './salesforce-sim/index.ts';
import { startLocalHttpApi } from './http-api.ts';
import { pollForever } from './queue-poller.ts';
import { DEMO, setUpDemo } from './demo.ts';
import { buildBundles, bundledSqsHandler, bundledWebhookHandler, startLocalLambdaService } from './lambda/index.ts';
import { dynamoOrgRegistry } from '../shared/adapters/org-registry.ts';
import { secretsManagerWriter } from '../shared/adapters/secrets.ts';
import { writeRuntime } from './runtime-file.ts';
import { startLocalScheduler } from './scheduler.ts';
import { DEFAULTS, ENV } from '../shared/config.ts';
import { nextScheduledSync } from '../shared/schedule.ts';
import { startGlanceSim } from './glance-sim/index.ts';

const port = (name: string) => Number(process.env[name] ?? 0);

async function main(): Promise<void> {
  const moto = await startMoto();
  useLocalAws(moto.endpoint);
  const resources = await createLocalResources({ visibilityTimeoutSeconds: 5 });
  exportResourceEnv(resources);

  const sim = await startSalesforceSim({ port: port('SALESFORCE_SIM_PORT') });
  const glance = await startGlanceSim({ port: port('GLANCE_SIM_PORT') });
  process.env[ENV.glanceApiUrl] = glance.url;
  const admin = {
    registry: dynamoOrgRegistry(resources.orgsTable),
    secrets: secretsManagerWriter(),
    secretPrefix: DEFAULTS.secretPrefix,
    schedules: localSchedules(resources),
    now: () => new Date(),
  };
  const demo = await setUpDemo(admin, sim, glance);
  console.log('bundling the handlers with the stack\'s esbuild options (cached after the first run)…');
  // After the environment is complete: each function's workers take it when they start.
  const functions = await startLocalLambdaService({ bundles: await buildBundles(), port: port('LAMBDA_PORT') });
  const api = await startLocalHttpApi(bundledWebhookHandler(functions.lambda), port('WEBHOOK_PORT'));
  const webhookUrl = `${api.url}/webhooks/glance/${DEMO.groupId}`;

  const stop = new AbortController();
  const onError = (error: unknown) => console.error('local run error:', (error as Error).message);
  const pollers = [
    pollForever(resources.eventsQueueUrl, bundledSqsHandler(functions.lambda, 'session-processor'), stop.signal, onError),
    pollForever(resources.syncQueueUrl, bundledSqsHandler(functions.lambda, 'sync-run'), stop.signal, onError),
  ];

  // moto stores the org schedules (EventBridge Scheduler) without firing them; this fires them onto the sync queue.
  const scheduler = startLocalScheduler({
    signal: stop.signal,
    onFire: (fire) => console.log(`schedule ${fire.scheduleName} fired${fire.scheduledFor ? ` for ${fire.scheduledFor}` : ''}: ${fire.body}`),
    onError,
  });

  const production = await admin.registry.getOrg(demo.orgs[0]!.orgId);
  const nextSync = production ? nextScheduledSync(production.settings.syncFrequency, new Date(production.installedAt), new Date())?.toISOString() : null;
  const runtimeFile = writeRuntime({
    awsEndpoint: moto.endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    resources,
    salesforceSimUrl: sim.url,
    glanceSimUrl: glance.url,
    webhookUrl,
    webhookBaseUrl: `${api.url}/webhooks/glance/`,
    demoGroupId: DEMO.groupId,
    startedAt: new Date().toISOString(),
    pid: process.pid,
    lambdaEndpoint: functions.endpoint,
    functionNames: functions.functionNames,
  });

  console.log(`glance-salesforce-sync is running locally (Ctrl-C stops it)

  AWS (moto_server)        ${moto.endpoint}
  Salesforce simulator     ${sim.url}   records: ${sim.url}/__sim/sobjects/Glance_Session__c?orgId=${DEMO.productionOrgId}
  Glance CRR (sim)         ${glance.url}   (${glance.sessions(DEMO.groupId).length} cobrowse sessions from the last day; the scheduled sync pulls the ${glance.sessions(DEMO.groupId).filter((s) => s.endedAt !== null).length} that have ended)
  Webhook endpoint         POST ${webhookUrl}
  Lambda Invoke API        ${functions.endpoint}   (${Object.values(functions.functionNames).join(', ')}: the bundled handlers)
  Demo Glance group        ${DEMO.groupId}
  Its webhook secret       ${demo.webhookSecret}   (local demo only; deployed secrets live in Secrets Manager)
  Orgs paired with it      ${demo.orgs.map((o) => `${o.orgId} (${o.environment}, ${o.salesforce})`).join(', ')}
  Next scheduled sync      ${nextSync ?? 'none'} (${DEMO.productionOrgId}, hourly from its install time)
  Runtime file             ${runtimeFile}   (used by npm run send-sample and npm run glance-sync -- --local)

From another terminal:
  npm run send-sample                                          a signed webhook -> a Glance Session record
  npm run glance-sync -- --local sync-now ${DEMO.productionOrgId} --wait    pull ended sessions from Glance's CRR now
  npm run glance-sync -- --local history ${DEMO.productionOrgId}           Sync History`);

  const shutdown = async () => {
    stop.abort();
    await Promise.allSettled([...pollers, scheduler.stopped]);
    await api.stop();
    await functions.stop();
    await sim.stop();
    await glance.stop();
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
