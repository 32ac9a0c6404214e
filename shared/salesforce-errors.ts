/**
 * How the pipeline reacts to a Salesforce error code: retry soon (transient), pause the org
 * (limit), refresh the token (auth), or dead-letter at once because a retry cannot help (permanent).
 */
export type SalesforceErrorKind = 'transient' | 'limit' | 'auth' | 'permanent';

const TRANSIENT = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'REQUEST_RUNNING_TOO_LONG',
  'QUERY_TIMEOUT',
  'TXN_SECURITY_METERING_ERROR',
  'CONCURRENT_REQUEST_LIMIT_EXCEEDED' /* concurrency, not the daily allowance */,
  'ERROR_HTTP_500',
  'ERROR_HTTP_502',
  'ERROR_HTTP_503',
  'ERROR_HTTP_504',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
]);

export function classifySalesforceError(code: string | undefined): SalesforceErrorKind {
  if (!code) return 'transient';
  if (code === 'REQUEST_LIMIT_EXCEEDED') return 'limit';
  if (code === 'INVALID_SESSION_ID' || code === 'INVALID_AUTH_HEADER') return 'auth';
  if (TRANSIENT.has(code)) return 'transient';
  return 'permanent';
}

export interface SalesforceFault {
  code: string;
  message: string;
  fields?: string[];
}

/** A whole call failed (not one record of it). */
export class SalesforceCallError extends Error {
  readonly kind: SalesforceErrorKind;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'SalesforceCallError';
    this.kind = classifySalesforceError(code);
  }
}

export function describeFault(fault: SalesforceFault): string {
  return `${fault.code}: ${fault.message}${fault.fields?.length ? ` (fields: ${fault.fields.join(', ')})` : ''}`;
}
