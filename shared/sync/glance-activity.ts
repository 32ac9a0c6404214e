import type { GlanceSession } from '../session.ts';

/**
 * The port the sync pulls Glance activity through. Its one adapter
 * (shared/adapters/glance-activity.ts) speaks Glance's Customer Records Retriever (CRR); nothing
 * here depends on that wire.
 */

/** What the group's CRR access needs (secret `group/{groupId}/glance`, written by `glance-sync groups credentials`). */
export interface GlanceActivityCredentials {
  /** The CRR service account Glance's representative issues, for `POST /api/auth/service`. */
  username: string;
  password: string;
  /** The group's API key (Glance: My Account > Settings); sent with the group id as partnerId. */
  apiKey: string;
  /** CRR documents no site: the site pulled sessions are recorded under (default production). */
  site: GlanceSession['site'];
}

export interface InvalidSession {
  raw: unknown;
  error: string;
}

export interface ActivityPage {
  groupId: number;
  /** The window being read; windows tile [from, to) in order, each at most 31 days. */
  window: { from: Date; to: Date };
  /** The page id this page was asked for with (0 on a window's first page). */
  pageId: string;
  /** Ended sessions only: CRR lists nothing that is still running. */
  sessions: GlanceSession[];
  /** Items that cannot be read as sessions: dead-letter them, never drop. */
  invalid: InvalidSession[];
  /**
   * Every session of [window.from, completeBefore) has now been yielded. CRR's paging order is not
   * documented, so this moves only when a window's last page has been read.
   */
  completeBefore: Date;
  windowDone: boolean;
  /** The last page of the whole range. */
  done: boolean;
}

export interface SessionsQuery {
  from: Date;
  to: Date;
}

export type GlanceActivityErrorCode =
  | 'login_refused'
  | 'token_refused'
  | 'api_key_refused'
  | 'bad_request'
  | 'rate_limited'
  | 'unavailable'
  | 'bad_response'
  | 'network';

/** A pull that cannot go on; `message` is written for the admin reading Sync History and never holds a secret. */
export class GlanceActivityError extends Error {
  override readonly name = 'GlanceActivityError';
  constructor(
    message: string,
    readonly code: GlanceActivityErrorCode,
    readonly status: number | null = null,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

export interface GlanceActivityClient {
  /** The group's ended sessions in [from, to), window by window and page by page. */
  sessions(groupId: number, query: SessionsQuery): AsyncGenerator<ActivityPage, void, undefined>;
  /** Signs in and reads one short range, so stored credentials are known to work; throws GlanceActivityError. */
  check(groupId: number, now: Date): Promise<void>;
}
