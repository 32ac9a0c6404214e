import { Duration } from 'aws-cdk-lib';
import { DEFAULTS, METRICS_NAMESPACE as SHARED_METRICS_NAMESPACE } from '../shared/config.ts';

export const STACK_NAME = 'GlanceSalesforceSyncStack';

// Tied to the shared default so the local run and the deployed queue dead-letter at the same count.
export const EVENTS_MAX_RECEIVE_COUNT = DEFAULTS.maxReceiveCount;
// A sync run re-pulls from its watermark, so fewer retries are needed before an admin looks.
export const SYNC_MAX_RECEIVE_COUNT = 3;

export const SECRET_PREFIX = DEFAULTS.secretPrefix;
export const SCHEDULE_RULE_PREFIX = DEFAULTS.scheduleRulePrefix;
export const EVENT_BUS_NAME = DEFAULTS.eventBusName;
export const DEFAULT_GLANCE_API_URL = DEFAULTS.glanceApiUrl;
export const METRICS_NAMESPACE = SHARED_METRICS_NAMESPACE;

export const SESSION_PROCESSOR_TIMEOUT = Duration.seconds(120);
export const SYNC_RUN_TIMEOUT = Duration.seconds(300);
// AWS guidance for SQS-triggered functions: visibility at least 6x the function timeout, so a
// message is not redelivered while throttled retries of the same batch are still in flight.
export const VISIBILITY_TIMEOUT_FACTOR = 6;
