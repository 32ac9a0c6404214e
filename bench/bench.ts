import type { BenchArgs } from './args.ts';
import { runBaseline } from './baseline.ts';
import { bundleSizes } from './bundles.ts';
import { runPipeline } from './ours.ts';
import { summarize, type BenchSummary } from './summary.ts';
import { generateWorkload } from './workload.ts';

/** The whole benchmark: bundles, our pipeline, then the baseline, on one seeded workload. */
export async function runBench(args: BenchArgs, command: string, progress: (line: string) => void = () => undefined): Promise<BenchSummary> {
  progress('building bundles');
  const bundles = await bundleSizes();
  const workload = generateWorkload({ sessions: args.sessions, seed: args.seed, inFlight: args.batchSize * args.concurrency });
  progress(`workload: ${workload.stats.sessions} sessions, ${workload.stats.arrivals} events; running the pipeline`);
  const options = {
    batchSize: args.batchSize,
    windowMs: args.windowMs,
    concurrency: args.concurrency,
    ingestConcurrency: args.ingestConcurrency,
    maxBacklog: args.maxBacklog,
    salesforceLatencyMs: args.salesforceLatencyMs,
  };
  const ours = await runPipeline(workload, options);
  progress(`pipeline done in ${(ours.wallMs / 1000).toFixed(1)} s`);
  let baseline = null;
  if (args.baseline) {
    progress('running the baseline');
    baseline = await runBaseline(workload, args.salesforceLatencyMs);
    progress(`baseline done in ${(baseline.wallMs / 1000).toFixed(1)} s`);
  }
  return summarize({ command, options: { ...options, sessions: args.sessions, seed: args.seed, baseline: args.baseline }, workload, ours, baseline, bundles });
}
