/**
 * How the pipeline reacts to a Salesforce error code: retry soon (transient), pause the org
 * (limit), refresh the token (auth), pause the org until an admin gives it working credentials
 * (credentials), or dead-letter at once because a retry cannot help (permanent).
 */
export type SalesforceErrorKind = 'transient' | 'limit' | 'auth' | 'credentials' | 'permanent';

/**
 * The org's stored credentials do not get a token: OAuth's invalid_grant (revoked or expired
 * refresh token, a JWT user who no longer approves the app), or credentials missing or unreadable.
 */
const CREDENTIALS = new Set(['INVALID_GRANT', 'MISSING_CREDENTIALS', 'INVALID_CREDENTIALS']);

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
  if (CREDENTIALS.has(code)) return 'credentials';
  if (TRANSIENT.has(code)) return 'transient';
  return 'permanent';
}

/**
 * Whole-call refusals that say the request itself is wrong (a field or object the org lacks, a
 * query it cannot parse): the same call can never pass, so its records are refused for good.
 * Any other failed call (network, maintenance, an unknown code) may pass on a later try.
 */
const PERMANENT_CALL_ERRORS = new Set([
  'INVALID_FIELD',
  'INVALID_TYPE',
  'MALFORMED_QUERY',
  'INVALID_QUERY_FILTER_OPERATOR',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
  'JSON_PARSER_ERROR',
]);

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

export function isPermanentCallError(error: unknown): boolean {
  return error instanceof SalesforceCallError && PERMANENT_CALL_ERRORS.has(error.code);
}

/** How a record's faults count for its session: permanent when any fault is (retrying cannot help). */
export function faultKind(faults: SalesforceFault[]): 'permanent' | 'transient' {
  return faults.some((f) => classifySalesforceError(f.code) === 'permanent') ? 'permanent' : 'transient';
}

/** How a failed call counts for every record it carried. */
export function callKind(error: unknown): 'permanent' | 'transient' {
  return isPermanentCallError(error) ? 'permanent' : 'transient';
}

/** The message of a failed call, for traces and dead-letter reasons. */
export function callMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Refusals that say the org is not set up as the package declares (a field missing or not
 * writable by the integration user, an object it cannot use, an upsert key that is not an
 * External ID): no session can pass until an admin fixes the org, so the org is paused instead of
 * retrying and dead-lettering every session (`glance-sync orgs check` names the fix).
 */
const SETUP_CODES = new Set(['INVALID_FIELD', 'INVALID_FIELD_FOR_INSERT_UPDATE', 'INVALID_TYPE', 'INSUFFICIENT_ACCESS_OR_READONLY']);

export function isSetupFault(code: string, message = ''): boolean {
  if (SETUP_CODES.has(code)) return !/value of .* in the body does not match/i.test(message);
  return code === 'NOT_FOUND' && /external ID field does not exist or is not accessible/i.test(message);
}

/** setup, permanent or transient, for a failed call or a record's faults. */
export function problemKind(error: unknown): 'setup' | 'permanent' | 'transient' {
  if (error instanceof SalesforceCallError && isSetupFault(error.code, error.message)) return 'setup';
  return callKind(error);
}

export function faultsKind(faults: SalesforceFault[]): 'setup' | 'permanent' | 'transient' {
  return faults.some((f) => isSetupFault(f.code, f.message)) ? 'setup' : faultKind(faults);
}
