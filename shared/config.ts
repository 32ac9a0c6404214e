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
  glanceApiUrl: 'https://cloud.glance.net',
  eventBusName: 'default',
  scheduleRulePrefix: 'glance-sync-org-',
  maxReceiveCount: 5,
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
