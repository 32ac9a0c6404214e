/**
 * The pace settings of the pipeline, in one place: the CDK stack builds the event source mapping
 * and the timeouts from them, and the benchmark replays a workload with the same numbers, so a
 * figure the bench prints is a figure of the stack as deployed.
 */

/** How SQS feeds session-processor (Lambda's SQS event source mapping). */
export const SESSION_PROCESSOR_EVENT_SOURCE = {
  /** Messages per invocation at most (the mapping allows up to 10,000 with a window). */
  batchSize: 50,
  /** How long the mapping gathers messages before invoking with fewer than batchSize. */
  maxBatchingWindowSeconds: 2,
  /** Parallel invocations at most: caps parallel Salesforce writers (row locks, per-org limits). */
  maxConcurrency: 5,
} as const;

/** session-processor's Lambda timeout, seconds. */
export const SESSION_PROCESSOR_TIMEOUT_SECONDS = 120;
/** sync-run's Lambda timeout, seconds. */
export const SYNC_RUN_TIMEOUT_SECONDS = 300;
/**
 * AWS guidance for SQS-triggered functions: visibility at least 6x the function timeout, so a
 * message is not redelivered while throttled retries of the same batch are still in flight.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * What the product promises (BRIEF, "Latency the product promises"): a session record within the
 * record budget of its webhook, a Chatter post within 60 s of session.started.
 */
export const LATENCY_BUDGET = {
  recordMs: 5 * 60_000,
  chatterMs: 60_000,
} as const;

/** The events queue's visibility timeout, ms: also the lease of event and Chatter claims. */
export const EVENTS_VISIBILITY_TIMEOUT_MS = SESSION_PROCESSOR_TIMEOUT_SECONDS * VISIBILITY_TIMEOUT_FACTOR * 1000;
