import { describe, expect, it } from 'vitest';
import { fromCrrSession } from '../../shared/glance/crr-session.ts';
import { GLANCE_STATUS_CODES, GLANCE_STATUSES, statusFromCrr } from '../../shared/glance/session-status.ts';
import { glanceSessionSchema } from '../../shared/session.ts';
import { DOCUMENTED_CRR_SAMPLE } from '../../local/glance-sim/crr.ts';
import { makeSession } from '../../local/glance-sim/sample-sessions.ts';

const CONTEXT = { groupId: 12345, site: 'production' as const };
const map = (raw: unknown) => fromCrrSession(raw, CONTEXT);
const sessionOf = (raw: unknown) => {
  const mapped = map(raw);
  if (!mapped.ok) throw new Error(mapped.error);
  return mapped.session;
};
type Leg = Record<string, unknown>;
const withLegs = (...legs: Leg[]) => ({ ...DOCUMENTED_CRR_SAMPLE, channels: [{ ...DOCUMENTED_CRR_SAMPLE.channels[0], legs }] });
const visitor = (extra: Record<string, unknown>, more: Leg = {}): Leg => ({ type: 'host', participant_type: 'visitor', started_at: '2023-08-14T17:36:02.000Z', extra, ...more });
const agent = (more: Leg = {}): Leg => ({ type: 'viewer', participant_type: 'agent', started_at: '2023-08-14T17:36:06.000Z', ...more });

describe('a CRR session as documented becomes our session', () => {
  it('the documented sample: visitor leg → guest, agent leg → host, completed → C', () => {
    expect(sessionOf(DOCUMENTED_CRR_SAMPLE)).toEqual({
      id: '111111111',
      sessionKey: '5555',
      groupId: 12345,
      site: 'production',
      type: 'C',
      status: 'C',
      startedAt: '2023-08-14T17:36:06.000Z',
      endedAt: '2023-08-14T17:38:23.000Z',
      // The sample's agent leg has no extra: no name or email to show, and participant_id is not documented as a PartnerUserId.
      host: { partnerUserId: null, name: null, email: null },
      guests: [{ name: 'Guy Example', email: 'guy@example.com', phone: '555-123-4567', joinedAt: '2023-08-14T17:36:02.000Z' }],
      // Nothing documented says which Salesforce org or record a session came from; xid is carried for record mappings.
      origin: null,
      customData: { xid: '1234123412342134', agent_participant_id: '77777777' },
      joinUrl: null,
    });
  });

  it('the earliest agent is the host; other agents are not guests (they must never become Leads)', () => {
    const session = sessionOf(
      withLegs(
        agent({ participant_id: 'late', started_at: '2023-08-14T17:37:00.000Z', extra: { name: 'Second Agent' } }),
        visitor({ name: 'Guy Example' }),
        agent({ participant_id: 'first', extra: { name: 'Ana Agent', email: 'ana@example.com' } }),
        { type: 'viewer', participant_type: 'supervisor', extra: { name: 'Not documented' } },
      ),
    );
    expect(session.host).toEqual({ partnerUserId: null, name: 'Ana Agent', email: 'ana@example.com' });
    expect(session.guests.map((g) => g.name)).toEqual(['Guy Example']);
    expect(session.customData.agent_participant_id).toBe('first');
  });

  it('one visitor in two channels is one guest; two anonymous visitors stay two', () => {
    const twoChannels = {
      ...DOCUMENTED_CRR_SAMPLE,
      channels: [
        { type: 'cobrowse', legs: [visitor({ name: 'Guy Example', email: 'Guy@Example.com' }, { participant_id: 'v1' })] },
        { type: 'cobrowse', legs: [visitor({ phone: '555-123-4567' }, { participant_id: 'v1', started_at: '2023-08-14T17:37:00.000Z' })] },
      ],
    };
    expect(sessionOf(twoChannels).guests).toEqual([{ name: 'Guy Example', email: 'Guy@Example.com', phone: '555-123-4567', joinedAt: '2023-08-14T17:36:02.000Z' }]);
    expect(sessionOf(withLegs(visitor({}), visitor({}))).guests).toHaveLength(2);
    expect(sessionOf(withLegs(visitor({ email: 'a@example.org' }), visitor({ email: 'A@example.org' }))).guests).toHaveLength(1);
  });

  it('keeps the session when the agent email is malformed, and clips long visitor fields', () => {
    const session = sessionOf(withLegs(agent({ extra: { email: 'not an email' } }), visitor({ name: 'n'.repeat(300), phone: '5'.repeat(60) })));
    expect(session.host.email).toBeNull();
    expect(session.guests[0]!.name).toHaveLength(255);
    expect(session.guests[0]!.phone).toHaveLength(40);
  });

  it('reads numeric ids as text', () => {
    expect(sessionOf({ ...DOCUMENTED_CRR_SAMPLE, id: 111111111, key: 5555 })).toMatchObject({ id: '111111111', sessionKey: '5555' });
  });
});

describe('what cannot be read is refused with the field named', () => {
  it.each([
    ['no end time (CRR lists ended sessions)', { ...DOCUMENTED_CRR_SAMPLE, ended_at: null }, /^session\.ended_at: /],
    ['a start time that is not ISO-8601', { ...DOCUMENTED_CRR_SAMPLE, started_at: '14/08/2023' }, /^session\.started_at: /],
    ['no channels', { ...DOCUMENTED_CRR_SAMPLE, channels: [] }, /^session\.channels: no channel of a documented type \(got none; documented: cobrowse\)/],
    ['only undocumented channel types', { ...DOCUMENTED_CRR_SAMPLE, channels: [{ type: 'screenshare', legs: [] }] }, /got "screenshare"; documented: cobrowse/],
    ['a session id our records cannot hold', { ...DOCUMENTED_CRR_SAMPLE, id: "1' OR 1=1" }, /^session\.id: Glance session id/],
    ['a leg without participant_type', withLegs({ type: 'host', extra: { name: 'x' } }), /^session\.channels\[0\]\.legs\[0\]\.participant_type/],
  ])('%s', (_name, raw, message) => {
    const mapped = map(raw);
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.error).toMatch(message);
  });

  it('never puts a guest value in the error', () => {
    const mapped = map({ ...withLegs(visitor({ email: 'secret.guest@example.org' })), ended_at: 'later' });
    expect(!mapped.ok && mapped.error).not.toContain('secret.guest');
  });
});

describe('Glance status codes', () => {
  it('accepts every documented code, C and X alone documented final', () => {
    expect(GLANCE_STATUS_CODES).toEqual(['W', 'A', 'C', 'X', 'T', 'Q', 'J', 'L', 'D', 'E', 'K', 'U']);
    expect(GLANCE_STATUS_CODES.filter((code) => GLANCE_STATUSES[code].documentedFinal)).toEqual(['C', 'X']);
    for (const status of GLANCE_STATUS_CODES) expect(glanceSessionSchema.safeParse(makeSession({ status })).success).toBe(true);
    expect(glanceSessionSchema.safeParse({ ...makeSession(), status: 'Z' }).error?.issues[0]?.message).toMatch(/W A C X T Q J L D E K U/);
  });

  it.each([
    ['completed', 'C', true],
    ['Completed', 'C', true],
    ['ended', 'X', true],
    ['T', 'T', true],
    ['K', 'K', true],
    ['timedout', 'U', false],
  ] as const)('CRR status %s is recorded as %s', (word, code, known) => {
    expect(statusFromCrr(word)).toEqual({ code, known });
  });

  it('keeps an undocumented status word for the admin, recorded as U (ended in an unknown state)', () => {
    const session = sessionOf({ ...DOCUMENTED_CRR_SAMPLE, status: 'abandoned' });
    expect(session.status).toBe('U');
    expect(session.customData.crr_status).toBe('abandoned');
    expect(session.endedAt).not.toBeNull();
  });
});
