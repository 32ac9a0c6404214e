import { dynamoOutboxStore } from '../../shared/adapters/outbox-store.ts';
import type { FlushDeps } from '../../shared/processing/flush.ts';
import type { OutboxPolicy } from '../../shared/processing/outbox.ts';
import { DEFAULTS, ENV, optionalEnv } from '../../shared/config.ts';

/** The outbox policy of this deployment: the stack sets these from DEFAULTS (shared/config.ts). */
export function outboxPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): OutboxPolicy {
  const seconds = Number(optionalEnv('recordBudgetSeconds', String(DEFAULTS.recordBudgetSeconds), env));
  const records = Number(optionalEnv('outboxFlushRecords', String(DEFAULTS.outboxFlushRecords), env));
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`${ENV.recordBudgetSeconds} must be a number of seconds >= 0, got ${env[ENV.recordBudgetSeconds]}`);
  if (!Number.isInteger(records) || records < 1) throw new Error(`${ENV.outboxFlushRecords} must be a whole number >= 1, got ${env[ENV.outboxFlushRecords]}`);
  return { recordBudgetMs: seconds * 1000, flushRecords: records };
}

/** Longer than any Lambda that flushes (the processor and the flusher run at most 120 s). */
export const FLUSH_LEASE_MS = 5 * 60_000;

/**
 * The flusher's deps from the processor's own (same Salesforce clients, ledger, pauses, DLQ), or
 * undefined when this deployment has no outbox table.
 */
export function outboxFlushDeps(
  base: Omit<FlushDeps, 'outbox' | 'policy' | 'flushLeaseMs'>,
  env: NodeJS.ProcessEnv = process.env,
): FlushDeps | undefined {
  const table = env[ENV.outboxTable];
  if (!table) return undefined;
  return { ...base, outbox: dynamoOutboxStore(table), policy: outboxPolicyFromEnv(env), flushLeaseMs: FLUSH_LEASE_MS };
}
