import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { commonEnvironment, FUNCTION_SETTINGS } from '../infra/function-settings.ts';
import { assertSelfContained, bundleFunction } from '../local/lambda/bundles.ts';
import { toRecord } from '../local/queue-poller.ts';
import { PIPELINE_DETAIL_TYPES } from '../shared/pipeline-events.ts';
import type { CrashPlan } from './crash.ts';
import type { FaultEnv } from './env.ts';
import { startKillProxy, type Exchange, type KillProxy, type KillWhen } from './kill-proxy.ts';

/**
 * A processor running as its own OS process: the real session-processor bundle (built with the
 * stack's esbuild options), its AWS calls going to moto_server and its Salesforce calls to the
 * simulator, each through a kill proxy. A kill plan SIGKILLs the process at a seeded write, before
 * it goes out or just after it landed; the next invocation starts a cold process. Nothing of the
 * processor is wrapped or stubbed: what survives a kill is what moto and the simulator hold.
 */

export type ProcessResult =
  | { killed: false; retry: Set<string>; counts: Record<string, number>; handlerError?: string }
  | { killed: true; point: string; writes: number };

/** One invocation's answer: the handler's result (JSON text) or its error, or the kill that ended it. */
type RawResult = { killed: false; payload?: string; error?: string } | { killed: true; point: string; writes: number };

/** The handlers the campaign runs as processes: the queue's processor and the outbox flusher's sweep. */
export type ProcessFunction = 'session-processor' | 'outbox-flusher';

export interface ProcessHooks {
  /** An Org Paused event the process published (its breaker opened). */
  paused?(orgId: string): void;
  /** Log lines of the process (Powertools JSON), for tracing. */
  log?(line: string): void;
  /** Added to the process's environment (e.g. the outbox policy, as the stack sets it). */
  environment?: Record<string, string>;
}

const DDB_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
const SF_WRITE = /\/composite\/sobjects\/([A-Za-z0-9_]+)/;

/** Names the write an exchange is, as the campaign's crash points do ('sf upsert Lead', 'ddb ledger write', …). */
export function classifyWrite(env: FaultEnv, exchange: Exchange): string | null {
  const target = String(exchange.headers['x-amz-target'] ?? '');
  if (target) {
    const [service, action = ''] = target.split('.');
    let body: { TableName?: string; QueueUrl?: string } = {};
    try {
      body = JSON.parse(exchange.body) as typeof body;
    } catch {
      /* not JSON: not one of ours */
    }
    if (service?.startsWith('DynamoDB') && DDB_WRITES.has(action)) {
      if (body.TableName === env.resources.dedupeTable) return 'ddb ledger write';
      return body.TableName === env.resources.outboxTable ? 'ddb outbox write' : 'ddb health write';
    }
    const queueName = (url: string | undefined) => url?.split('/').pop();
    if (service === 'AmazonSQS' && action.startsWith('SendMessage')) return queueName(body.QueueUrl) === queueName(env.resources.eventsDlqUrl) ? 'sqs deadLetter' : 'sqs requeue';
    if (service === 'AWSEvents' && action === 'PutEvents') return 'events put';
    return null;
  }
  if (exchange.method === 'PATCH' || exchange.method === 'POST') {
    const sobject = SF_WRITE.exec(exchange.path)?.[1];
    if (sobject && exchange.method === 'PATCH') return `sf upsert ${sobject}`;
    if (exchange.path.includes('/chatter/')) return 'sf postChatter';
    if (/\/composite\/?(\?|$)/.test(exchange.path.replace(/^\/services\/data\/v[\d.]+/, ''))) return 'sf composite';
  }
  return null;
}

/**
 * Strips DelaySeconds from an SQS send and remembers the due time in virtual time instead, as the
 * in-process containers' requeue does: moto would otherwise hold a paused org's share for real minutes.
 */
function delayInVirtualTime(env: FaultEnv, exchange: Exchange, op: string | null): string {
  if (op !== 'sqs requeue') return exchange.body;
  const body = JSON.parse(exchange.body) as { DelaySeconds?: number; MessageBody?: string; Entries?: Array<{ DelaySeconds?: number; MessageBody?: string }> };
  const entries = body.Entries ?? [body];
  for (const entry of entries) {
    if (!entry.DelaySeconds) continue;
    try {
      const eventId = (JSON.parse(entry.MessageBody ?? '') as { eventId?: string }).eventId;
      if (eventId) env.dueAt.set(eventId, env.clock.now() + entry.DelaySeconds * 1000);
    } catch {
      /* a body that is not an event: send it undelayed */
    }
    delete entry.DelaySeconds;
  }
  return JSON.stringify(body);
}

interface Pending {
  resolve(result: RawResult): void;
}

export class ProcessContainer {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private plan: CrashPlan | null = null;
  private writes = 0;
  private killedAt: string | null = null;
  private pending: Pending | null = null;
  private counts: Record<string, number> = {};
  private stopped = false;
  /** Cold starts (processes spawned), kills made. */
  started = 0;
  kills = 0;

  private constructor(
    private readonly env: FaultEnv,
    private readonly bundleFile: string,
    private readonly aws: KillProxy,
    private readonly salesforce: KillProxy,
    private readonly hooks: ProcessHooks,
    readonly fn: ProcessFunction,
  ) {}

  static async start(env: FaultEnv, hooks: ProcessHooks = {}, fn: ProcessFunction = 'session-processor'): Promise<ProcessContainer> {
    const bundle = await bundleFunction(fn);
    assertSelfContained(bundle);
    let self: ProcessContainer | null = null;
    const common = {
      classify: (exchange: Exchange) => classifyWrite(env, exchange),
      decide: (op: string): KillWhen | null => self!.decide(op),
      kill: (point: string) => self!.kill(point),
    };
    const salesforce = await startKillProxy(env.sim.url, { ...common, rewrites: () => [[env.sim.url, salesforce.url]] });
    const aws = await startKillProxy(env.moto.endpoint, {
      ...common,
      rewriteRequest: (exchange, op) => delayInVirtualTime(env, exchange, op),
      // The org's login URL lives in its secret: pointed at the proxy, so the process's Salesforce calls pass through it too.
      rewrites: () => [[env.sim.url, salesforce.url]],
      landed: (op, exchange) => {
        if (op !== 'events put' || !exchange.body.includes(PIPELINE_DETAIL_TYPES.orgPaused)) return;
        const body = JSON.parse(exchange.body) as { Entries?: Array<{ DetailType?: string; Detail?: string }> };
        for (const e of body.Entries ?? []) {
          if (e.DetailType === PIPELINE_DETAIL_TYPES.orgPaused) hooks.paused?.(String((JSON.parse(e.Detail ?? '{}') as { orgId?: string }).orgId));
        }
      },
    });
    self = new ProcessContainer(env, bundle.file, aws, salesforce, hooks, fn);
    return self;
  }

  private decide(op: string): KillWhen | null {
    if (this.killedAt || !this.pending) return null;
    return this.plan?.(++this.writes, op) ?? null;
  }

  private kill(point: string): void {
    if (this.killedAt) return;
    this.killedAt = point;
    this.aws.severed = true;
    this.salesforce.severed = true;
    this.child?.kill('SIGKILL');
  }

  private spawn(): Promise<void> {
    this.started++;
    const timeout = FUNCTION_SETTINGS[this.fn].timeoutSeconds;
    // The SQS client sends to the host of the QueueUrl it is given (useQueueUrlAsEndpoint), not
    // AWS_ENDPOINT_URL: queue URLs name the proxy too, so requeues and dead letters pass through it.
    const viaProxy = Object.fromEntries(Object.entries(process.env).map(([k, v]) => [k, v?.split(this.env.moto.endpoint).join(this.aws.url)]));
    const env: Record<string, string | undefined> = {
      ...viaProxy,
      ...commonEnvironment(this.fn),
      AWS_ENDPOINT_URL: this.aws.url,
      AWS_LAMBDA_FUNCTION_NAME: `glance-sync-${this.fn}`,
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(timeout),
      FAULTS_BUNDLE_FILE: this.bundleFile,
      ...this.hooks.environment,
      NODE_OPTIONS: undefined,
    };
    const child = fork(new URL('./process-child.ts', import.meta.url), [], {
      execPath: process.execPath,
      // Plain node, as Lambda's runtime: not the parent's tsx loader.
      execArgv: ['--enable-source-maps'],
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.onLog(line);
    });
    child.stderr?.on('data', (chunk: Buffer) => this.hooks.log?.(chunk.toString('utf8')));
    const ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new Error(`processor process exited during init (${signal ?? code})`)));
      child.on('message', (m: { type: string; error?: string }) => {
        if (m.type === 'ready') (m.error ? reject(new Error(`processor bundle did not load: ${m.error}`)) : resolve());
      });
    });
    child.on('message', (m: { type: string; payload?: string; error?: string }) => {
      if (m.type !== 'result' || !this.pending) return;
      const pending = this.pending;
      this.pending = null;
      pending.resolve(m.error !== undefined ? { killed: false, error: m.error } : { killed: false, payload: m.payload });
    });
    child.once('exit', () => {
      if (this.child !== child) return;
      this.child = null;
      const pending = this.pending;
      this.pending = null;
      pending?.resolve({ killed: true, point: this.killedAt ?? 'exited on its own', writes: this.writes });
      // The next execution environment starts cold at once, as Lambda would start one for the
      // redelivery; its init overlaps the other container's work instead of the next invocation.
      if (!this.stopped) this.startCold();
    });
    return ready;
  }

  private onLog(line: string): void {
    this.hooks.log?.(line);
    if (!line.includes('batch processed')) return;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.message === 'batch processed') for (const [k, v] of Object.entries(entry)) if (typeof v === 'number') this.counts[k] = v;
    } catch {
      /* not a JSON log line */
    }
  }

  /**
   * Runs one batch in the process (starting a cold one when the last was killed), as an event
   * source mapping invokes the function. `plan` names the write at which the process is killed.
   */
  private startCold(): void {
    this.aws.revive();
    this.salesforce.revive();
    this.ready = this.spawn();
    // Awaited by the next invocation; a failed init is reported there.
    this.ready.catch(() => undefined);
  }

  async invoke(messages: Message[], plan: CrashPlan | null): Promise<ProcessResult> {
    const queueArn = `arn:aws:sqs:local:000000000000:${this.env.resources.eventsQueueUrl.split('/').pop()}`;
    const raw = await this.run(JSON.stringify({ Records: messages.map((m) => toRecord(m, queueArn)) }), plan);
    if (raw.killed) return raw;
    // A thrown handler fails the whole batch, as in Lambda.
    if (raw.error !== undefined) return { killed: false, retry: new Set(messages.map((m) => m.MessageId!)), counts: {}, handlerError: raw.error };
    const out = JSON.parse(raw.payload ?? 'null') as SQSBatchResponse | null;
    return { killed: false, retry: new Set((out?.batchItemFailures ?? []).map((f) => f.itemIdentifier)), counts: { ...this.counts } };
  }

  /** Runs the handler once on `event` (the flusher's schedule sends `{}`); its answer as JSON, or the kill. */
  async invokeEvent(event: unknown, plan: CrashPlan | null): Promise<RawResult> {
    return this.run(JSON.stringify(event), plan);
  }

  private async run(payload: string, plan: CrashPlan | null): Promise<RawResult> {
    if (!this.child) this.startCold();
    await this.ready;
    this.plan = plan;
    this.writes = 0;
    this.killedAt = null;
    this.counts = {};
    const result = await new Promise<RawResult>((resolve) => {
      this.pending = { resolve };
      this.child!.send({ type: 'invoke', requestId: randomUUID(), payload, virtualNow: this.env.clock.now(), timeoutMs: FUNCTION_SETTINGS[this.fn].timeoutSeconds * 1000 });
    });
    if (result.killed) this.kills++;
    return result;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.child?.kill('SIGKILL');
    this.child = null;
    await Promise.all([this.aws.stop(), this.salesforce.stop()]);
  }
}
