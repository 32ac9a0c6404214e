import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { FunctionName } from '../infra/paths.ts';
import type { LocalResources } from './aws-resources.ts';

/**
 * Where a running `npm start` tells other processes (the admin CLI, send-sample) how to reach
 * it. Endpoints and resource names only: the secrets stay in the local secret store.
 */
export interface RuntimeInfo {
  awsEndpoint: string;
  region: string;
  resources: LocalResources;
  salesforceSimUrl?: string;
  glanceSimUrl?: string;
  webhookUrl?: string;
  /** Where Glance posts webhooks, without the group id. */
  webhookBaseUrl?: string;
  demoGroupId?: number;
  /** When `npm start` wrote the file, and its process id: for a clear message once it is gone. */
  startedAt?: string;
  pid?: number;
  /** The local Lambda Invoke API (local/lambda/invoke-server.ts) and the function names it serves. */
  lambdaEndpoint?: string;
  functionNames?: Partial<Record<FunctionName, string>>;
}

const runtimeSchema = z.looseObject({
  awsEndpoint: z.url(),
  region: z.string().min(1),
  resources: z.looseObject({
    orgsTable: z.string().min(1),
    dedupeTable: z.string().min(1),
    tracesTable: z.string().min(1),
    eventsQueueUrl: z.string().min(1),
    eventsDlqUrl: z.string().min(1),
    syncQueueUrl: z.string().min(1),
    syncQueueArn: z.string().min(1),
    syncDlqUrl: z.string().min(1),
    scheduleGroupName: z.string().min(1),
    schedulerRoleArn: z.string().min(1),
    pipelineEventBusName: z.string().min(1),
  }),
  salesforceSimUrl: z.string().optional(),
  glanceSimUrl: z.string().optional(),
  webhookUrl: z.string().optional(),
  webhookBaseUrl: z.string().optional(),
  demoGroupId: z.number().optional(),
  startedAt: z.string().optional(),
  pid: z.number().optional(),
  lambdaEndpoint: z.url().optional(),
  functionNames: z.record(z.string(), z.string()).optional(),
});

// Beside the project, not the working directory, so the CLI finds it from anywhere.
const DEFAULT_FILE = fileURLToPath(new URL('../.local/runtime.json', import.meta.url));

export function runtimeFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.GLANCE_SYNC_RUNTIME_FILE || DEFAULT_FILE;
}

export function writeRuntime(info: RuntimeInfo, file = runtimeFilePath()): string {
  mkdirSync(dirname(file), { recursive: true });
  // Written whole then renamed, so a reader never sees half a file.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, file);
  return file;
}

export class RuntimeFileError extends Error {
  override readonly name = 'RuntimeFileError';
}

/** The running local run's wiring; throws RuntimeFileError saying how to start one. */
export function readRuntime(file = runtimeFilePath()): RuntimeInfo {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new RuntimeFileError(`no local run found (${file} does not exist): start one with npm start in another terminal`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RuntimeFileError(`${file} is not JSON: restart the local run (npm start)`);
  }
  const parsed = runtimeSchema.safeParse(json);
  if (!parsed.success) {
    throw new RuntimeFileError(`${file} is missing ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}: restart the local run (npm start)`);
  }
  // Checked above for what the CLI uses; other resources a newer local run adds pass through.
  return parsed.data as unknown as RuntimeInfo;
}

/**
 * The runtime file outlives a local run that was killed (Ctrl-C twice, a reboot): its moto_server
 * is then gone and every AWS call would fail with a bare ECONNREFUSED. Ask it first; throws
 * RuntimeFileError saying how to start it again.
 */
export async function requireRunning(runtime: RuntimeInfo, file: string): Promise<void> {
  try {
    await fetch(runtime.awsEndpoint, { signal: AbortSignal.timeout(5_000) });
  } catch {
    const since = runtime.startedAt ? ` started ${runtime.startedAt}` : '';
    throw new RuntimeFileError(
      `the local run recorded in ${file}${since} is not running any more (nothing answers at ${runtime.awsEndpoint}): start it again with npm start`,
    );
  }
}
