/** How long an org waits before the pipeline tries its Salesforce again after running low. */
export const PAUSE_MS = 60 * 60_000;
export const DEFAULT_API_USAGE_SHARE_LIMIT = 0.9;

export interface ApiUsage {
  used: number;
  limit: number;
}

/**
 * Why an org should pause now, or null. Salesforce's allowance is a rolling 24 hours, so the
 * pause is short and the next batch after it probes again.
 */
export function pauseReason(usage: ApiUsage | null, limitExceeded: boolean, shareLimit: number): string | null {
  if (limitExceeded) return 'Salesforce answered REQUEST_LIMIT_EXCEEDED (daily API allowance spent)';
  if (usage && usage.limit > 0 && usage.used / usage.limit >= shareLimit) {
    return `Salesforce API usage ${usage.used}/${usage.limit} is at or above ${Math.round(shareLimit * 100)}% of the daily allowance`;
  }
  return null;
}
