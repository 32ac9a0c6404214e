import { METRICS_NAMESPACE, SESSION_PROCESSOR_TIMEOUT_SECONDS, SYNC_RUN_TIMEOUT_SECONDS } from '../shared/config.ts';
import type { FunctionName } from './paths.ts';

/** Size and time limit of each Lambda, read by the stack and by the local run's Lambda runtime. */
export interface FunctionSettings {
  readonly description: string;
  /** MB, as Lambda's MemorySize. */
  readonly memoryMb: number;
  /** Seconds, as Lambda's Timeout. */
  readonly timeoutSeconds: number;
}

export const FUNCTION_SETTINGS: Readonly<Record<FunctionName, FunctionSettings>> = {
  'webhook-ingest': { description: 'Verifies signed Glance webhooks and queues the session events', memoryMb: 256, timeoutSeconds: 10 },
  'session-processor': { description: 'Writes queued Glance sessions, Leads and Chatter posts into each paired Salesforce org', memoryMb: 512, timeoutSeconds: SESSION_PROCESSOR_TIMEOUT_SECONDS },
  'sync-run': { description: "Pulls an org's Glance group activity since its watermark onto the events queue", memoryMb: 512, timeoutSeconds: SYNC_RUN_TIMEOUT_SECONDS },
  'sync-now': { description: 'Admin entry point: queues an immediate sync run for one org', memoryMb: 256, timeoutSeconds: 30 },
  'org-check': { description: "Admin entry point: checks an org's settings (record mapping) against its Salesforce describe", memoryMb: 256, timeoutSeconds: 60 },
  // Below the flush lease (functions/outbox-flusher/wiring.ts, 5 minutes): a flusher that lost its lease is dead.
  'outbox-flusher': { description: 'Flushes org outboxes whose oldest share has waited the record budget into Salesforce', memoryMb: 512, timeoutSeconds: 120 },
};

/** The environment every function gets besides its own resources (tables, queues, prefixes). */
export function commonEnvironment(name: FunctionName): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: name,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    NODE_OPTIONS: '--enable-source-maps',
  };
}
