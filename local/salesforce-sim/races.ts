import type { FieldDef } from './schemas.ts';

/**
 * Concurrent upserts of one new external id. A Salesforce upsert is one transaction: it looks the
 * external id up, then inserts or updates. Two upserts that overlap both find no record; the first
 * to commit creates it, the second's insert hits the unique index and that record fails with
 * DUPLICATE_VALUE (BRIEF: "two upserts creating one new external id at nearly the same moment:
 * the second gets DUPLICATE_VALUE"). The simulator handles a call in one step, so a call's
 * transaction is taken to span from its arrival to its reply, stretched by `windowMs` (how long
 * Salesforce takes over the write, default 0: only calls in flight together in this process race).
 * How long a real transaction stays open is undocumented; the window is a test knob, not a figure.
 */
export class CreateRaces {
  windowMs = 0;
  /** Records that lost a race (answered DUPLICATE_VALUE because another call created the id meanwhile). */
  losses = 0;
  private seq = 0;
  private readonly createdAt = new Map<string, number>();

  private key(orgId: string, sobject: string, field: FieldDef, value: unknown): string {
    return `${orgId}|${sobject}|${field.name}|${String(value).toLowerCase()}`;
  }

  /** The moment a call's transaction starts: creates committed after it were invisible to its lookup. */
  begin(): number {
    return this.seq;
  }

  created(orgId: string, sobject: string, field: FieldDef, value: unknown): void {
    this.createdAt.set(this.key(orgId, sobject, field, value), ++this.seq);
  }

  /** Whether another call created this external id after `start` (so this call's lookup found nothing). */
  createdSince(orgId: string, sobject: string, field: FieldDef, value: unknown, start: number): boolean {
    return (this.createdAt.get(this.key(orgId, sobject, field, value)) ?? 0) > start;
  }
}
