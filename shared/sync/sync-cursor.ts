import type { GlanceSession, SessionEvent } from '../session.ts';
import { isSessionFinal, syncEventId, toSyncEvent } from './sync-events.ts';

/**
 * Where an org's sync stands, per Glance group, and the rules that move it.
 *
 * The watermark of a group: every session that started before it has been queued at least once.
 * Glance lists sessions by start time, so a session still open when pulled would never be seen
 * again once the watermark passes its start; such sessions are remembered ("tracked") and the
 * next pull reaches back to the oldest of them, until they end or grow too old.
 *
 * Tracked entries also hold the event id last queued, which is how a run tells a session it has
 * already queued in this state ("already known") from a new state.
 */

/** Glance may list a session a little after it starts: a pull stops this far short of now. */
export const LISTING_LAG_MS = 2 * 60_000;
/** An open session is re-pulled until it ends or is this old; after that only its webhook closes it. */
export const OPEN_SESSION_LOOKBACK_MS = 24 * 60 * 60_000;
/** Keeps the org's SYNC item far below DynamoDB's 400 KB item limit (about 100 bytes per entry). */
export const MAX_TRACKED_PER_GROUP = 1000;

export interface TrackedSession {
  startedAt: string;
  eventId: string;
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
  /**
   * Set when the pull reaches back before the watermark only to re-check open sessions: an
   * untracked final session before this instant was queued, final, by an earlier run.
   */
  recheckBefore: Date | null;
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
  const oldestOpen = oldestOpenStart(input.cursor, input.now);
  let from = Math.min(watermark, oldestOpen ?? watermark);
  // A backfill only ever reaches further back: starting after the watermark would skip sessions.
  if (input.backfillFrom) from = Math.min(from, input.backfillFrom.getTime());
  if (from >= to) return null;
  const recheckBefore = !input.backfillFrom && from < watermark ? new Date(watermark) : null;
  return { groupId: input.groupId, from: new Date(from), to: new Date(to), recheckBefore };
}

function oldestOpenStart(cursor: GroupCursor | undefined, now: Date): number | null {
  const horizon = now.getTime() - OPEN_SESSION_LOOKBACK_MS;
  let oldest: number | null = null;
  for (const entry of Object.values(cursor?.tracked ?? {})) {
    const startedAt = Date.parse(entry.startedAt);
    if (!entry.final && startedAt >= horizon && (oldest === null || startedAt < oldest)) oldest = startedAt;
  }
  return oldest;
}

export interface PageInput {
  pull: GroupPull;
  cursor: GroupCursor | undefined;
  sessions: GlanceSession[];
  /** The activity client's promise: every session that started before this has been listed. */
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
  /** Open sessions no longer re-checked (too old, or too many): only their webhooks can close them. */
  givenUp: number;
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
    if (isAlreadyKnown(session, tracked[session.id], input.pull.recheckBefore)) {
      alreadyKnown++;
      continue;
    }
    events.push(toSyncEvent(session));
    tracked[session.id] = { startedAt: session.startedAt, eventId: syncEventId(session), final: isSessionFinal(session) };
  }
  const watermark = laterOf(base.watermark, input.completeBefore.toISOString());
  const pruned = pruneTracked(tracked, watermark, input.now);
  return { events, alreadyKnown, otherSites, cursor: { watermark, tracked: pruned.tracked }, givenUp: pruned.givenUp };
}

function isAlreadyKnown(session: GlanceSession, entry: TrackedSession | undefined, recheckBefore: Date | null): boolean {
  if (entry) return entry.eventId === syncEventId(session);
  return recheckBefore !== null && Date.parse(session.startedAt) < recheckBefore.getTime() && isSessionFinal(session);
}

export function laterOf(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * Forgets what will not be pulled again: final sessions behind the watermark, and open ones
 * behind it past the lookback or beyond the cap. Dropping the oldest first, ties together, keeps the rule
 * `isAlreadyKnown` relies on: nothing forgotten starts after something still tracked as open.
 */
export function pruneTracked(
  tracked: Record<string, TrackedSession>,
  watermark: string,
  now: Date,
): { tracked: Record<string, TrackedSession>; givenUp: number } {
  const watermarkMs = Date.parse(watermark);
  const horizon = now.getTime() - OPEN_SESSION_LOOKBACK_MS;
  let givenUp = 0;
  let kept = Object.entries(tracked).filter(([, entry]) => {
    const startedAt = Date.parse(entry.startedAt);
    // At or past the watermark the next pull reads it again anyway, open or not, old or not.
    if (startedAt >= watermarkMs) return true;
    if (entry.final) return false;
    if (startedAt < horizon) givenUp++;
    return startedAt >= horizon;
  });
  if (kept.length > MAX_TRACKED_PER_GROUP) {
    kept.sort(([, a], [, b]) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
    const newestDropped = Date.parse(kept[MAX_TRACKED_PER_GROUP]![1].startedAt);
    const before = kept;
    kept = kept.filter(([, entry]) => Date.parse(entry.startedAt) > newestDropped);
    givenUp += before.filter(([, entry]) => !entry.final && Date.parse(entry.startedAt) <= newestDropped).length;
  }
  return { tracked: Object.fromEntries(kept), givenUp };
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
