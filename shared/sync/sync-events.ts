import { isFinalStatus, type GlanceSession, type SessionEvent, type WebhookEventType } from '../session.ts';

/**
 * A pulled session becomes the same kind of event a webhook delivers. The event id depends only
 * on the session's state, so pulling the same state twice (a re-run, an overlapping window, a
 * second org paired with the group) yields the same id and the processor's dedupe drops it.
 */
export function syncEventId(session: GlanceSession): string {
  return `sync:${session.id}:${session.status}:${session.endedAt ?? ''}`;
}

export function syncEventType(session: GlanceSession): WebhookEventType {
  return session.endedAt !== null || isFinalStatus(session.status) ? 'session.ended' : 'session.updated';
}

/**
 * The instant the snapshot reflects, not when it was pulled: the processor keeps the newest
 * occurredAt per session, and a pull time would let a stale snapshot overwrite a newer webhook.
 */
export function snapshotInstant(session: GlanceSession): string {
  if (session.endedAt !== null) return session.endedAt;
  let latest: string | null = null;
  for (const guest of session.guests) {
    if (guest.joinedAt !== null && (latest === null || Date.parse(guest.joinedAt) > Date.parse(latest))) latest = guest.joinedAt;
  }
  return latest ?? session.startedAt;
}

export function toSyncEvent(session: GlanceSession): SessionEvent {
  return { eventId: syncEventId(session), source: 'sync', type: syncEventType(session), occurredAt: snapshotInstant(session), session };
}

export function isSessionFinal(session: GlanceSession): boolean {
  return session.endedAt !== null || isFinalStatus(session.status);
}
