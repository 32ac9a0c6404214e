import { isFinalStatus, SESSION_TYPES, type GlanceSession } from './session.ts';

export type MessageSegment = { type: 'Text'; text: string } | { type: 'Link'; url: string };

export interface ChatterPost {
  sessionId: string;
  subjectId: string;
  segments: MessageSegment[];
}

/** Marks the post so a retry after a crash can find what an earlier attempt already posted. */
export const sessionMarker = (sessionId: string) => `[Glance session ${sessionId}]`;

/** Chatter's batch post takes at most 500 feed elements (Connect REST API, "Feed Elements, Batch Post"). */
export const CHATTER_BATCH_LIMIT = 500;

export type ChatterDecision = { post: true; subjectId: string } | { post: false; reason: string };

export const hasEnded = (session: GlanceSession): boolean => !!session.endedAt || isFinalStatus(session.status);

/**
 * One post per started session on the record it relates to, when the org wants it.
 * `reachedLive`: the first version of the session the pipeline took was still live (see
 * SessionLock.reachedLive); by default, whether this version is. A session that reached us live
 * gets its post even when the version written now has ended (a failed first try, an org that was
 * down): the outcome must not depend on when faults let the write through.
 */
export function chatterDecision(session: GlanceSession, chatterOn: boolean, relatedRecordId: string | null, reachedLive = !hasEnded(session)): ChatterDecision {
  if (!chatterOn) return { post: false, reason: 'Chatter When Starting Glance Session is off' };
  if (!relatedRecordId) return { post: false, reason: 'session is not related to a record' };
  if (!reachedLive) return { post: false, reason: 'session had already ended when it reached us' };
  return { post: true, subjectId: relatedRecordId };
}

export function chatterPost(session: GlanceSession, subjectId: string): ChatterPost {
  const who = session.host.name?.trim() || session.host.partnerUserId || 'An agent';
  const kind = SESSION_TYPES[session.type].toLowerCase();
  const segments: MessageSegment[] = [{ type: 'Text', text: `${who} started a Glance ${kind} session (key ${session.sessionKey}).` }];
  if (session.joinUrl) segments.push({ type: 'Text', text: ' Join: ' }, { type: 'Link', url: session.joinUrl });
  segments.push({ type: 'Text', text: ` ${sessionMarker(session.id)}` });
  return { sessionId: session.id, subjectId, segments };
}
