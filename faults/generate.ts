import { mulberry32, salesforceId } from '../local/glance-sim/sample-sessions.ts';
import { glanceSessionSchema, type GlanceSession, type SessionEvent } from '../shared/session.ts';
import {
  CAMPAIGN_ORGS,
  OTHER_GROUP,
  SHARED_GROUP,
  UNREGISTERED_ORG,
  sessionVersion,
  type CampaignMessage,
  type CampaignModel,
  type Lifecycle,
  type OrgSpec,
  type SeededRecord,
  type SessionPlan,
  type SessionVersion,
} from './model.ts';

const FIRST = ['Gil', 'Maya', 'Omar', 'Lena', 'Ravi', 'Sofia', 'Tom', 'Yuki', 'Ines', 'Kwame', 'Ada', 'Piet'];
const LAST = ['Guest', 'Okafor', 'Schmidt', 'Tanaka', 'Novak', 'Silva', 'Haddad', 'Larsen'];
const DOMAINS = ['example.org', 'example.com', 'example.net'];
const BASE_MS = Date.parse('2026-11-22T08:00:00Z');

type Random = () => number;

function tools(random: Random) {
  const int = (n: number) => Math.floor(random() * n);
  return {
    int,
    chance: (p: number) => random() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)]!,
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      return items;
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** Guests type their own address: some arrive in other casing, which must still mean the same Lead. */
const recase = (email: string) => email.replace(/^./, (c) => c.toUpperCase()).replace(/@(.*)$/, (_, d: string) => `@${d.toUpperCase()}`);

function seedRecords(random: Random, org: OrgSpec, orgIndex: number): SeededRecord[] {
  const list: SeededRecord[] = [];
  const add = (sobject: SeededRecord['sobject'], prefix: string, count: number, fields: (i: number) => Record<string, unknown>) => {
    for (let i = 0; i < count; i++) list.push({ sobject, id: salesforceId(prefix, random), fields: fields(i) });
  };
  add('Case', '500', 6, (i) => ({ Subject: `${org.label} case ${i}` }));
  add('Contact', '003', 3, (i) => ({ LastName: `Contact${i}`, Email: `contact${i}.${orgIndex}@records.example` }));
  add('Opportunity', '006', 3, (i) => ({ Name: `Deal ${i}`, StageName: 'Prospecting', CloseDate: '2026-12-31' }));
  add('Lead', '00Q', 2, (i) => ({ LastName: `Origin${i}`, Company: 'Acme', Email: `origin${i}.${orgIndex}@records.example` }));
  return list;
}

interface Draft {
  groupId: number;
  type: GlanceSession['type'];
  origin: GlanceSession['origin'];
  lifecycle: Lifecycle;
  refusedBy: string | null;
}

/** Builds a seeded, reproducible campaign of about `events` queue messages. */
export function generateModel(options: { seed: number; events: number }): CampaignModel {
  const random = mulberry32(options.seed);
  const { int, chance, pick, shuffle } = tools(random);
  const orgs = CAMPAIGN_ORGS;
  const records = new Map(orgs.map((org, i) => [org.orgId, seedRecords(random, org, i)]));

  const pool = Array.from({ length: Math.max(24, Math.round(options.events / 10)) }, (_, i) => `${pick(FIRST)}.${pick(LAST)}${i}@${pick(DOMAINS)}`.toLowerCase());
  const existingLeadEmails = new Map<string, string[]>();
  const leadDuplicateRules = new Map<string, string[]>();
  for (const [i, org] of orgs.entries()) {
    existingLeadEmails.set(org.orgId, [pool[i * 3]!, recase(pool[i * 3 + 1]!), pool[i * 3 + 2]!.toUpperCase()]);
  }
  leadDuplicateRules.set(orgs[0]!.orgId, [pool[20]!]);

  const sessions: SessionPlan[] = [];
  const waves: [CampaignMessage[], CampaignMessage[]] = [[], []];
  const malformed = [
    '{"eventId": "broken-1", "source": "webhook", ',
    JSON.stringify({ eventId: 'bad-shape-1', source: 'webhook', type: 'session.started' }),
  ];
  let webhookIds = 0;

  const plan = (index: number, draft: Draft): SessionPlan => {
    const key = String(1000 + int(9000));
    const startedMs = BASE_MS + index * 11_000;
    const agent = `agent-${1 + int(5)}`;
    const guests = Array.from({ length: int(4) }, () => {
      const roll = random();
      const email = roll < 0.04 ? `${agent}@EXAMPLE.com` : roll < 0.07 ? 'not-an-email' : roll < 0.8 ? pick(pool) : null;
      return {
        name: chance(0.8) ? `${pick(FIRST)} ${pick(LAST)}` : null,
        email: email && chance(0.2) ? recase(email) : email,
        phone: null,
        joinedAt: iso(startedMs + 30_000),
      };
    });
    const session = glanceSessionSchema.parse({
      id: `${draft.groupId}.${key}.${200_000 + index}`,
      sessionKey: key,
      groupId: draft.groupId,
      site: chance(0.85) ? 'production' : 'staging',
      type: draft.type,
      status: 'A',
      startedAt: iso(startedMs),
      endedAt: null,
      host: { partnerUserId: agent, name: `Agent ${agent}`, email: `${agent}@example.com` },
      guests,
      origin: draft.origin,
      customData: {},
      joinUrl: `https://www.glance.net/agentjoin/AgentJoin.aspx?groupid=${draft.groupId}&sessionkey=${key}`,
    });
    const active = (type: SessionVersion['type'], offsetMs: number): SessionVersion => ({ type, occurredAt: iso(startedMs + offsetMs), status: 'A', endedAt: null, wave: 1 });
    const endedMs = startedMs + (10 + int(50)) * 60_000;
    const ended: SessionVersion = { type: 'session.ended', occurredAt: iso(endedMs + 5_000), status: chance(0.85) ? 'C' : 'X', endedAt: iso(endedMs), wave: 2 };
    const updates = (n: number) => Array.from({ length: n }, (_, k) => active('session.updated', 60_000 * (k + 1)));
    const versions =
      draft.lifecycle === 'pulled'
        ? [ended]
        : [active('session.started', 5_000), ...updates(int(draft.lifecycle === 'live' ? 3 : 2)), ...(draft.lifecycle === 'full' ? [ended] : [])];
    return { session, lifecycle: draft.lifecycle, versions, refusedBy: draft.refusedBy };
  };

  const send = (p: SessionPlan) => {
    const event = (v: SessionVersion, eventId: string, source: SessionEvent['source']): string =>
      JSON.stringify({ eventId, source, type: v.type, occurredAt: v.occurredAt, session: sessionVersion(p, v) } satisfies SessionEvent);
    const sessionId = p.session.id;
    for (const v of p.versions) {
      const source: SessionEvent['source'] = p.lifecycle === 'pulled' ? 'sync' : 'webhook';
      const body = event(v, source === 'sync' ? `sync:${sessionId}:${v.occurredAt}` : `wh_${++webhookIds}`, source);
      const wave = waves[v.wave - 1]!;
      wave.push({ body, kind: 'original', sessionId });
      if (chance(0.12)) wave.push({ body, kind: 'duplicate', sessionId });
      // Webhook and scheduled sync overlap: the same version again under the other source's id.
      if (chance(0.25)) wave.push({ body: event(v, source === 'sync' ? `wh_${++webhookIds}` : `sync:${sessionId}:${v.occurredAt}`, source === 'sync' ? 'webhook' : 'sync'), kind: 'resend', sessionId });
    }
    const first = p.versions[0]!;
    if (p.lifecycle !== 'pulled' && chance(0.15)) waves[1].push({ body: event(first, `late:${sessionId}`, 'sync'), kind: 'late-resend', sessionId });
  };

  const draftFor = (): Draft => {
    const groupId = chance(0.6) ? SHARED_GROUP : OTHER_GROUP;
    const groupOrgs = orgs.filter((o) => o.groups.includes(groupId));
    const roll = random();
    let origin: GlanceSession['origin'] = null;
    if (roll < 0.55) {
      const org = pick(groupOrgs);
      origin = { salesforceOrgId: org.orgId, recordId: chance(0.85) ? pick(records.get(org.orgId)!).id : null };
    } else if (roll < 0.7) origin = { salesforceOrgId: UNREGISTERED_ORG, recordId: salesforceId('500', random) };
    const lifecycleRoll = random();
    const lifecycle: Lifecycle = lifecycleRoll < 0.35 ? 'live' : lifecycleRoll < 0.75 ? 'full' : 'pulled';
    return { groupId, type: pick(['G', 'G', 'C', 'V'] as const), origin, lifecycle, refusedBy: null };
  };

  // Permanently bad inputs first: sessions one org's Salesforce refuses (alone, or beside an org that takes them).
  const [prod1, sandbox1, prod2] = orgs;
  const prod1Case = records.get(prod1!.orgId)!.find((r) => r.sobject === 'Case')!.id;
  const refused: Draft[] = [
    { groupId: SHARED_GROUP, type: 'C', origin: null, lifecycle: 'pulled', refusedBy: sandbox1!.orgId },
    { groupId: OTHER_GROUP, type: 'V', origin: null, lifecycle: 'full', refusedBy: prod2!.orgId },
    { groupId: SHARED_GROUP, type: 'C', origin: { salesforceOrgId: prod1!.orgId, recordId: prod1Case }, lifecycle: 'live', refusedBy: sandbox1!.orgId },
  ];
  const budget = Math.max(options.events, 20) - malformed.length;
  for (let index = 0; waves[0].length + waves[1].length < budget; index++) {
    const draft = refused[index] ?? draftFor();
    const p = plan(index, draft);
    // The refused sessions must reach the refusing org at the production site.
    if (draft.refusedBy) p.session.site = 'production';
    sessions.push(p);
    send(p);
  }
  for (const body of malformed) waves[0].push({ body, kind: 'malformed' });
  shuffle(waves[0]);
  shuffle(waves[1]);
  return { seed: options.seed, orgs, records, existingLeadEmails, leadDuplicateRules, sessions, waves, malformed };
}
