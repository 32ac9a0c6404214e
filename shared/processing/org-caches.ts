import type { OrgShape } from '../record-links.ts';
import type { OrgSalesforce } from './org-batch.ts';

/*
 * What the pipeline remembers of an org between Lambdas, to spare Salesforce calls (issue 13):
 * the describe results (two calls per org per warm Lambda before) and the emails already known
 * to be Leads (a query per flush before). Both are hints with an expiry: a stale entry costs at
 * most a refused write (then refreshed) or a missed Lead until it expires.
 */

/** Describe results are refreshed daily, and at once after Salesforce answers INVALID_FIELD. */
export const DESCRIBE_MAX_AGE_MS = 24 * 3600_000;
/** An email seen as a Lead is trusted this long: a Lead deleted since is made again after at most this. */
export const KNOWN_LEAD_MAX_AGE_MS = 7 * 24 * 3600_000;

export interface DescribeCache {
  /** The cached shape and when it was read (ms), or null. */
  get(orgId: string): Promise<{ shape: OrgShape; fetchedAt: number } | null>;
  put(orgId: string, shape: OrgShape, fetchedAt: number): Promise<void>;
  /** Forgets the org's shape (a field it named was refused). */
  forget(orgId: string): Promise<void>;
}

export interface KnownLeads {
  /** Which of these normalised emails are known Leads of the org (not expired at `now`). */
  known(orgId: string, emails: string[], now: number): Promise<Set<string>>;
  /** Remembers emails as Leads of the org until `expiresAt` (ms). */
  remember(orgId: string, emails: string[], expiresAt: number): Promise<void>;
}

/**
 * The org's Salesforce with `orgShape()` read from the describe cache while it is younger than a
 * day, else from Salesforce (and stored). A cache that fails is skipped, never fatal.
 */
export function withCachedShape<T extends OrgSalesforce>(sf: T, orgId: string, cache: DescribeCache, now: () => number): T {
  let shape: Promise<OrgShape> | undefined;
  const load = async (): Promise<OrgShape> => {
    const cached = await cache.get(orgId).catch(() => null);
    if (cached && now() - cached.fetchedAt < DESCRIBE_MAX_AGE_MS) return cached.shape;
    const fresh = await sf.orgShape();
    await cache.put(orgId, fresh, now()).catch(() => undefined);
    return fresh;
  };
  return Object.assign(Object.create(sf) as T, {
    orgShape: () => {
      shape ??= load();
      shape.catch(() => (shape = undefined));
      return shape;
    },
  });
}

/** Salesforce refused a field name: the describe the links were built from may be stale. */
export const mentionsInvalidField = (reason: string) => /INVALID_FIELD|INVALID_FIELD_FOR_INSERT_UPDATE|No such column/.test(reason);
