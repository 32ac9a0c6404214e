import type { AwsCounts } from './aws-counters.ts';
import type { Invocation } from './event-source.ts';
import type { MemoryPeaks } from './memory.ts';

/** What a worker process (one Lambda instance) sends back when told to stop. */
export interface WorkerReport {
  type: 'report';
  role: 'processor' | 'ingest';
  /** Loading the handler module: tsx-compiled here, so only a rough stand-in for a bundle's cold start. */
  initMs: number;
  invocations: Invocation[];
  aws: AwsCounts;
  memory: MemoryPeaks;
  /** Processor only: wall time with a Salesforce call outstanding. */
  salesforceBusyMs?: number;
  /** Ingest only: answers other than 202. */
  rejected?: number;
}

export type ParentMessage = { type: 'stop' } | { type: 'go' };
