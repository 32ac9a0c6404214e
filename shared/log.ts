import type { Logger } from '@aws-lambda-powertools/logger';

/** The little the domain needs of a logger, so tests can pass a silent or collecting one. */
export interface Log {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export function fromPowertools(logger: Logger): Log {
  return {
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  };
}

export const silentLog: Log = { info() {}, warn() {}, error() {} };
