import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMoto, useLocalAws } from '../local/moto.ts';
import { createLocalResources, exportResourceEnv } from '../local/aws-resources.ts';
import { startSalesforceSim } from '../local/salesforce-sim/index.ts';
import { resetAwsClients } from '../shared/adapters/aws-clients.ts';
import { countCalls, type CallCounts } from './api-calls.ts';
import { startLatencyProxy } from './latency-proxy.ts';
import { BENCH_ORGS } from './orgs.ts';
import { queueDepth, waitForEmpty } from './queue-depth.ts';
import { startSerialProxy } from './serial-proxy.ts';
import { registerBenchOrgs } from './setup.ts';
import { checkOrg, type OrgCheck } from './verify.ts';
import type { Workload } from './workload.ts';
import type { WorkerReport } from './worker-protocol.ts';
import { SESSION_PROCESSOR_TIMEOUT_SECONDS } from '../shared/config.ts';

export interface PipelineOptions {
  batchSize: number;
  windowMs: number;
  concurrency: number;
  ingestConcurrency: number;
  /** The webhook sender waits while the events queue holds more than this. */
  maxBacklog: number;
  /** Added to every Salesforce call (a proxy in front of the simulator); 0 for none. */
  salesforceLatencyMs: number;
}

export interface PipelineResult {
  wallMs: number;
  /** When the last webhook and sync page were on the queue, from the same start. */
  allQueuedMs: number;
  calls: Map<string, CallCounts>;
  checks: OrgCheck[];
  processors: WorkerReport[];
  ingest: WorkerReport;
  deadLettered: number;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
// 120 s timeout × 6, as the stack sets the events queue.
const VISIBILITY_TIMEOUT_S = 720;
const PROCESSOR_TIMEOUT_MS = SESSION_PROCESSOR_TIMEOUT_SECONDS * 1000;

/** A worker process that answers `ready` once its handler is loaded, and a report when done. */
function startWorker(file: string, config: unknown): { child: ChildProcess; ready: Promise<void>; report: Promise<WorkerReport> } {
  const child = fork(here(file), [JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'],
    // The handlers log a JSON line per batch or webhook, as in Lambda; only failures matter here.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string }) => m.type === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before it was ready: ${stderr}`)));
  });
  const report = new Promise<WorkerReport>((resolve, reject) => {
    child.on('message', (m: WorkerReport) => m.type === 'report' && resolve(m));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} without a report: ${stderr}`)));
  });
  report.catch(() => undefined);
  return { child, ready, report };
}

/**
 * Our pipeline on the workload: signed webhooks through the ingest handler, the sync's pages and
 * the webhooks onto the moto events queue, session-processor instances pulling batches like the
 * event source mapping, writing into the Salesforce simulator. Timed from the first enqueue to an
 * empty queue.
 */
export async function runPipeline(workload: Workload, options: PipelineOptions): Promise<PipelineResult> {
  // Two moto_servers, SQS on its own: one Python process is single-threaded, and the queue and the
  // tables are busy at once. The SDK reads AWS_ENDPOINT_URL_SQS before AWS_ENDPOINT_URL.
  const [moto, motoSqs] = await Promise.all([startMoto(), startMoto()]);
  const sim = await startSalesforceSim();
  const proxy = options.salesforceLatencyMs > 0 ? await startLatencyProxy(sim.url, options.salesforceLatencyMs) : null;
  const dir = mkdtempSync(join(tmpdir(), 'glance-bench-'));
  const children: ChildProcess[] = [];
  let sqsProxy: { url: string; stop(): Promise<void> } | undefined;
  try {
    useLocalAws(moto.endpoint);
    sqsProxy = await startSerialProxy(motoSqs.endpoint);
    process.env.AWS_ENDPOINT_URL_SQS = sqsProxy.url;
    resetAwsClients();
    const resources = await createLocalResources({ visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_S });
    if (!resources.eventsQueueUrl.startsWith(sqsProxy.url)) throw new Error(`queue URL ${resources.eventsQueueUrl} bypasses the SQS proxy`);
    exportResourceEnv(resources);
    // The handlers' Powertools loggers and metrics, as configured in the stack.
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'GlanceSalesforceSync';
    await registerBenchOrgs(resources, sim, proxy?.url ?? sim.url, workload);

    const feedPath = join(dir, 'feed.json');
    writeFileSync(feedPath, JSON.stringify(workload.feed));
    const processorConfig = { queueUrl: resources.eventsQueueUrl, batchSize: options.batchSize, windowMs: options.windowMs, timeoutMs: PROCESSOR_TIMEOUT_MS, memoryMb: 512 };
    const processors = Array.from({ length: options.concurrency }, () => startWorker('./processor-worker.ts', processorConfig));
    const ingest = startWorker('./ingest-worker.ts', {
      feedPath,
      queueUrl: resources.eventsQueueUrl,
      concurrency: options.ingestConcurrency,
      maxBacklog: options.maxBacklog,
    });
    children.push(...processors.map((p) => p.child), ingest.child);
    await Promise.all([...processors.map((p) => p.ready), ingest.ready]);

    const started = performance.now();
    ingest.child.send({ type: 'go' });
    const watch = process.env.BENCH_DEBUG
      ? setInterval(() => {
          queueDepth(resources.eventsQueueUrl).then((d) => process.stderr.write(`[bench] ${((performance.now() - started) / 1000).toFixed(0)} s: queue depth ${d}\n`));
        }, 5000)
      : undefined;
    const ingestReport = await ingest.report;
    const allQueuedMs = performance.now() - started;
    await waitForEmpty(resources.eventsQueueUrl);
    clearInterval(watch);
    const wallMs = performance.now() - started;

    for (const p of processors) p.child.send({ type: 'stop' });
    const processorReports = await Promise.all(processors.map((p) => p.report));
    return {
      wallMs,
      allQueuedMs,
      calls: new Map(BENCH_ORGS.map(({ org }) => [org.orgId, countCalls(sim, org.orgId)])),
      checks: [...workload.expected.values()].map((e) => checkOrg(sim, e)),
      processors: processorReports,
      ingest: ingestReport,
      deadLettered: await queueDepth(resources.eventsDlqUrl),
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    await proxy?.stop();
    await sim.stop();
    await sqsProxy?.stop();
    await Promise.all([moto.stop(), motoSqs.stop()]);
    delete process.env.AWS_ENDPOINT_URL_SQS;
  }
}
