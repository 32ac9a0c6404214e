import type { GlanceSession, SessionEvent } from '../session.ts';
import { isSessionFinal, syncEventId, toSyncEvent } from './sync-events.ts';

/**
 * Where an org's sync stands, per Glance group, and the rules that move it.
 *
 * Glance's CRR lists ended sessions only (glance-activity.ts). Whether its date range selects
 * sessions by start or by end time is not documented. If by end time, reading from the watermark
 * on is enough. If by start time, a session that started before the watermark and ended after the
 * last pull is listed only by a range reaching back before the watermark: so every pull reaches
 * back ENDED_REACH_BACK_MS, and a session longer than that which ended after the last pull could
 * be missed (its webhook, where a relay sends them, still records it).
 *
 * The watermark of a group: every session listed in ranges before it has been queued at least
 * once. Sessions queued recently are remembered ("tracked") with the event id last queued, so the
 * reach-back does not queue them again ("already known"); those dropped from the list by its cap
 * are queued again, and the processor drops the repeat by event id.
 */

/** Glance may list a session a little after it ends: a pull stops this far short of now. */
export const LISTING_LAG_MS = 2 * 60_000;
/** How far before the watermark each pull reads again (see above). */
export const ENDED_REACH_BACK_MS = 24 * 60 * 60_000;
/** Keeps the org's SYNC item far below DynamoDB's 400 KB item limit (about 100 bytes per entry). */
export const MAX_TRACKED_PER_GROUP = 1000;

export interface TrackedSession {
  startedAt: string;
  /** Absent in cursors written by earlier versions. */
  endedAt?: string | null;
  eventId: string;
  /** Always true for CRR; kept so cursors written by earlier versions still read. */
  final: boolean;
}

export interface GroupCursor {
  watermark: string;
  tracked: Record<string, TrackedSession>;
}

/** Keyed by group id (as text, DynamoDB map keys are strings). */
export interface SyncCursor {
  groups: Record<string, GroupCursor>;
}

export interface GroupPull {
  groupId: number;
  from: Date;
  to: Date;
}

export interface PlanInput {
  groupId: number;
  cursor: GroupCursor | undefined;
  installedAt: Date;
  /** A backfill's start; without one a backfill starts at the install time. Null for other runs. */
  backfillFrom: Date | null;
  now: Date;
}

/** The range to pull for one group, or null when nothing can have been listed since the last run. */
export function planGroupPull(input: PlanInput): GroupPull | null {
  const watermark = input.cursor ? Date.parse(input.cursor.watermark) : input.installedAt.getTime();
  const to = input.now.getTime() - LISTING_LAG_MS;
  if (watermark >= to && !input.backfillFrom) return null;
  // The first pull starts at the install time: nothing before it is the org's to record.
  let from = input.cursor ? watermark - ENDED_REACH_BACK_MS : watermark;
  // A backfill only ever reaches further back: starting after the watermark would skip sessions.
  if (input.backfillFrom) from = Math.min(from, input.backfillFrom.getTime());
  if (from >= to) return null;
  return { groupId: input.groupId, from: new Date(from), to: new Date(to) };
}

export interface PageInput {
  pull: GroupPull;
  cursor: GroupCursor | undefined;
  sessions: GlanceSession[];
  /** The activity client's promise: everything listed before this has been yielded. */
  completeBefore: Date;
  sites: readonly string[];
  now: Date;
}

export interface PageResult {
  events: SessionEvent[];
  alreadyKnown: number;
  /** Sessions of a site the org does not accept: not queued (another paired org pulls its own). */
  otherSites: number;
  /** The cursor to store once `events` are safely on the queue, and not before. */
  cursor: GroupCursor;
}

export function applyPage(input: PageInput): PageResult {
  const base = input.cursor ?? { watermark: input.pull.from.toISOString(), tracked: {} };
  const tracked = { ...base.tracked };
  const events: SessionEvent[] = [];
  let alreadyKnown = 0;
  let otherSites = 0;
  for (const session of input.sessions) {
    if (!input.sites.includes(session.site)) {
      otherSites++;
      continue;
    }
    if (tracked[session.id]?.eventId === syncEventId(session)) {
      alreadyKnown++;
      continue;
    }
    events.push(toSyncEvent(session));
    tracked[session.id] = { startedAt: session.startedAt, endedAt: session.endedAt, eventId: syncEventId(session), final: isSessionFinal(session) };
  }
  const watermark = laterOf(base.watermark, input.completeBefore.toISOString());
  return { events, alreadyKnown, otherSites, cursor: { watermark, tracked: pruneTracked(tracked, watermark) } };
}

export function laterOf(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * Forgets what the next pull's reach-back cannot list again: a session that ended (and so
 * started) before the watermark minus the reach-back is outside the next range whether CRR selects
 * by start or by end time. Beyond the cap the oldest go first: a forgotten session listed again is
 * queued again, which costs a message, not a second record.
 */
export function pruneTracked(tracked: Record<string, TrackedSession>, watermark: string): Record<string, TrackedSession> {
  const horizon = Date.parse(watermark) - ENDED_REACH_BACK_MS;
  const last = (entry: TrackedSession) => Date.parse(entry.endedAt ?? entry.startedAt);
  const kept = Object.entries(tracked).filter(([, entry]) => last(entry) >= horizon);
  if (kept.length > MAX_TRACKED_PER_GROUP) {
    kept.sort(([, a], [, b]) => last(b) - last(a));
    kept.length = MAX_TRACKED_PER_GROUP;
  }
  return Object.fromEntries(kept);
}

/**
 * The org's watermark, as Sync History shows it: the earliest of its groups', or null while any
 * of its groups has never been pulled.
 */
export function orgWatermark(cursor: SyncCursor | null, groups: readonly number[]): string | null {
  if (groups.length === 0) return null;
  let earliest: string | null = null;
  for (const groupId of groups) {
    const watermark = cursor?.groups[String(groupId)]?.watermark;
    if (!watermark) return null;
    if (earliest === null || Date.parse(watermark) < Date.parse(earliest)) earliest = watermark;
  }
  return earliest;
}
