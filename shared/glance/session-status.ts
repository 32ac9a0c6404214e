/**
 * Glance's session status codes and what the pipeline does with each.
 *
 * Source: Glance Activity Service "Session status" pages, help.glance.net/integrations/webservices/activity/status
 * and glancedocs.pages.dev/developer/legacy_api/activity/status (see
 * ../shared/reference/glance-activity-service-facts.md §5). The two sites agree on W A C X T Q J L
 * and disagree on D, E, K, U; both readings are kept below. Documented: every A becomes C or X, and
 * C and X are final (both count as a successful interaction). Nothing is documented about whether
 * T, Q, D, E, K, U can still change; we treat them as ended because both sites describe an end
 * (time-out, quit, drop, error, kill, unknown end), and say so here rather than hide it.
 *
 * On the Glance Session record the code is written as is to Status__c (a 1-character text field),
 * and End_Time__c says whether the session has ended. A session with an end time is final for the
 * pipeline whatever its code (sync-events.ts).
 */
export interface GlanceStatus {
  /** help.glance.net's wording. */
  meaning: string;
  /** glancedocs' wording where it differs. */
  altMeaning?: string;
  /** Documented as final (C, X only). */
  documentedFinal: boolean;
  /** The session is over: documented for C and X, inferred from the wording for the others. */
  ended: boolean;
}

export const GLANCE_STATUSES = {
  W: { meaning: 'waiting: the other side has not joined', documentedFinal: false, ended: false },
  A: { meaning: 'active: both sides joined', documentedFinal: false, ended: false },
  C: { meaning: 'completed with a clean end', documentedFinal: true, ended: true },
  X: { meaning: 'ended without a clean close (tab closed, network lost)', documentedFinal: true, ended: true },
  T: { meaning: 'timed out while waiting', documentedFinal: false, ended: true },
  Q: { meaning: 'quit while waiting, before the other side joined', documentedFinal: false, ended: true },
  J: { meaning: 'being set up, waiting for a cobrowse/screen share server', documentedFinal: false, ended: false },
  L: { meaning: 'locked (rare, screen share only)', documentedFinal: false, ended: false },
  D: { meaning: 'dropped', altMeaning: 'guest declined a screen share view session', documentedFinal: false, ended: true },
  E: { meaning: 'error', altMeaning: 'could not connect to the Cobrowse Asset Management service', documentedFinal: false, ended: true },
  K: { meaning: 'killed', altMeaning: '(not listed on glancedocs)', documentedFinal: false, ended: true },
  U: { meaning: 'unknown', altMeaning: 'ended in an unknown state', documentedFinal: false, ended: true },
} as const satisfies Record<string, GlanceStatus>;

export type GlanceStatusCode = keyof typeof GLANCE_STATUSES;
export const GLANCE_STATUS_CODES = Object.keys(GLANCE_STATUSES) as GlanceStatusCode[];

export function isGlanceStatusCode(value: string): value is GlanceStatusCode {
  return Object.hasOwn(GLANCE_STATUSES, value);
}

/**
 * CRR replies carry a status word, not a letter (documented samples: "completed" on
 * `/sessions/completed`, "ended" on an older copy of the page). The words for sessions without a
 * clean close on `/sessions/ended` are not documented.
 * - "completed": a clean close, which is what C means [DOC].
 * - "ended": [INF] on `/sessions/ended` clean closes are "completed", so "ended" is read as the
 *   other documented final state, X. An older page showed "ended" for clean closes; either way the
 *   session is final and recorded with its end time.
 * - a single documented letter is taken as is (in case CRR answers with Activity Service codes).
 * - any other word: U ("ended in an unknown state"): CRR lists ended sessions only, so the session
 *   is over; the word itself is kept in the session's custom data as `crr_status` for the admin.
 */
export function statusFromCrr(word: string): { code: GlanceStatusCode; known: boolean } {
  const trimmed = word.trim();
  if (isGlanceStatusCode(trimmed)) return { code: trimmed, known: true };
  const lower = trimmed.toLowerCase();
  if (lower === 'completed') return { code: 'C', known: true };
  if (lower === 'ended') return { code: 'X', known: true };
  return { code: 'U', known: false };
}
