/**
 * Every Lambda reads its wiring from these environment variables; the CDK stack sets them and
 * the local run sets them to the moto_server resources. Values are names and URLs, never secrets.
 */
export const ENV = {
  orgsTable: 'ORGS_TABLE',
  dedupeTable: 'DEDUPE_TABLE',
  tracesTable: 'DEBUG_TRACES_TABLE',
  eventsQueueUrl: 'EVENTS_QUEUE_URL',
  eventsDlqUrl: 'EVENTS_DLQ_URL',
  syncQueueUrl: 'SYNC_QUEUE_URL',
  syncQueueArn: 'SYNC_QUEUE_ARN',
  syncDlqUrl: 'SYNC_DLQ_URL',
  secretPrefix: 'SECRET_PREFIX',
  glanceApiUrl: 'GLANCE_API_URL',
  scheduleGroupName: 'SCHEDULE_GROUP_NAME',
  scheduleNamePrefix: 'SCHEDULE_NAME_PREFIX',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  pipelineEventBusName: 'PIPELINE_EVENT_BUS_NAME',
  maxReceiveCount: 'EVENTS_MAX_RECEIVE_COUNT',
  apiUsageShareLimit: 'SALESFORCE_API_USAGE_SHARE_LIMIT',
  outboxTable: 'OUTBOX_TABLE',
  recordBudgetSeconds: 'RECORD_BUDGET_SECONDS',
  outboxFlushRecords: 'OUTBOX_FLUSH_RECORDS',
} as const;
export type EnvKey = keyof typeof ENV;

export const DEFAULTS = {
  secretPrefix: 'glance-sync/',
  glanceApiUrl: 'https://cloud.glance.net',
  /** EventBridge Scheduler group holding one schedule per org (the stack names its own). */
  scheduleGroupName: 'glance-sync-orgs',
  scheduleNamePrefix: 'glance-sync-org-',
  /** Where the pipeline publishes its own events (sync run completed, org paused, org resumed). */
  pipelineEventBusName: 'glance-sync-events',
  maxReceiveCount: 5,
  /**
   * The record budget: how long an org's shares may wait in its outbox before they are flushed
   * to Salesforce (the product promises a session record within it). The one place a deployment
   * changes it: the CDK stack and the benchmark read it from here. 0 turns the outbox off (each
   * batch is written at once, as before the outbox).
   */
  recordBudgetSeconds: 300,
  /** An org's outbox is flushed early once about this many records wait (5 Composite collections of 200). */
  outboxFlushRecords: 1000,
  /**
   * How often the stack's schedule sweeps the outboxes (EventBridge Scheduler's finest rate is a
   * minute). The sweep flushes the orgs that would pass the record budget before the next sweep,
   * so a record waits at most the budget.
   */
  outboxSweepSeconds: 60,
  /**
   * The Chatter pool: an org's posts gather this long from the first one, then go in one batch
   * call. Within the 60 s Chatter budget with room for the queue's batching window, a retry and
   * the post itself.
   */
  chatterPoolSeconds: 45,
} as const;

/** CloudWatch namespace of the Powertools metrics every function emits. */
export const METRICS_NAMESPACE = 'GlanceSalesforceSync';

/** The session processor Lambda's timeout, seconds. */
export const SESSION_PROCESSOR_TIMEOUT_SECONDS = 120;
/** The sync-run Lambda's timeout, seconds. */
export const SYNC_RUN_TIMEOUT_SECONDS = 300;
/**
 * AWS guidance for SQS-triggered functions: visibility at least 6x the function timeout, so a
 * message is not redelivered while throttled retries of the same batch are still in flight.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/**
 * How long the processor's claims (an event, a session's writer lock, a Chatter post) hold off
 * another copy: the events queue's visibility timeout, after which SQS redelivers anyway.
 */
export const PROCESSOR_LEASE_MS = SESSION_PROCESSOR_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR * 1000;
/**
 * How SQS feeds session-processor (Lambda's SQS event source mapping). The stack builds the
 * mapping from it and the benchmark replays workloads with it, so a figure the bench prints is a
 * figure of the stack as deployed.
 */
export const SESSION_PROCESSOR_EVENT_SOURCE = {
  /** Messages per invocation at most (the mapping allows up to 10,000 with a window). */
  batchSize: 50,
  /** How long the mapping gathers messages before invoking with fewer than batchSize. */
  maxBatchingWindowSeconds: 2,
  /** Parallel invocations at most: caps parallel Salesforce writers (row locks, per-org limits). */
  maxConcurrency: 5,
} as const;

/**
 * What the product promises (BRIEF, "Latency the product promises"): a session record within the
 * record budget of its webhook, a Chatter post within 60 s of session.started.
 */
export const LATENCY_BUDGET = {
  recordMs: 5 * 60_000,
  chatterMs: 60_000,
} as const;

/** The processor stops retrying Salesforce calls this long before its Lambda would time out, to report the outcome. */
export const PROCESSOR_REPORT_MARGIN_MS = 10_000;

/** Metric names the alarms watch; emitted by the handlers named in each comment. */
export const METRIC_NAMES = {
  /** webhook-ingest: any answer but 202. */
  webhookRejected: 'webhook_rejected',
  /** webhook-ingest: 401, a bad signature or timestamp (a wrong or rotated secret). */
  webhookUnauthorized: 'webhook_unauthorized',
  webhookAccepted: 'webhook_accepted',
  /** session-processor: an org was paused (its shares wait). */
  orgPaused: 'org_paused',
} as const;

/** Salesforce REST API version the whole product speaks (jsforce would default to 50.0). */
export const SALESFORCE_API_VERSION = '62.0';

export function requireEnv(key: EnvKey, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[ENV[key]];
  if (!value) throw new Error(`environment variable ${ENV[key]} is not set`);
  return value;
}

export function optionalEnv(key: EnvKey, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[ENV[key]] || fallback;
}
