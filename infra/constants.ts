import { Duration } from 'aws-cdk-lib';
import { DEFAULTS } from '../shared/config.ts';
import { FUNCTION_SETTINGS } from './function-settings.ts';

export const STACK_NAME = 'GlanceSalesforceSyncStack';

// Tied to the shared default so the local run and the deployed queue dead-letter at the same count.
export const EVENTS_MAX_RECEIVE_COUNT = DEFAULTS.maxReceiveCount;
// A sync run re-pulls from its watermark, so fewer retries are needed before an admin looks.
export const SYNC_MAX_RECEIVE_COUNT = 3;

export const SECRET_PREFIX = DEFAULTS.secretPrefix;
export const SCHEDULE_RULE_PREFIX = DEFAULTS.scheduleRulePrefix;
export const EVENT_BUS_NAME = DEFAULTS.eventBusName;
export const DEFAULT_GLANCE_API_URL = DEFAULTS.glanceApiUrl;

export const SESSION_PROCESSOR_TIMEOUT = Duration.seconds(FUNCTION_SETTINGS['session-processor'].timeoutSeconds);
export const SYNC_RUN_TIMEOUT = Duration.seconds(FUNCTION_SETTINGS['sync-run'].timeoutSeconds);
// AWS guidance for SQS-triggered functions: visibility at least 6x the function timeout, so a
// message is not redelivered while throttled retries of the same batch are still in flight.
export const VISIBILITY_TIMEOUT_FACTOR = 6;
