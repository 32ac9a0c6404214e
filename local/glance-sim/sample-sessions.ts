import { glanceSessionSchema, GLANCE_SITES, type GlanceSession } from '../../shared/session.ts';

/** Valid Glance sessions for tests and local runs; seeded, so a failing case can be replayed. */

export const SAMPLE_ORG_ID = '00D5g000000AbCdEAK';

export function makeSession(overrides: Partial<GlanceSession> = {}): GlanceSession {
  return glanceSessionSchema.parse({
    id: '12345.4821.918273',
    sessionKey: '4821',
    groupId: 12345,
    site: 'production',
    type: 'G',
    status: 'A',
    startedAt: '2026-11-22T13:14:00Z',
    endedAt: null,
    host: { partnerUserId: 'agent-17', name: 'Ana Agent', email: 'ana@example.com' },
    guests: [{ name: 'Gil Guest', email: 'gil@example.org', phone: null, joinedAt: '2026-11-22T13:15:02Z' }],
    origin: { salesforceOrgId: SAMPLE_ORG_ID, recordId: '5005g00000XyZ12AAB' },
    customData: { user_email: 'gil@example.org' },
    joinUrl: 'https://www.glance.net/agentjoin/AgentJoin.aspx?groupid=12345&sessionkey=4821',
    ...overrides,
  });
}

export interface GenerateSessionsInput {
  seed: number;
  count: number;
  groupId: number;
  /** startedAt falls in [start, end). */
  start: Date;
  end: Date;
  site?: GlanceSession['site'] | 'mixed';
  /** Orgs that launch sessions; default one sample org. */
  orgIds?: string[];
  /** Share of sessions launched from Salesforce (with origin); default 0.6. */
  originRate?: number;
  partnerUserIds?: string[];
  /** Session types to pick from; default screen share, cobrowse and video. Glance's CRR documents cobrowse channels only. */
  types?: ReadonlyArray<GlanceSession['type']>;
  /** Share of sessions that have ended; default 0.7. */
  endedRate?: number;
}

const FIRST = ['Gil', 'Maya', 'Omar', 'Lena', 'Ravi', 'Sofia', 'Tom', 'Yuki', 'Ines', 'Kwame'];
const LAST = ['Guest', 'Okafor', 'Schmidt', 'Tanaka', 'Novak', 'Silva', 'Haddad', 'Larsen'];
const DOMAINS = ['example.org', 'example.com', 'example.net'];
const RECORD_PREFIXES = ['500', '003', '00Q', '006'];
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateSessions(input: GenerateSessionsInput): GlanceSession[] {
  const start = input.start.getTime();
  const end = input.end.getTime();
  if (!(Number.isFinite(start) && Number.isFinite(end) && start < end)) throw new RangeError('start must be a valid Date before end');
  if (!Number.isInteger(input.count) || input.count < 0) throw new RangeError('count must be a whole number >= 0');
  const random = mulberry32(input.seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T,>(items: readonly T[]): T => items[int(items.length)]!;
  const orgIds = input.orgIds ?? [SAMPLE_ORG_ID];
  const originRate = input.originRate ?? 0.6;
  const agents = input.partnerUserIds ?? ['agent-17', 'agent-23', 'agent-42'];
  // A small key space, so some session keys repeat across sessions as they do at Glance.
  const keys = Array.from({ length: Math.max(1, Math.ceil(input.count / 3)) }, () => String(1000 + int(9000)));

  const sessions = Array.from({ length: input.count }, (_, index): GlanceSession => {
    const startedAtMs = wholeSecondAtOrAfter(start + int(end - start), start);
    const ended = random() < (input.endedRate ?? 0.7);
    const endedAtMs = startedAtMs + (1 + int(60)) * 60_000;
    const sessionKey = pick(keys);
    const guests = Array.from({ length: int(4) }, () => {
      const first = pick(FIRST);
      const last = pick(LAST);
      const hasName = random() < 0.8;
      const hasEmail = random() < 0.75;
      const email = `${first}.${last}@${pick(DOMAINS)}`;
      return {
        name: hasName ? `${first} ${last}` : null,
        // Guests type their own email: mixed case shows up in real data.
        email: hasEmail ? (random() < 0.2 ? email : email.toLowerCase()) : null,
        phone: random() < 0.2 ? `+1555${String(1_000_000 + int(9_000_000))}` : null,
        joinedAt: random() < 0.9 ? iso(startedAtMs + int(300) * 1000) : null,
      };
    });
    const firstEmail = guests.find((g) => g.email)?.email ?? null;
    const agent = pick(agents);
    return glanceSessionSchema.parse({
      id: `${input.groupId}.${sessionKey}.${100_000 + index}`,
      sessionKey,
      groupId: input.groupId,
      site: input.site === undefined ? 'production' : input.site === 'mixed' ? pick(GLANCE_SITES) : input.site,
      type: pick(input.types ?? (['G', 'G', 'C', 'V'] as const)),
      status: ended ? (random() < 0.85 ? 'C' : 'X') : 'A',
      startedAt: iso(startedAtMs),
      endedAt: ended ? iso(endedAtMs) : null,
      host: { partnerUserId: agent, name: `Agent ${agent}`, email: `${agent}@example.com` },
      guests,
      origin:
        random() < originRate
          ? { salesforceOrgId: pick(orgIds), recordId: random() < 0.9 ? salesforceId(pick(RECORD_PREFIXES), random) : null }
          : null,
      customData: firstEmail && random() < 0.7 ? { user_email: firstEmail } : {},
      joinUrl: `https://www.glance.net/agentjoin/AgentJoin.aspx?groupid=${input.groupId}&sessionkey=${sessionKey}`,
    });
  });
  return sessions.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** An 18-character id with the real case-safe suffix, so code that checks it is not fooled. */
export function salesforceId(prefix: string, random: () => number = Math.random): string {
  let id = prefix;
  while (id.length < 15) id += ALNUM[Math.floor(random() * ALNUM.length)];
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) if (/[A-Z]/.test(id[chunk * 5 + i]!)) bits |= 1 << i;
    suffix += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'[bits];
  }
  return id + suffix;
}

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function wholeSecondAtOrAfter(ms: number, floor: number): number {
  const truncated = Math.floor(ms / 1000) * 1000;
  return truncated >= floor ? truncated : ms;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
