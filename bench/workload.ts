import { id18 } from '../local/salesforce-sim/index.ts';
import { mulberry32 } from '../local/glance-sim/sample-sessions.ts';
import type { GlanceSession } from '../shared/session.ts';
import { BENCH_ORGS, GROUP_A, GROUP_B } from './orgs.ts';
import { expectationsFor, type OrgExpectation } from './expectations.ts';

export interface WorkloadOptions {
  sessions: number;
  seed: number;
}

export interface Seed {
  orgId: string;
  sobject: 'Lead' | 'Case' | 'Contact';
  fields: Record<string, unknown>;
}

export interface Workload {
  options: WorkloadOptions;
  /** Each session as its session.started webhook carries it. */
  sessions: GlanceSession[];
  /** The same sessions once ended (3 to 42 minutes later), as a scheduled sync pulls them. */
  ended: GlanceSession[];
  /** Whether the scheduled sync pulls the session again after it ended (about 30%). */
  overlapping: boolean[];
  /** Guest emails that are already Leads in every org (lower-case). */
  knownEmails: Set<string>;
  seeds: Seed[];
  expected: Map<string, OrgExpectation>;
  stats: {
    sessions: number;
    screenShare: number;
    guests: number;
    launchedFromRecord: number;
    overlapping: number;
    arrivals: number;
    webhooks: number;
    syncEvents: number;
    distinctGuestEmails: number;
    knownGuestEmails: number;
  };
}

const FIRST = ['Gil', 'Maya', 'Omar', 'Lena', 'Ravi', 'Sofia', 'Tom', 'Yuki', 'Ines', 'Kwame', 'Ana', 'Piotr'];
const LAST = ['Guest', 'Okafor', 'Schmidt', 'Tanaka', 'Novak', 'Silva', 'Haddad', 'Larsen', 'Moreau'];
const DOMAINS = ['example.org', 'example.com', 'example.net', 'mail.example'];
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The workload's day; the scenarios of bench/sim/timeline.ts place arrivals from here. */
export const DAY = Date.parse('2026-11-23T00:00:00Z');

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Deterministic ids, so the pipeline's and the baseline's simulators hold the same records. */
function recordId(prefix: string, orgIndex: number, n: number): string {
  let body = '';
  for (let i = 0, v = n; i < 9; i++, v = Math.floor(v / 62)) body = BASE62[v % 62] + body;
  return id18(`${prefix}Bn${orgIndex}${body}`);
}

interface Person {
  name: string | null;
  email: string | null;
  known: boolean;
}

/**
 * The contact-centre day of issue 6, seeded: 60% screen share with one to three guests, a guest
 * pool smaller than the guest slots (repeat guests), 40% of guest emails already Leads, a quarter
 * of sessions launched from a Case or Contact, and 30% of sessions pulled again by the scheduled sync.
 */
export function generateWorkload(options: WorkloadOptions): Workload {
  const random = mulberry32(options.seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const n = options.sessions;

  const people: Person[] = Array.from({ length: Math.max(20, Math.round(n * 0.6)) }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    const hasEmail = random() < 0.92;
    // A few guests type something that is not an address: no Lead, and no call spent on it.
    const email = !hasEmail ? null : random() < 0.03 ? `${first} at ${last}` : `${first}.${last}.${i}@${pick(DOMAINS)}`.toLowerCase();
    return { name: random() < 0.88 ? `${first} ${last}` : null, email, known: email !== null && email.includes('@') && random() < 0.4 };
  });

  const seeds: Seed[] = [];
  const recordPools = new Map<string, string[]>();
  BENCH_ORGS.forEach(({ org }, orgIndex) => {
    for (const p of people) {
      if (p.known) seeds.push({ orgId: org.orgId, sobject: 'Lead', fields: { LastName: p.name ?? 'Known', Company: 'Known Co', Email: p.email, LeadSource: 'Web' } });
    }
    const pool: string[] = [];
    const size = Math.max(10, Math.ceil(n / 40));
    for (let i = 0; i < size; i++) {
      const isCase = i % 5 < 3;
      const Id = recordId(isCase ? '500' : '003', orgIndex, i);
      seeds.push({ orgId: org.orgId, sobject: isCase ? 'Case' : 'Contact', fields: isCase ? { Id, Subject: `Ticket ${i}` } : { Id, LastName: `Customer ${i}` } });
      pool.push(Id);
    }
    recordPools.set(org.orgId, pool);
  });

  const [production, sandbox, groupB] = BENCH_ORGS.map((o) => o.org.orgId) as [string, string, string];
  const agents = Array.from({ length: 25 }, (_, i) => ({ partnerUserId: `agent-${i + 1}`, name: `Agent ${i + 1}`, email: `agent${i + 1}@support.example` }));
  const starts = Array.from({ length: n }, () => DAY + int(86_400) * 1000).sort((a, b) => a - b);

  const sessions: GlanceSession[] = [];
  const ended: GlanceSession[] = [];
  const overlapping: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const groupId = random() < 0.6 ? GROUP_A : GROUP_B;
    const type = random() < 0.6 ? 'G' : random() < 0.6 ? 'C' : 'V';
    const startedAt = starts[i]!;
    const guests = Array.from({ length: type === 'G' ? 1 + int(3) : int(2) }, () => {
      const p = pick(people);
      // Guests type their own email: some in capitals.
      const email = p.email && random() < 0.15 ? p.email.toUpperCase() : p.email;
      return { name: p.name, email, phone: random() < 0.2 ? `+1555${1_000_000 + int(9_000_000)}` : null, joinedAt: iso(startedAt + int(110) * 1000) };
    });
    let origin: GlanceSession['origin'] = null;
    if (random() < 0.25) {
      const orgId = groupId === GROUP_B ? groupB : random() < 0.7 ? production : sandbox;
      origin = { salesforceOrgId: orgId, recordId: pick(recordPools.get(orgId)!) };
    }
    const key = String(1000 + int(9000));
    const agent = pick(agents);
    const session: GlanceSession = {
      id: `${groupId}.${key}.${700_000 + i}`,
      sessionKey: key,
      groupId,
      site: random() < 0.9 ? 'production' : 'staging',
      type,
      status: 'A',
      startedAt: iso(startedAt),
      endedAt: null,
      host: agent,
      guests,
      origin,
      customData: guests[0]?.email && random() < 0.5 ? { user_email: guests[0].email } : {},
      joinUrl: `https://www.glance.net/agentjoin/AgentJoin.aspx?groupid=${groupId}&sessionkey=${key}`,
    };
    sessions.push(session);
    ended.push({ ...session, status: 'C', endedAt: iso(startedAt + (3 + int(40)) * 60_000) });
    overlapping.push(random() < 0.3);
  }

  const known = new Set(people.filter((p) => p.known).map((p) => p.email!));
  const usedEmails = new Set(sessions.flatMap((s) => s.guests.map((g) => g.email?.toLowerCase()).filter((e): e is string => !!e?.includes('@'))));
  return {
    options,
    sessions,
    ended,
    overlapping,
    knownEmails: known,
    seeds,
    expected: expectationsFor(sessions, overlapping, known),
    stats: {
      sessions: n,
      screenShare: sessions.filter((s) => s.type === 'G').length,
      guests: sessions.reduce((sum, s) => sum + s.guests.length, 0),
      launchedFromRecord: sessions.filter((s) => s.origin).length,
      overlapping: overlapping.filter(Boolean).length,
      arrivals: n + overlapping.filter(Boolean).length,
      webhooks: n,
      syncEvents: overlapping.filter(Boolean).length,
      distinctGuestEmails: usedEmails.size,
      knownGuestEmails: [...usedEmails].filter((e) => known.has(e)).length,
    },
  };
}
