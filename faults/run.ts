import { parseArgs } from 'node:util';
import { runCampaign } from './campaign.ts';
import { formatReport } from './report.ts';

/**
 * `npm run faults [--seed S] [--events N] [--concurrency C] [--processes 0|1] [--kill-rate R] [--crash-rate R]
 * [--fault-rate R] [--outage-hours H] [--direct] [--max-seconds T] [--trace ID] [--json]`: exits 1 unless the bar is met.
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    events: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '2' },
    'crash-rate': { type: 'string' },
    processes: { type: 'string' },
    'kill-rate': { type: 'string' },
    'fault-rate': { type: 'string' },
    'max-seconds': { type: 'string', default: '600' },
    json: { type: 'boolean', default: false },
    trace: { type: 'string' },
    'outage-hours': { type: 'string' },
    direct: { type: 'boolean', default: false },
  },
});

const number = (name: string, value: string | undefined, min: number, max: number): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
};

const result = await runCampaign({
  seed: number('seed', values.seed, 0, 2 ** 32)!,
  events: number('events', values.events, 20, 50_000)!,
  concurrency: number('concurrency', values.concurrency, 1, 8),
  crashRate: number('crash-rate', values['crash-rate'], 0, 0.9),
  processes: number('processes', values.processes, 0, 1),
  killRate: number('kill-rate', values['kill-rate'], 0, 0.9),
  faultRate: number('fault-rate', values['fault-rate'], 0, 1),
  wallClockMs: number('max-seconds', values['max-seconds'], 10, 3600)! * 1000,
  trace: values.trace,
  outageHours: number('outage-hours', values['outage-hours'], 0, 72),
  // --direct: no outbox, each batch written to Salesforce at once (a record budget of 0).
  outbox: !values.direct,
  progress: values.json ? undefined : (line) => console.error(line),
});
console.log(values.json ? JSON.stringify(result, null, 2) : formatReport(result));
process.exit(result.verdict.ok ? 0 : 1);
