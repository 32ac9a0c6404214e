import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createLocalResources, exportResourceEnv, localSchedules, type LocalResources } from '../../local/aws-resources.ts';
import { DEMO, setUpDemo } from '../../local/demo.ts';
import { startGlanceSim, type GlanceSim } from '../../local/glance-sim/index.ts';
import { makeSession } from '../../local/glance-sim/sample-sessions.ts';
import { sendWebhook } from '../../local/glance-sim/webhook-sender.ts';
import { startLocalHttpApi } from '../../local/http-api.ts';
import { bundledSqsHandler, bundledWebhookHandler, startLocalLambdaService, type LocalLambdaService } from '../../local/lambda/index.ts';
import type { FunctionOverrides } from '../../local/lambda/runtime.ts';
import { freePort, startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { drainQueue } from '../../local/queue-poller.ts';
import { writeRuntime } from '../../local/runtime-file.ts';
import { startSalesforceSim, type SalesforceSim } from '../../local/salesforce-sim/index.ts';
import { resetAwsClients } from '../../shared/adapters/aws-clients.ts';
import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { DEFAULTS, ENV } from '../../shared/config.ts';
import type { OrgAdminDeps } from '../../shared/org-admin.ts';
import { runCli } from '../support/cli.ts';

// The whole pipeline as `npm start` runs it, every handler from its esbuild bundle: API Gateway's
// stand-in invokes webhook-ingest, the pollers (event source mappings) session-processor and
// sync-run, and the admin CLI SyncNow through the Lambda Invoke API.

const PROD = DEMO.productionOrgId;
let moto: MotoServer;
let sim: SalesforceSim;
let glance: GlanceSim;
let resources: LocalResources;
let functions: LocalLambdaService;
let api: Awaited<ReturnType<typeof startLocalHttpApi>>;
let webhookSecret: string;
let dir: string;
const logs: Array<{ fn: string; text: string }> = [];
const started: LocalLambdaService[] = [];

const admin = (): OrgAdminDeps => ({
  registry: dynamoOrgRegistry(resources.orgsTable),
  secrets: secretsManagerWriter(),
  secretPrefix: DEFAULTS.secretPrefix,
  schedules: localSchedules(resources),
  now: () => new Date(),
});

async function service(overrides: Partial<Record<'sync-now', FunctionOverrides>> = {}): Promise<LocalLambdaService> {
  const s = await startLocalLambdaService({ bundles: inject('bundles'), overrides, onLog: (fn, text) => logs.push({ fn, text }) });
  started.push(s);
  return s;
}

function runtimeFile(lambda: Pick<LocalLambdaService, 'endpoint' | 'functionNames'>, name = 'runtime.json'): string {
  return writeRuntime(
    { awsEndpoint: moto.endpoint, region: 'us-east-1', resources, lambdaEndpoint: lambda.endpoint, functionNames: lambda.functionNames },
    join(dir, name),
  );
}

/** What the local run's pollers do between two looks of `--wait`: run whatever is queued, through the bundles. */
async function runQueued(): Promise<void> {
  await drainQueue(resources.syncQueueUrl, bundledSqsHandler(functions.lambda, 'sync-run'), { retryImmediately: true });
  await drainQueue(resources.eventsQueueUrl, bundledSqsHandler(functions.lambda, 'session-processor'), { retryImmediately: true });
}

const sessionRecords = async (orgId: string) =>
  (await (await fetch(`${sim.url}/__sim/sobjects/Glance_Session__c?orgId=${orgId}`)).json()) as Array<Record<string, unknown>>;
const logOf = (fn: string) => logs.filter((l) => l.fn === fn).map((l) => l.text).join('');

// One pipeline for the file, set up as `npm start` does; each test leaves it usable for the next.
beforeAll(async () => {
  [moto, sim, glance] = await Promise.all([startMoto(), startSalesforceSim(), startGlanceSim()]);
  useLocalAws(moto.endpoint);
  resetAwsClients();
  dir = mkdtempSync(join(tmpdir(), 'glance-sync-local-lambda-'));
  resources = await createLocalResources({ visibilityTimeoutSeconds: 30 });
  // The environment first, then the functions, whose workers take it when they start.
  exportResourceEnv(resources, { glanceApiUrl: glance.url });
  ({ webhookSecret } = await setUpDemo(admin(), sim, glance));
  functions = await service();
  api = await startLocalHttpApi(bundledWebhookHandler(functions.lambda));
});
afterAll(async () => {
  for (const s of started) await s.stop();
  await api?.stop();
  await Promise.all([sim?.stop(), glance?.stop(), moto?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  logs.length = 0;
});

describe('every entry point runs from its bundle', () => {
  it('a signed webhook: bundled webhook-ingest queues it, bundled session-processor records it', async () => {
    const session = makeSession({ id: `${DEMO.groupId}.777.1`, sessionKey: '777', groupId: DEMO.groupId, startedAt: new Date().toISOString(), origin: { salesforceOrgId: PROD, recordId: null } });
    const answer = await sendWebhook(`${api.url}/webhooks/glance/${DEMO.groupId}`, { type: 'session.started', occurredAt: new Date().toISOString(), session }, { secret: webhookSecret });
    expect(answer.status).toBe(202);
    await drainQueue(resources.eventsQueueUrl, bundledSqsHandler(functions.lambda, 'session-processor'), { retryImmediately: true });
    expect((await sessionRecords(PROD)).filter((r) => r.Glance_Session_Id__c === session.id)).toHaveLength(1);
    expect(logOf('glance-sync-webhook-ingest')).toContain('webhook accepted');
    expect(logOf('glance-sync-session-processor')).toContain('batch processed');
  });

  it('glance-sync --local sync-now ORG --wait: CLI, Invoke API, bundled SyncNow, sync queue, bundled sync-run and processor', async () => {
    const result = await runCli(['--local', 'sync-now', PROD, '--wait'], { runtimeFile: runtimeFile(functions), env: {}, sleep: runQueued });
    expect(result.stderr).toMatch(/^queued sync run \S+ for org 00D5g000000AbCdEAK\n/);
    // --wait follows the run until its sessions reached the org (issue 12), so they are written when it returns.
    expect(result).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(
        /^sync run \S+ complete: fetched [1-9]\d*, queued ([1-9]\d*), already known 0, failed 0\nin the org: (\d+)\/\1 processed, \2 session records created, 0 updated, 0 Leads created, 0 Chatter posts, 0 sessions failed\nnext scheduled sync: \S+\n$/,
      ),
    });
    const queued = Number(/queued (\d+)/.exec(result.stdout)![1]);
    expect(logOf('glance-sync-sync-now')).toContain('sync run queued');
    expect(logOf('glance-sync-sync-run')).toContain('sync run recorded');
    await runQueued();
    const pulled = new Set(glance.sessions(DEMO.groupId).map((session) => session.id));
    expect((await sessionRecords(PROD)).filter((r) => pulled.has(String(r.Glance_Session_Id__c)))).toHaveLength(queued);
  });

  it('the deployed target takes the same path: DescribeStacks for the function name, then Invoke', async () => {
    const outputs = {
      OrgsTableName: resources.orgsTable,
      DebugTracesTableName: resources.tracesTable,
      EventsQueueUrl: resources.eventsQueueUrl,
      EventsDlqUrl: resources.eventsDlqUrl,
      SyncQueueArn: resources.syncQueueArn,
      SyncNowFunctionName: functions.functionNames['sync-now'],
      ScheduleGroupName: resources.scheduleGroupName,
      SchedulerRoleArn: resources.schedulerRoleArn,
    };
    await new CloudFormationClient({}).send(
      new CreateStackCommand({
        StackName: 'GlanceSalesforceSyncStack',
        TemplateBody: JSON.stringify({
          Resources: { Marker: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'local-lambda-test-marker' } } },
          Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
        }),
      }),
    );
    // Lambda is the one service moto cannot run our code for: its calls go to the local Invoke API.
    process.env.AWS_ENDPOINT_URL_LAMBDA = functions.endpoint;
    try {
      const result = await runCli(['sync-now', PROD, '--json'], { runtimeFile: join(dir, 'none.json'), env: {} });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toMatchObject({ runId: expect.any(String), status: 'queued' });
      expect(logOf('glance-sync-sync-now')).toContain('sync run queued');
    } finally {
      delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    }
  });
});

describe('what stops Sync Now reaches the admin as a message and exit 1', () => {
  it('an unknown function', async () => {
    const file = runtimeFile({ endpoint: functions.endpoint, functionNames: { ...functions.functionNames, 'sync-now': 'glance-sync-no-such-function' } });
    expect(await runCli(['--local', 'sync-now', PROD], { runtimeFile: file, env: {} })).toEqual({
      code: 1,
      stdout: '',
      stderr: `glance-sync: SyncNow function glance-sync-no-such-function not found in the local run (${functions.endpoint}): restart the local run (npm start)\n`,
    });
  });

  it('a function error (the handler threw)', async () => {
    const broken = await service({ 'sync-now': { environment: { [ENV.orgsTable]: undefined } } });
    const result = await runCli(['--local', 'sync-now', PROD], { runtimeFile: runtimeFile(broken), env: {} });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'glance-sync: SyncNow function glance-sync-sync-now failed: Error: environment variable ORGS_TABLE is not set\n',
    });
  });

  it('a timeout (the handler waits on an AWS endpoint that never answers)', async () => {
    const silent: Server = createServer(() => undefined);
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const stuck = await service({ 'sync-now': { timeoutSeconds: 1, environment: { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` } } });
      const result = await runCli(['--local', 'sync-now', PROD], { runtimeFile: runtimeFile(stuck), env: {} });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^glance-sync: SyncNow function glance-sync-sync-now timed out \(RequestId: \S+ Error: Task timed out after 1\.00 seconds\); the run may have been queued all the same: glance-sync history 00D5g000000AbCdEAK\n$/,
      );
    } finally {
      silent.close();
    }
  });

  it('a local run that is not answering', async () => {
    const file = runtimeFile({ endpoint: `http://127.0.0.1:${await freePort()}`, functionNames: functions.functionNames });
    const result = await runCli(['--local', 'sync-now', PROD], { runtimeFile: file, env: {} });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^glance-sync: the local run \(http:\/\/127\.0\.0\.1:\d+\) is not answering: restart the local run \(npm start\)\n$/);
  });
});

describe('the Invoke API, as the AWS SDK sees it', () => {
  const client = () => new LambdaClient({ endpoint: functions.endpoint, region: 'us-east-1' });
  const payload = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('answers 200 with the result, the executed version and, asked for, the log tail', async () => {
    const out = await client().send(new InvokeCommand({ FunctionName: 'glance-sync-sync-now', Payload: payload({ orgId: PROD }), LogType: 'Tail' }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({ runId: expect.any(String), status: 'queued' });
    expect(Buffer.from(out.LogResult!, 'base64').toString()).toContain('sync run queued');
  });

  it('takes a function ARN as the name, and answers DryRun with 204 and Event with 202', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:glance-sync-sync-now';
    const refused = await client().send(new InvokeCommand({ FunctionName: arn, Payload: payload({}) }));
    expect(JSON.parse(Buffer.from(refused.Payload!).toString())).toMatchObject({ code: 'invalid' });
    expect((await client().send(new InvokeCommand({ FunctionName: arn, InvocationType: 'DryRun' }))).StatusCode).toBe(204);
    expect((await client().send(new InvokeCommand({ FunctionName: arn, InvocationType: 'Event', Payload: payload({}) }))).StatusCode).toBe(202);
  });

  it('an unknown function is 404 ResourceNotFoundException; a body that is not JSON is 400', async () => {
    await expect(client().send(new InvokeCommand({ FunctionName: 'nope', Payload: payload({}) }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(client().send(new InvokeCommand({ FunctionName: 'glance-sync-sync-now', Qualifier: '3' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client().send(new InvokeCommand({ FunctionName: 'glance-sync-sync-now', Payload: Buffer.from('{not json') }))).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('a function error is 200 with X-Amz-Function-Error Unhandled and Lambda\'s error object', async () => {
    const broken = await service({ 'sync-now': { environment: { [ENV.syncQueueUrl]: undefined } } });
    const out = await new LambdaClient({ endpoint: broken.endpoint, region: 'us-east-1' }).send(
      new InvokeCommand({ FunctionName: 'glance-sync-sync-now', Payload: payload({ orgId: PROD }) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(out.Payload!).toString())).toMatchObject({
      errorType: 'Error',
      errorMessage: 'environment variable SYNC_QUEUE_URL is not set',
      trace: expect.arrayContaining([expect.stringContaining('Error: environment variable SYNC_QUEUE_URL is not set')]),
    });
  });
});
