import { Duration } from 'aws-cdk-lib';
import { DEFAULTS, SESSION_PROCESSOR_TIMEOUT_SECONDS, SYNC_RUN_TIMEOUT_SECONDS } from '../shared/config.ts';

export const STACK_NAME = 'GlanceSalesforceSyncStack';

// Tied to the shared default so the local run and the deployed queue dead-letter at the same count.
export const EVENTS_MAX_RECEIVE_COUNT = DEFAULTS.maxReceiveCount;
// A sync run re-pulls from its watermark, so fewer retries are needed before an admin looks.
export const SYNC_MAX_RECEIVE_COUNT = 3;

export const SECRET_PREFIX = DEFAULTS.secretPrefix;
export const SCHEDULE_NAME_PREFIX = DEFAULTS.scheduleNamePrefix;
/** The stack's schedule group and event bus are named after the stack, so two stacks never share them. */
export const SCHEDULE_GROUP_SUFFIX = '-org-syncs';
export const PIPELINE_EVENT_BUS_SUFFIX = '-events';
export const DEFAULT_GLANCE_API_URL = DEFAULTS.glanceApiUrl;
export { METRICS_NAMESPACE } from '../shared/config.ts';

export const SESSION_PROCESSOR_TIMEOUT = Duration.seconds(SESSION_PROCESSOR_TIMEOUT_SECONDS);
export const SYNC_RUN_TIMEOUT = Duration.seconds(SYNC_RUN_TIMEOUT_SECONDS);
// Visibility timeout = function timeout x this factor; the processor's lease is derived from the same numbers.
export { VISIBILITY_TIMEOUT_FACTOR } from '../shared/config.ts';
/** The record budget and flush threshold of this deployment: one place, shared with the benchmark. */
export const RECORD_BUDGET_SECONDS = DEFAULTS.recordBudgetSeconds;
export const OUTBOX_FLUSH_RECORDS = DEFAULTS.outboxFlushRecords;
/** The longest record budget a deployment may set: beyond an hour a webhook's record would come later than an hourly scheduled sync's. */
export const MAX_RECORD_BUDGET_SECONDS = 3600;
/** How often aged outboxes are looked for: a share waits at most the budget plus this. */
export const OUTBOX_SWEEP_MINUTES = DEFAULTS.outboxSweepSeconds / 60;
