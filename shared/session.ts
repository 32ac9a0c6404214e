import { z } from 'zod';
import { salesforceId18 } from './salesforce-id.ts';
import { inSalesforceDateTimeRange, parseSalesforceDateTime } from './salesforce-values.ts';

/** Milliseconds of an ISO instant, years before 100 included (Date.parse reads those as 19xx). */
function instantMillis(text: string): number {
  return parseSalesforceDateTime(text.replace(/(\.\d{3})\d+/, '$1')) ?? Number.NaN;
}
import { GLANCE_STATUS_CODES, isGlanceStatusCode } from './glance/session-status.ts';

/**
 * The Glance session, one shape for webhooks and pulled activity (BRIEF: "The Glance session").
 * Strict objects: a field we do not know is refused by name rather than silently dropped.
 */
// An instant Salesforce cannot hold (before 1700, after 4000) is one Glance can never validly send.
const isoInstant = z.iso
  .datetime({ offset: true })
  .refine((text) => inSalesforceDateTimeRange(instantMillis(text)), 'an instant between 1700-01-01 and 4000-12-31');
const text = (max: number) => z.string().max(max);

export const GLANCE_SITES = ['production', 'staging'] as const;
export const SESSION_TYPES = { G: 'Screen Share', C: 'Cobrowse', V: 'Video' } as const;
/** Glance Activity Service status codes (glance/session-status.ts); C (completed) and X (ended without a clean close) are final. */
export const FINAL_STATUSES = ['C', 'X'] as const;

export const hostSchema = z.strictObject({
  partnerUserId: text(255).nullable(),
  name: text(255).nullable(),
  email: z.email().max(254).nullable(),
});

export const guestSchema = z.strictObject({
  name: text(255).nullable(),
  // Guests type their own email: kept as text and checked later, so one odd guest never loses the session.
  email: text(254).nullable(),
  phone: text(40).nullable(),
  joinedAt: isoInstant.nullable(),
});

const salesforceId = z
  .string()
  .regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'a 15 or 18 character Salesforce id')
  .refine((text) => salesforceId18(text) !== undefined, 'a Salesforce id whose last 3 characters are the checksum of the first 15');

export const originSchema = z.strictObject({
  salesforceOrgId: salesforceId.refine((text) => salesforceId18(text)?.startsWith('00D') === true, 'a Salesforce org id (00D…)'),
  recordId: salesforceId.nullable(),
});

export const glanceSessionSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/, 'Glance session id: 1-80 of A-Z a-z 0-9 . _ : -'),
  sessionKey: z.string().regex(/^[A-Za-z0-9_-]{1,50}$/, 'session key: 1-50 of A-Z a-z 0-9 _ -'),
  groupId: z.number().int().positive(),
  site: z.enum(GLANCE_SITES),
  type: z.enum(['G', 'C', 'V']),
  status: z.string().refine((value: string): boolean => isGlanceStatusCode(value), `one upper-case Glance status code: ${GLANCE_STATUS_CODES.join(' ')}`),
  startedAt: isoInstant,
  endedAt: isoInstant.nullable(),
  host: hostSchema,
  guests: z.array(guestSchema).max(100),
  origin: originSchema.nullable(),
  customData: z.record(text(100), z.union([text(1000), z.number(), z.boolean(), z.null()])).refine(
    (value) => Object.keys(value).length <= 50,
    'at most 50 custom data keys',
  ),
  joinUrl: z.url({ protocol: /^https?$/ }).max(1000).nullable(),
});
export type GlanceSession = z.infer<typeof glanceSessionSchema>;

export const WEBHOOK_EVENT_TYPES = ['session.started', 'session.updated', 'session.ended'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const webhookEventSchema = z.strictObject({
  type: z.enum(WEBHOOK_EVENT_TYPES),
  occurredAt: isoInstant,
  session: glanceSessionSchema,
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/**
 * What travels on the events queue, whichever way the session arrived. `eventId` is the
 * idempotency key: the webhook-id for webhooks, a content-derived id for pulled activity.
 */
export const sessionEventSchema = z.strictObject({
  eventId: z.string().min(1).max(300),
  source: z.enum(['webhook', 'sync']),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  occurredAt: isoInstant,
  session: glanceSessionSchema,
  /**
   * Set when the event was split off for one org (that org failed or was paused while the
   * others succeeded), so a retry or a redrive touches that org only.
   */
  onlyOrgId: z.string().regex(/^00D[a-zA-Z0-9]{12,15}$/).optional(),
  /** How many times this org's share was tried already, and since when it waits. */
  attempt: z.number().int().min(0).max(1000).optional(),
  waitingSince: isoInstant.optional(),
  /**
   * Set on a share split off from the session's first applied version: its retry is still the
   * first version in that org, so a pull's inferred values may be written (session-sources.ts).
   */
  firstVersion: z.literal(true).optional(),
  /**
   * The sync run that queued the event (pulled activity only): the processor attributes what the
   * event did in that run's org to the run, for Sync History.
   */
  syncRun: z.strictObject({ orgId: z.string().regex(/^00D[a-zA-Z0-9]{12,15}$/), runId: z.string().min(1).max(200) }).optional(),
});
export type SessionEvent = z.infer<typeof sessionEventSchema>;

/** Names the first problem the way a caller can fix it: `session.guests[0].email: Invalid email`. */
export function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].filter(Boolean).join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
      return `${path || '(body)'}: ${issue.message}`;
    })
    .join('; ');
}

export function isFinalStatus(status: string): boolean {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}
