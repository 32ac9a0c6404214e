import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../shared/adapters/aws-clients.ts';
import { parseDeadLetter } from '../shared/dead-letter.ts';
import { outboxEntries, type FaultEnv } from './env.ts';
import type { Expected } from './expect.ts';
import { queueDepth } from './lambda.ts';
import type { CampaignModel } from './model.ts';

type Row = Record<string, unknown>;

export interface Actual {
  records: Map<string, Row[]>;
  leads: Map<string, Row[]>;
  posts: Map<string, Row[]>;
  deadLetters: string[];
  leftOnQueue: number;
  /** Shares still waiting in an org's outbox: never written. */
  leftInOutboxes: number;
}

export interface OrgRow {
  org: string;
  sessionsExpected: number;
  sessionsRecorded: number;
  /** Records showing an older version of their session than the newest event sent. */
  staleRecords: number;
  leadsExpected: number;
  leadsCreated: number;
  postsExpected: number;
  postsMade: number;
}

export interface DeadLetterGroup {
  reason: string;
  count: number;
  expected: boolean;
}

export interface Verdict {
  ok: boolean;
  rows: OrgRow[];
  deadLetters: DeadLetterGroup[];
  /** Second copies of one bad input on the DLQ: dead-lettered, then the process died before its batch answered (SQS is at-least-once). */
  deadLetterCopies: number;
  leftOnQueue: number;
  leftInOutboxes: number;
  failures: string[];
}

async function drainDlq(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let round = 0; round < 1000; round++) {
    const out = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
    if (!out.Messages?.length) break;
    bodies.push(...out.Messages.map((m) => m.Body ?? ''));
  }
  return bodies;
}

export async function observe(env: FaultEnv, model: CampaignModel): Promise<Actual> {
  const by = (sobject: string) => new Map(model.orgs.map((o) => [o.orgId, env.sim.records(o.orgId, sobject)]));
  return {
    records: by('Glance_Session__c'),
    leads: by('Lead'),
    posts: by('FeedItem'),
    deadLetters: await drainDlq(env.resources.eventsDlqUrl),
    leftOnQueue: await queueDepth(env.resources.eventsQueueUrl),
    leftInOutboxes: await outboxEntries(env),
  };
}

const normal = (value: unknown) => String(value ?? '').trim().toLowerCase();
const few = (items: Iterable<string>) => {
  const list = [...items];
  return `${list.slice(0, 5).join(', ')}${list.length > 5 ? `, … (${list.length})` : ''}`;
};
const difference = <T>(a: Set<T>, b: Set<T>) => new Set([...a].filter((x) => !b.has(x)));
const MARKER = /\[Glance session ([^\]]+)\]/;

/** Reasons without the ids in them, so like groups with like. */
export const reasonGroup = (reason: string) =>
  reason
    .replace(/00D[A-Za-z0-9]{12,15}/g, '{org}')
    .replace(/\b\d{5}\.\d+\.\d+\b/g, '{session}')
    .replace(/(message is not a session event: [^:]+).*/, '$1')
    .slice(0, 110);

function classifyDeadLetters(model: CampaignModel, expected: Expected, bodies: string[], failures: string[], copies: { n: number }): DeadLetterGroup[] {
  const groups = new Map<string, DeadLetterGroup>();
  const seenRefused = new Set<string>();
  const seenMalformed = new Set<string>();
  for (const body of bodies) {
    const envelope = parseDeadLetter(body);
    let reason: string;
    let ok = false;
    if (!envelope) reason = 'moved by SQS itself after maxReceiveCount receives (the processor never answered)';
    else {
      reason = reasonGroup(envelope.reason);
      if (model.malformed.includes(envelope.body)) {
        ok = true;
        if (seenMalformed.has(envelope.body)) copies.n++;
        seenMalformed.add(envelope.body);
      } else {
        const hit = expected.refused.find((r) => r.sessionId === envelope.sessionId && envelope.orgIds.includes(r.orgId));
        if (hit && envelope.reason.includes('DUPLICATES_DETECTED')) {
          ok = true;
          if (seenRefused.has(`${hit.orgId}/${hit.sessionId}`)) copies.n++;
          seenRefused.add(`${hit.orgId}/${hit.sessionId}`);
        }
      }
    }
    const key = `${ok}:${reason}`;
    const group = groups.get(key) ?? { reason, count: 0, expected: ok };
    group.count++;
    groups.set(key, group);
  }
  for (const g of groups.values()) if (!g.expected) failures.push(`DLQ holds ${g.count} message(s) that are not permanently bad inputs: ${g.reason}`);
  const missingRefused = expected.refused.filter((r) => !seenRefused.has(`${r.orgId}/${r.sessionId}`));
  if (missingRefused.length) failures.push(`refused sessions missing from the DLQ: ${few(missingRefused.map((r) => `${r.sessionId} in ${r.orgId}`))}`);
  const missingMalformed = model.malformed.filter((b) => !seenMalformed.has(b));
  if (missingMalformed.length) failures.push(`malformed messages missing from the DLQ: ${few(missingMalformed)}`);
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

export function verify(model: CampaignModel, expected: Expected, actual: Actual, stopReason: string | null): Verdict {
  const failures: string[] = [];
  if (stopReason) failures.push(`campaign did not finish: ${stopReason}`);
  const rows: OrgRow[] = [];
  for (const org of model.orgs) {
    const where = org.label;
    const want = expected.records.get(org.orgId)!;
    const records = actual.records.get(org.orgId) ?? [];
    const ids = records.map((r) => String(r.Glance_Session_Id__c));
    if (new Set(ids).size !== ids.length) failures.push(`${where}: a session was recorded twice`);
    const missing = difference(new Set(want.keys()), new Set(ids));
    const extra = difference(new Set(ids), new Set(want.keys()));
    if (missing.size) failures.push(`${where}: ${missing.size} session(s) not recorded: ${few(missing)}`);
    if (extra.size) failures.push(`${where}: ${extra.size} session(s) recorded that should not be: ${few(extra)}`);
    const stale: string[] = [];
    for (const r of records) {
      const w = want.get(String(r.Glance_Session_Id__c));
      if (!w) continue;
      if (r.Status__c !== w.status || Date.parse(String(r.Last_Event_At__c)) !== Date.parse(w.lastEventAt)) stale.push(String(r.Glance_Session_Id__c));
      if (r.Launched_From_This_Org__c !== w.launchedHere) failures.push(`${where}: session ${String(r.Glance_Session_Id__c)} says launched here = ${String(r.Launched_From_This_Org__c)}`);
    }
    if (stale.length) failures.push(`${where}: ${stale.length} record(s) show an older version than the newest event: ${few(stale)}`);

    const leads = actual.leads.get(org.orgId) ?? [];
    const perEmail = new Map<string, number>();
    for (const l of leads) perEmail.set(normal(l.Email), (perEmail.get(normal(l.Email)) ?? 0) + 1);
    const doubled = [...perEmail].filter(([email, n]) => email && n > 1).map(([email]) => email);
    if (doubled.length) failures.push(`${where}: ${doubled.length} email(s) with more than one Lead: ${few(doubled)}`);
    const created = leads.filter((l) => l.LeadSource === 'Glance').map((l) => normal(l.Email));
    const wantLeads = expected.leads.get(org.orgId)!;
    const missingLeads = difference(wantLeads, new Set(created));
    const extraLeads = difference(new Set(created), wantLeads);
    if (missingLeads.size) failures.push(`${where}: ${missingLeads.size} Lead(s) not created: ${few(missingLeads)}`);
    if (extraLeads.size) failures.push(`${where}: ${extraLeads.size} Lead(s) created that should not be: ${few(extraLeads)}`);

    const wantPosts = expected.posts.get(org.orgId)!;
    const posts = actual.posts.get(org.orgId) ?? [];
    const perSession = new Map<string, Row[]>();
    for (const p of posts) {
      const sessionId = MARKER.exec(String(p.Body ?? ''))?.[1] ?? '(no marker)';
      perSession.set(sessionId, [...(perSession.get(sessionId) ?? []), p]);
    }
    const postedTwice = [...perSession].filter(([, list]) => list.length > 1).map(([id]) => id);
    if (postedTwice.length) failures.push(`${where}: ${postedTwice.length} session(s) posted more than once: ${few(postedTwice)}`);
    const missingPosts = difference(new Set(wantPosts.keys()), new Set(perSession.keys()));
    const extraPosts = difference(new Set(perSession.keys()), new Set(wantPosts.keys()));
    if (missingPosts.size) failures.push(`${where}: ${missingPosts.size} session(s) without their Chatter post: ${few(missingPosts)}`);
    if (extraPosts.size) failures.push(`${where}: ${extraPosts.size} session(s) posted that should not be: ${few(extraPosts)}`);
    for (const [sessionId, parentId] of wantPosts) {
      const got = perSession.get(sessionId)?.[0];
      if (got && String(got.ParentId).slice(0, 15) !== parentId.slice(0, 15)) failures.push(`${where}: session ${sessionId} posted on ${String(got.ParentId)}, not ${parentId}`);
    }
    rows.push({
      org: where,
      sessionsExpected: want.size,
      sessionsRecorded: ids.length,
      staleRecords: stale.length,
      leadsExpected: wantLeads.size,
      leadsCreated: created.length,
      postsExpected: wantPosts.size,
      postsMade: posts.length,
    });
  }
  const copies = { n: 0 };
  const deadLetters = classifyDeadLetters(model, expected, actual.deadLetters, failures, copies);
  if (actual.leftOnQueue) failures.push(`${actual.leftOnQueue} message(s) still on the events queue`);
  if (actual.leftInOutboxes) failures.push(`${actual.leftInOutboxes} share(s) still waiting in org outboxes`);
  return { ok: failures.length === 0, rows, deadLetters, deadLetterCopies: copies.n, leftOnQueue: actual.leftOnQueue, leftInOutboxes: actual.leftInOutboxes, failures };
}
