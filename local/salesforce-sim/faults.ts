import { sameSalesforceId } from '../../shared/salesforce-id.ts';
import { recordError, type RecordError } from './errors.ts';

export type FaultKind =
  | 'EXPIRED_SESSION'
  | 'SERVICE_UNAVAILABLE'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'UNABLE_TO_LOCK_ROW'
  | 'DUPLICATES_DETECTED'
  /**
   * Another upsert creates the same new external id at nearly the same moment: this upsert's
   * create loses with DUPLICATE_VALUE and the other record exists afterwards (BRIEF: "it is an
   * update to retry, not a refusal"). Only hits upserts that would create.
   */
  | 'DUPLICATE_VALUE';

export interface FaultSpec {
  orgId?: string;
  method?: string;
  pathIncludes?: string;
  fault: FaultKind;
  /** default 1; Infinity allowed */
  times?: number;
  /** per-record faults only hit records whose fields equal these */
  recordMatch?: Record<string, unknown>;
}

export const FAULT_KINDS: readonly FaultKind[] = [
  'EXPIRED_SESSION',
  'SERVICE_UNAVAILABLE',
  'REQUEST_LIMIT_EXCEEDED',
  'UNABLE_TO_LOCK_ROW',
  'DUPLICATES_DETECTED',
  'DUPLICATE_VALUE',
];

interface Armed {
  spec: FaultSpec;
  remaining: number;
}

export interface RequestInfo {
  orgId: string;
  method: string;
  /** decoded path and query string */
  path: string;
}

export type WriteOp = 'create' | 'update';

const LOCK_MESSAGE = 'unable to obtain exclusive access to this record';

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Field names match case-insensitively, as everywhere in the API. */
export function recordMatches(match: Record<string, unknown> | undefined, fields: Record<string, unknown>): boolean {
  if (!match) return true;
  const lower = new Map(Object.entries(fields).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(match).every(([k, v]) => sameJson(lower.get(k.toLowerCase()), v));
}

/**
 * Per-record faults for one request. A fault is consumed once per request that it actually hit,
 * however many records of that request it failed.
 */
export class RecordFaults {
  private readonly hit = new Set<Armed>();

  constructor(private readonly candidates: Armed[]) {}

  errorFor(op: WriteOp, fields: Record<string, unknown>, id?: string): RecordError | undefined {
    for (const armed of this.candidates) {
      if (armed.remaining <= 0 && !this.hit.has(armed)) continue;
      if (armed.spec.fault === 'DUPLICATE_VALUE') continue;
      if (armed.spec.fault === 'DUPLICATES_DETECTED' && op !== 'create') continue;
      if (!recordMatches(armed.spec.recordMatch, fields)) continue;
      this.hit.add(armed);
      return armed.spec.fault === 'UNABLE_TO_LOCK_ROW'
        ? recordError('UNABLE_TO_LOCK_ROW', id ? `${LOCK_MESSAGE} or 1 records: ${id}` : LOCK_MESSAGE)
        : recordError('DUPLICATES_DETECTED', 'Use one of these records?');
    }
    return undefined;
  }

  /**
   * Whether an upsert about to create this record loses the race to a concurrent one. Never when
   * a duplicate rule refuses the record: the concurrent create would have been refused as well.
   */
  losesCreateRace(fields: Record<string, unknown>): boolean {
    const refused = this.candidates.some(
      (a) => a.spec.fault === 'DUPLICATES_DETECTED' && (a.remaining > 0 || this.hit.has(a)) && recordMatches(a.spec.recordMatch, fields),
    );
    if (refused) return false;
    for (const armed of this.candidates) {
      if (armed.spec.fault !== 'DUPLICATE_VALUE' || (armed.remaining <= 0 && !this.hit.has(armed))) continue;
      if (!recordMatches(armed.spec.recordMatch, fields)) continue;
      this.hit.add(armed);
      return true;
    }
    return false;
  }

  finish(): void {
    for (const armed of this.hit) armed.remaining -= 1;
  }
}

export class FaultBook {
  private armed: Armed[] = [];

  inject(spec: FaultSpec): void {
    if (!FAULT_KINDS.includes(spec.fault)) throw new Error(`unknown fault ${String(spec.fault)}`);
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new Error('times must be positive');
    this.armed.push({ spec: { ...spec }, remaining: times });
  }

  /** Disarms every fault, or only those aimed at one org (of one kind, when given). */
  clear(orgId?: string, fault?: FaultKind): void {
    this.armed = orgId ? this.armed.filter((a) => !a.spec.orgId || !sameSalesforceId(a.spec.orgId, orgId) || (fault !== undefined && a.spec.fault !== fault)) : [];
  }

  pending(): FaultSpec[] {
    return this.armed.filter((a) => a.remaining > 0).map((a) => ({ ...a.spec, times: a.remaining }));
  }

  private live(info: RequestInfo, kinds: readonly FaultKind[]): Armed[] {
    return this.armed.filter(
      (a) =>
        a.remaining > 0 &&
        kinds.includes(a.spec.fault) &&
        (!a.spec.orgId || sameSalesforceId(a.spec.orgId, info.orgId)) &&
        (!a.spec.method || a.spec.method.toUpperCase() === info.method) &&
        (!a.spec.pathIncludes || info.path.includes(a.spec.pathIncludes)),
    );
  }

  /** Consumes and returns the first whole-request fault matching this request. */
  take(info: RequestInfo, kinds: readonly FaultKind[]): FaultKind | undefined {
    const [first] = this.live(info, kinds);
    if (!first) return undefined;
    first.remaining -= 1;
    return first.spec.fault;
  }

  forRecords(info: RequestInfo): RecordFaults {
    return new RecordFaults(this.live(info, ['UNABLE_TO_LOCK_ROW', 'DUPLICATES_DETECTED', 'DUPLICATE_VALUE']));
  }
}
