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
  eventBusName: 'EVENT_BUS_NAME',
  scheduleRulePrefix: 'SCHEDULE_RULE_PREFIX',
  maxReceiveCount: 'EVENTS_MAX_RECEIVE_COUNT',
  apiUsageShareLimit: 'SALESFORCE_API_USAGE_SHARE_LIMIT',
} as const;
export type EnvKey = keyof typeof ENV;

export const DEFAULTS = {
  secretPrefix: 'glance-sync/',
  glanceApiUrl: 'https://www.glance.net',
  eventBusName: 'default',
  scheduleRulePrefix: 'glance-sync-org-',
  maxReceiveCount: 5,
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
/** The processor stops retrying Salesforce calls this long before its Lambda would time out, to report the outcome. */
export const PROCESSOR_REPORT_MARGIN_MS = 10_000;

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
