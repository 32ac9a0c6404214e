import { parseArgs } from 'node:util';
import { SESSION_PROCESSOR_EVENT_SOURCE } from '../shared/config.ts';

export interface BenchArgs {
  /** Sessions of the larger workload (10,000 a day, 3 and 10 a second); the 1,000-a-day scenario takes a tenth. */
  sessions: number;
  seed: number;
  json: boolean;
  batchSize: number;
  windowMs: number;
  concurrency: number;
  salesforceLatencyMs: number;
  awsLatencyMs: number;
  baseline: boolean;
  coldStart: boolean;
  /** Debug Mode on in every org: its Glance_Log__c writes are counted as admin records. */
  debugMode: boolean;
}

const ESM = SESSION_PROCESSOR_EVENT_SOURCE;

export const USAGE = `npm run bench -- [options]
Replays the seeded workload in simulated time at four paces (1,000 and 10,000 sessions a day,
3 and 10 sessions a second) through the real processing code and the Salesforce simulator.
  --sessions N               sessions of the larger workload (default 10000; the 1,000-a-day scenario takes N/10)
  --seed S                   workload seed (default 1)
  --json                     print the figures as JSON instead of tables
  --batch-size N             event source batch size (default ${ESM.batchSize}, shared/config.ts as the stack)
  --window-ms N              event source batching window (default ${ESM.maxBatchingWindowSeconds * 1000}, likewise)
  --concurrency N            concurrent invocations (default ${ESM.maxConcurrency}, likewise)
  --salesforce-latency-ms N  simulated time per Salesforce call, ours and the baseline (default 100)
  --aws-latency-ms N         simulated time per AWS request, ours and the baseline (default 7)
  --no-baseline              skip the naive baseline
  --no-cold-start            skip building the bundles and timing their import
  --debug-mode               Debug Mode on in every org (counts its Glance_Log__c calls as admin records)`;

function whole(name: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, not ${value}`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      'batch-size': { type: 'string' },
      'window-ms': { type: 'string' },
      concurrency: { type: 'string' },
      'salesforce-latency-ms': { type: 'string' },
      'aws-latency-ms': { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      'no-cold-start': { type: 'boolean', default: false },
      'debug-mode': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    sessions: whole('sessions', values.sessions, 10_000, 10),
    seed: whole('seed', values.seed, 1, 1),
    json: values.json,
    // The mapping's limits: batch size up to 10,000 with a window, window up to 300 s.
    batchSize: whole('batch-size', values['batch-size'], ESM.batchSize, 1, 10_000),
    windowMs: whole('window-ms', values['window-ms'], ESM.maxBatchingWindowSeconds * 1000, 0, 300_000),
    concurrency: whole('concurrency', values.concurrency, ESM.maxConcurrency, 1, 1000),
    salesforceLatencyMs: whole('salesforce-latency-ms', values['salesforce-latency-ms'], 100, 0),
    awsLatencyMs: whole('aws-latency-ms', values['aws-latency-ms'], 7, 0),
    baseline: !values['no-baseline'],
    coldStart: !values['no-cold-start'],
    debugMode: values['debug-mode'],
  };
}
