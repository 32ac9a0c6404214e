import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { useLocalAws } from '../../local/moto.ts';
import { readRuntime, requireRunning, RuntimeFileError, runtimeFilePath, type RuntimeInfo } from '../../local/runtime-file.ts';
import { AdminError, type AdminErrorCode } from '../../shared/admin-error.ts';
import { resetAwsClients } from '../../shared/adapters/aws-clients.ts';
import { DEFAULTS } from '../../shared/config.ts';
import { cachedSecretReader } from '../../shared/adapters/secrets.ts';
import { salesforceClientCache } from '../../shared/adapters/salesforce-orgs.ts';
import { salesforceMappingDescribe } from '../../shared/adapters/salesforce-describe.ts';
import { checkOrgSettings, type OrgCheckAnswer, type OrgCheckRequest } from '../../shared/org-check.ts';
import { UsageError, type ParsedValues } from './spec.ts';

/**
 * Output keys of infra/stack.ts (OUTPUTS) the CLI reads; repeated here so the CLI does not load
 * the CDK, and checked against the synthesized template by test/integration/infra.test.ts.
 */
export const STACK_OUTPUTS = {
  orgsTable: 'OrgsTableName',
  tracesTable: 'DebugTracesTableName',
  eventsQueueUrl: 'EventsQueueUrl',
  eventsDlqUrl: 'EventsDlqUrl',
  syncQueueArn: 'SyncQueueArn',
  syncNowFunction: 'SyncNowFunctionName',
  orgCheckFunction: 'OrgCheckFunctionName',
  webhookBaseUrl: 'WebhookBaseUrl',
  scheduleGroupName: 'ScheduleGroupName',
  schedulerRoleArn: 'SchedulerRoleArn',
  pipelineEventBusName: 'PipelineEventBusName',
} as const;
export const DEFAULT_STACK = 'GlanceSalesforceSyncStack';

export interface SyncNowAnswer {
  runId: string;
  status: 'queued';
  nextScheduledSync: string | null;
}

/** Where the admin's commands go: the local run or a deployed stack, with the same resources. */
export interface Target {
  orgsTable: string;
  tracesTable: string;
  eventsQueueUrl: string;
  eventsDlqUrl: string;
  syncQueueArn: string;
  secretPrefix: string;
  /** Where Glance posts a group's webhooks, without the group id (ends with /); null when unknown. */
  webhookBaseUrl: string | null;
  /** The EventBridge Scheduler group of the org schedules, and the role they send to the sync queue with. */
  scheduleGroupName: string;
  schedulerRoleArn: string;
  /** The EventBridge bus of the pipeline's events (Org Resumed when new credentials end a pause); null for a stack deployed before it had the output. */
  pipelineEventBusName: string | null;
  /** Glance's CRR base URL, which stored credentials are checked against: GLANCE_API_URL, else the local simulator or the stack's GlanceApiUrl parameter. */
  glanceApiUrl: string;
  syncNow(orgId: string, options: { from?: string }): Promise<SyncNowAnswer>;
  /** Checks settings against the org with its own credentials (the OrgCheck function when deployed). */
  checkOrg(request: OrgCheckRequest): Promise<OrgCheckAnswer>;
}

/** A failure of the AWS side the admin cannot fix by changing the command (exit 1). */
export class TargetError extends Error {
  override readonly name = 'TargetError';
}

export async function connect(values: ParsedValues, env: NodeJS.ProcessEnv): Promise<Target> {
  const local = values.local === true || env.GLANCE_SYNC_TARGET === 'local';
  if (local && typeof values.stack === 'string') throw new UsageError('--local (or GLANCE_SYNC_TARGET=local) and --stack exclude each other');
  const target = local ? await connectLocal(env) : await connectStack(String(values.stack ?? env.GLANCE_SYNC_STACK ?? DEFAULT_STACK), values.region as string | undefined);
  return env.GLANCE_API_URL ? { ...target, glanceApiUrl: env.GLANCE_API_URL } : target;
}

async function connectLocal(env: NodeJS.ProcessEnv): Promise<Target> {
  const file = runtimeFilePath(env);
  const runtime = readRuntime(file);
  await requireRunning(runtime, file);
  useLocalAws(runtime.awsEndpoint);
  process.env.AWS_REGION = runtime.region;
  resetAwsClients();
  const { resources } = runtime;
  const functionName = runtime.functionNames?.['sync-now'];
  const endpoint = runtime.lambdaEndpoint;
  // The local run serves the Lambda Invoke API, so Sync Now takes the deployed path: the same
  // LambdaClient Invoke of the same handler, bundled as the stack deploys it.
  const lambda = endpoint ? new LambdaClient({ endpoint, region: runtime.region }) : null;
  return {
    orgsTable: resources.orgsTable,
    tracesTable: resources.tracesTable,
    eventsQueueUrl: resources.eventsQueueUrl,
    eventsDlqUrl: resources.eventsDlqUrl,
    syncQueueArn: resources.syncQueueArn,
    secretPrefix: DEFAULTS.secretPrefix,
    webhookBaseUrl: runtime.webhookBaseUrl ?? runtime.webhookUrl?.replace(/\d+$/, '') ?? null,
    scheduleGroupName: resources.scheduleGroupName,
    schedulerRoleArn: resources.schedulerRoleArn,
    pipelineEventBusName: resources.pipelineEventBusName,
    glanceApiUrl: runtime.glanceSimUrl ?? DEFAULTS.glanceApiUrl,
    syncNow: (orgId, options) => {
      if (!lambda || !functionName) throw new RuntimeFileError(`${file} names no Lambda endpoint: restart the local run (npm start)`);
      return invokeSyncNow(lambda, functionName, syncNowPayload(orgId, options), { where: `the local run (${endpoint})`, fix: 'restart the local run (npm start)' });
    },
    // Locally the CLI may read the local secret store: the check runs here.
    checkOrg: (request) => {
      const connect = salesforceClientCache(cachedSecretReader(0), DEFAULTS.secretPrefix);
      return checkOrgSettings(request, async (orgId) => salesforceMappingDescribe(await connect({ orgId }, () => Date.now() + 30_000)));
    },
  };
}

async function connectStack(stackName: string, region: string | undefined): Promise<Target> {
  if (region) {
    process.env.AWS_REGION = region;
    resetAwsClients();
  }
  const cfn = new CloudFormationClient(region ? { region } : {});
  let outputs: Map<string, string>;
  let glanceApiUrl: string = DEFAULTS.glanceApiUrl;
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = new Map((out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    glanceApiUrl = out.Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === 'GlanceApiUrl')?.ParameterValue || glanceApiUrl;
  } catch (error) {
    const message = (error as Error).message;
    if (/does not exist/i.test(message)) {
      throw new TargetError(`stack ${stackName} not found in ${await cfn.config.region()}: deploy it, pass --stack/--region, or use --local`);
    }
    throw new TargetError(`could not read stack ${stackName}: ${message}`);
  }
  const output = (key: string) => {
    const value = outputs.get(key);
    if (!value) throw new TargetError(`stack ${stackName} has no output ${key}: is it a glance-salesforce-sync stack, fully deployed?`);
    return value;
  };
  const functionName = output(STACK_OUTPUTS.syncNowFunction);
  const lambda = new LambdaClient(region ? { region } : {});
  return {
    orgsTable: output(STACK_OUTPUTS.orgsTable),
    tracesTable: output(STACK_OUTPUTS.tracesTable),
    eventsQueueUrl: output(STACK_OUTPUTS.eventsQueueUrl),
    eventsDlqUrl: output(STACK_OUTPUTS.eventsDlqUrl),
    syncQueueArn: output(STACK_OUTPUTS.syncQueueArn),
    secretPrefix: DEFAULTS.secretPrefix,
    webhookBaseUrl: outputs.get(STACK_OUTPUTS.webhookBaseUrl) || null,
    scheduleGroupName: output(STACK_OUTPUTS.scheduleGroupName),
    schedulerRoleArn: output(STACK_OUTPUTS.schedulerRoleArn),
    pipelineEventBusName: outputs.get(STACK_OUTPUTS.pipelineEventBusName) || null,
    glanceApiUrl,
    syncNow: async (orgId, options) =>
      invokeSyncNow(lambda, functionName, syncNowPayload(orgId, options), {
        where: `stack ${stackName} (${await lambda.config.region()})`,
        fix: 'is the stack fully deployed, and its SyncNowFunctionName output current?',
      }),
    async checkOrg(request) {
      const name = outputs.get(STACK_OUTPUTS.orgCheckFunction);
      if (!name) throw new TargetError(`stack ${stackName} has no OrgCheck function (deployed before it existed): redeploy it, or pass --unchecked`);
      const body = await invokeJson(lambda, name, request);
      if (typeof body.error === 'string') throw new AdminError(body.error, 'invalid');
      if (!Array.isArray(body.problems)) throw new TargetError(`OrgCheck function ${name} answered something unexpected`);
      return { problems: body.problems.map(String) };
    },
  };
}

/** Invokes a function with a JSON payload; a function error becomes a TargetError with its message. */
async function invokeJson(lambda: LambdaClient, functionName: string, payload: unknown): Promise<Record<string, unknown>> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text || '{}') as Record<string, unknown>;
  } catch {
    // Reported below with the raw text.
  }
  if (out.FunctionError) throw new TargetError(`function ${functionName} failed: ${String(body.errorMessage ?? text)}`);
  return body;
}

const syncNowPayload = (orgId: string, options: { from?: string }) => ({ orgId, ...(options.from ? { from: options.from } : {}) });

/**
 * Invokes the SyncNow function (Lambda Invoke, RequestResponse) and maps its answer: a run id, or
 * a refusal it answers as data (`{error, code}`: AdminError, exit 3). What stops it from
 * answering is a TargetError (exit 1) saying which: the function is not there (Lambda's 404
 * ResourceNotFoundException), the caller may not invoke it, it timed out (Lambda's
 * Sandbox.Timedout: the run may have been queued all the same), or it failed (X-Amz-Function-Error).
 */
export async function invokeSyncNow(
  lambda: LambdaClient,
  functionName: string,
  payload: { orgId: string; from?: string },
  about: { where: string; fix: string },
): Promise<SyncNowAnswer> {
  let out: InvokeCommandOutput;
  try {
    out = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }));
  } catch (error) {
    const { name, code, message } = error as { name?: string; code?: string; message?: string };
    if (name === 'ResourceNotFoundException') throw new TargetError(`SyncNow function ${functionName} not found in ${about.where}: ${about.fix}`);
    if (name === 'AccessDeniedException') {
      throw new TargetError(`not allowed to invoke SyncNow function ${functionName}: attach the stack's OrgAdminPolicyArn policy to your user or role`);
    }
    if (code === 'ECONNREFUSED') throw new TargetError(`${about.where} is not answering: ${about.fix}`);
    throw new TargetError(`could not invoke SyncNow function ${functionName} in ${about.where}: ${message ?? String(error)}`);
  }
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text || '{}') as Record<string, unknown>;
  } catch {
    // Reported below with the raw text.
  }
  if (out.FunctionError) {
    const detail = String(body.errorMessage ?? text);
    if (body.errorType === 'Sandbox.Timedout' || /Task timed out/.test(detail)) {
      throw new TargetError(`SyncNow function ${functionName} timed out (${detail}); the run may have been queued all the same: glance-sync history ${payload.orgId}`);
    }
    throw new TargetError(`SyncNow function ${functionName} failed: ${body.errorType ? `${String(body.errorType)}: ` : ''}${detail}`);
  }
  // The function answers refusals (unknown org, bad input) as data, not as a failure.
  if (typeof body.error === 'string') throw new AdminError(body.error, (body.code as AdminErrorCode | undefined) ?? 'invalid');
  if (typeof body.runId !== 'string') throw new TargetError(`SyncNow function ${functionName} answered something unexpected: ${JSON.stringify(body).slice(0, 200)}`);
  return body as unknown as SyncNowAnswer;
}
