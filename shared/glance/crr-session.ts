import { z } from 'zod';
import { describeIssues, glanceSessionSchema, type GlanceSession } from '../session.ts';
import { statusFromCrr } from './session-status.ts';

/**
 * Glance's Customer Records Retriever (CRR) reply and how one of its sessions becomes our session
 * shape. Source: help.glance.net/integrations/webservices/crr/ and help.glance.cx/webservices/crr/
 * (facts file §8). Only the opening of those pages could be read: the fields below are the
 * documented ones; everything marked [UNK] is not documented and is not guessed.
 *
 * Objects are read leniently (unknown fields ignored): Glance may add fields, and a reply we do not
 * control must not fail whole pages for a field we do not use. Fields we use are checked.
 */
const isoInstant = z.iso.datetime({ offset: true });
const idText = z.union([z.string(), z.number()]).transform(String);

const crrLegSchema = z.object({
  /** "host" or "viewer": the leg's role in the channel, not who the participant is. */
  type: z.string().nullish(),
  /** "visitor" or "agent" [DOC]; other values are not documented and are skipped. */
  participant_type: z.string(),
  /** [UNK] what this id is: the sample ("77777777") looks like a Glance-internal id, not the customer's PartnerUserId. */
  participant_id: idText.nullish(),
  participant_role: z.string().nullish(),
  started_at: isoInstant.nullish(),
  ended_at: isoInstant.nullish(),
  /** name, email, phone "when supplied" [DOC]. */
  extra: z.object({ name: z.string().nullish(), email: z.string().nullish(), phone: z.string().nullish() }).nullish(),
});

const crrChannelSchema = z.object({
  /** e.g. "cobrowse" [DOC]; the names of screen share and video channels are [UNK]. */
  type: z.string(),
  id: idText.nullish(),
  key: idText.nullish(),
  remote_assist_accepted: z.boolean().nullish(),
  legs: z.array(crrLegSchema),
});

export const crrSessionSchema = z.object({
  id: idText,
  key: idText,
  status: z.string(),
  started_at: isoInstant,
  /** The endpoint lists ended sessions only, so an end time is required. */
  ended_at: isoInstant,
  /** `xid` is documented as present; what it holds is [UNK]. */
  extra: z.object({ xid: idText.nullish() }).nullish(),
  channels: z.array(crrChannelSchema),
});
export type CrrSession = z.input<typeof crrSessionSchema>;

/**
 * A page of `POST /api/crr/sessions/ended`. `nextPageId` is documented on later page versions;
 * how the last page is marked is [UNK] (see `isLastCrrPage`).
 */
export const crrPageSchema = z.object({
  sessions: z.array(z.unknown()),
  nextPageId: z.union([z.number(), z.string()]).nullish(),
});
export type CrrPage = z.infer<typeof crrPageSchema>;

/**
 * The end of paging is not documented. Read as the end: no `nextPageId` (null or absent), a
 * `nextPageId` of 0 (the documented first page id, so it cannot name a further page), or a page
 * with no sessions.
 */
export function isLastCrrPage(page: CrrPage): boolean {
  return page.nextPageId === null || page.nextPageId === undefined || String(page.nextPageId) === '0' || page.sessions.length === 0;
}

/** Channel type → our session type. Only "cobrowse" is documented; add others here once Glance confirms their names. */
export const CRR_CHANNEL_TYPES: Readonly<Record<string, GlanceSession['type']>> = { cobrowse: 'C' };

export interface CrrContext {
  groupId: number;
  /** CRR documents no site: pulled sessions are recorded under the site the group's credentials name. */
  site: GlanceSession['site'];
}

export type CrrMapping = { ok: true; session: GlanceSession } | { ok: false; error: string };

const validEmail = z.email().max(254);
const clip = (value: string | null | undefined, max: number): string | null => {
  const text = value?.trim();
  return text ? text.slice(0, max) : null;
};

/**
 * One CRR session → our session. Host: the earliest agent leg; guests: the visitor legs, one per
 * participant. What CRR does not document stays empty rather than guessed: origin (no Salesforce
 * org or record is documented; `extra.xid` is kept as custom data `xid`, so an admin's record
 * mapping can use it), the host's PartnerUserId (kept as custom data `agent_participant_id`), and
 * the join URL (an ended session has none). Errors name the field, never a guest's value.
 */
export function fromCrrSession(raw: unknown, context: CrrContext, path = 'session'): CrrMapping {
  const parsed = crrSessionSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error, path) };
  const crr = parsed.data;

  const types = crr.channels.map((c) => c.type);
  const type = types.map((t) => CRR_CHANNEL_TYPES[t.toLowerCase()]).find((t) => t !== undefined);
  if (!type) {
    return {
      ok: false,
      error: `${path}.channels: no channel of a documented type (got ${types.length ? types.map((t) => JSON.stringify(t.slice(0, 40))).join(', ') : 'none'}; documented: ${Object.keys(CRR_CHANNEL_TYPES).join(', ')})`,
    };
  }

  const legs = crr.channels.flatMap((c) => c.legs);
  const byStart = (a: { started_at?: string | null | undefined }, b: { started_at?: string | null | undefined }) =>
    Date.parse(a.started_at ?? crr.started_at) - Date.parse(b.started_at ?? crr.started_at);
  const agent = legs.filter((l) => l.participant_type.toLowerCase() === 'agent').sort(byStart)[0];
  const hostEmail = clip(agent?.extra?.email, 254);

  const guests = new Map<string, GlanceSession['guests'][number]>();
  for (const leg of legs.filter((l) => l.participant_type.toLowerCase() === 'visitor').sort(byStart)) {
    const guest = {
      name: clip(leg.extra?.name, 255),
      email: clip(leg.extra?.email, 254),
      phone: clip(leg.extra?.phone, 40),
      joinedAt: leg.started_at ?? null,
    };
    // One visitor appears once per channel (cobrowse plus video, a rejoin): one guest each. Legs
    // with nothing to tell them apart are kept apart: two anonymous visitors are two guests.
    const anonymous = !leg.participant_id && !guest.name && !guest.email && !guest.phone;
    const identity = leg.participant_id
      ? `id:${leg.participant_id}`
      : anonymous
        ? `leg:${guests.size}`
        : `who:${guest.name}|${guest.email?.toLowerCase()}|${guest.phone}`;
    const seen = guests.get(identity);
    if (!seen) guests.set(identity, guest);
    else guests.set(identity, { name: seen.name ?? guest.name, email: seen.email ?? guest.email, phone: seen.phone ?? guest.phone, joinedAt: seen.joinedAt ?? guest.joinedAt });
  }

  const status = statusFromCrr(crr.status);
  const customData: Record<string, string> = {};
  if (crr.extra?.xid) customData.xid = crr.extra.xid.slice(0, 1000);
  if (agent?.participant_id) customData.agent_participant_id = agent.participant_id.slice(0, 1000);
  if (!status.known) customData.crr_status = crr.status.slice(0, 1000);

  const session = glanceSessionSchema.safeParse({
    id: crr.id,
    sessionKey: crr.key,
    groupId: context.groupId,
    site: context.site,
    type,
    status: status.code,
    startedAt: crr.started_at,
    endedAt: crr.ended_at,
    host: {
      partnerUserId: null,
      name: clip(agent?.extra?.name, 255),
      // The host's email is checked as an email: a malformed one is dropped, not the session.
      email: hostEmail && validEmail.safeParse(hostEmail).success ? hostEmail : null,
    },
    guests: [...guests.values()].slice(0, 100),
    origin: null,
    customData,
    joinUrl: null,
  });
  if (!session.success) return { ok: false, error: describeIssues(session.error, path) };
  return { ok: true, session: session.data };
}
