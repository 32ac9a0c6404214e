import { parseArgs } from 'node:util';

export interface BenchArgs {
  sessions: number;
  seed: number;
  json: boolean;
  batchSize: number;
  windowMs: number;
  concurrency: number;
  ingestConcurrency: number;
  maxBacklog: number;
  salesforceLatencyMs: number;
  baseline: boolean;
}

export const USAGE = `npm run bench -- [options]
  --sessions N               sessions in the workload (default 10000; 300 for a quick look)
  --seed S                   workload seed (default 1)
  --json                     print the figures as JSON instead of tables
  --batch-size N             event source mapping batch size (default 50, as infra/functions.ts)
  --window-ms N              event source mapping batching window (default 2000, as infra/functions.ts)
  --concurrency N            session-processor instances (default 5, the mapping's maxConcurrency)
  --ingest-concurrency N     webhooks in flight at once (default 16)
  --max-backlog N            the sender waits while the queue holds more (default 2 × batch size × concurrency, at least 500)
  --salesforce-latency-ms N  delay added to every Salesforce call, both runs (default 0: loopback speed)
  --no-baseline              skip the naive baseline
BENCH_DEBUG=1 in the environment prints the queue depth every 5 s while the pipeline runs.`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, not ${value}`);
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
      'ingest-concurrency': { type: 'string' },
      'max-backlog': { type: 'string' },
      'salesforce-latency-ms': { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const windowMs = values['window-ms'] === undefined ? 2000 : Number(values['window-ms']);
  if (!Number.isInteger(windowMs) || windowMs < 0 || windowMs > 300_000) throw new Error('--window-ms must be 0 to 300000 (the mapping allows up to 300 s)');
  const batchSize = positive('batch-size', values['batch-size'], 50);
  if (batchSize > 10_000) throw new Error('--batch-size must be at most 10000 (the SQS event source mapping limit)');
  const concurrency = positive('concurrency', values.concurrency, 5);
  return {
    sessions: positive('sessions', values.sessions, 10_000),
    seed: values.seed === undefined ? 1 : positive('seed', values.seed, 1),
    json: values.json,
    batchSize,
    windowMs,
    concurrency,
    ingestConcurrency: positive('ingest-concurrency', values['ingest-concurrency'], 16),
    maxBacklog: positive('max-backlog', values['max-backlog'], Math.max(500, 2 * batchSize * concurrency)),
    salesforceLatencyMs: values['salesforce-latency-ms'] === undefined ? 0 : positive('salesforce-latency-ms', values['salesforce-latency-ms'], 0),
    baseline: !values['no-baseline'],
  };
}
