import type { GlanceSession } from '../../shared/session.ts';

/**
 * Our session shape → a CRR `sessions[]` item as the simulator serves it, following the documented
 * sample of help.glance.net/integrations/webservices/crr/ (facts file §8).
 *
 * Where the documentation says nothing, the simulator has to pick something; each pick is marked
 * [UNK] and the client must not depend on it:
 * - status words: "completed" for a clean close (C) [DOC]; "ended" for every other ended state [UNK].
 * - channel type names: "cobrowse" [DOC]; "screenshare" and "video" [UNK] (the client refuses
 *   them until Glance documents the names, so tests and the demo use cobrowse sessions).
 * - agent legs carrying `extra.name`/`extra.email` [UNK]; visitor legs carry them [DOC].
 * - `participant_id` on the agent leg holds the host's PartnerUserId [UNK: the sample's value
 *   looks like a Glance-internal id]; visitor legs have none, as in the sample.
 * - `extra.xid` is sent when the session's custom data has a string `xid` [UNK what Glance puts there].
 */
export function toCrrSession(session: GlanceSession): Record<string, unknown> {
  const iso = (value: string) => new Date(value).toISOString();
  const endedAt = session.endedAt ? iso(session.endedAt) : null;
  const xid = typeof session.customData.xid === 'string' ? session.customData.xid : null;
  const agentLeg = {
    type: 'viewer',
    participant_type: 'agent',
    ...(session.host.partnerUserId ? { participant_id: session.host.partnerUserId } : {}),
    participant_role: 'Agent',
    started_at: iso(session.startedAt),
    ended_at: endedAt,
    extra: { name: session.host.name, email: session.host.email },
  };
  const visitorLegs = session.guests.map((guest) => ({
    type: 'host',
    participant_type: 'visitor',
    started_at: iso(guest.joinedAt ?? session.startedAt),
    ended_at: endedAt,
    extra: { name: guest.name, email: guest.email, phone: guest.phone },
  }));
  return {
    id: session.id,
    key: session.sessionKey,
    status: session.status === 'C' ? 'completed' : 'ended',
    started_at: iso(session.startedAt),
    ended_at: endedAt,
    extra: xid === null ? {} : { xid },
    channels: [
      {
        type: CHANNEL_NAMES[session.type],
        id: session.id,
        key: session.sessionKey,
        remote_assist_accepted: false,
        legs: [...visitorLegs, agentLeg],
      },
    ],
  };
}

const CHANNEL_NAMES: Record<GlanceSession['type'], string> = { C: 'cobrowse', G: 'screenshare', V: 'video' };

/** The documented sample reply item, verbatim in shape (values from the page). */
export const DOCUMENTED_CRR_SAMPLE = {
  id: '111111111',
  key: '5555',
  status: 'completed',
  started_at: '2023-08-14T17:36:06.000Z',
  ended_at: '2023-08-14T17:38:23.000Z',
  extra: { xid: '1234123412342134' },
  channels: [
    {
      type: 'cobrowse',
      id: '111111111',
      key: '5555',
      remote_assist_accepted: true,
      legs: [
        {
          type: 'host',
          participant_type: 'visitor',
          started_at: '2023-08-14T17:36:02.000Z',
          ended_at: '2023-08-14T17:38:22.000Z',
          extra: { name: 'Guy Example', email: 'guy@example.com', phone: '555-123-4567' },
        },
        {
          type: 'viewer',
          participant_type: 'agent',
          participant_id: '77777777',
          participant_role: 'AgentRole1',
          started_at: '2023-08-14T17:36:06.000Z',
          ended_at: '2023-08-14T17:38:23.000Z',
        },
      ],
    },
  ],
} as const;
