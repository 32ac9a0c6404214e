import { sameSalesforceId } from './salesforce-id.ts';
import { createHash } from 'node:crypto';
import { parseDeadLetter } from './dead-letter.ts';
import { sessionEventSchema, type SessionEvent } from './session.ts';

/**
 * `dlq list` and `dlq redrive`: what is on the events DLQ and why, and putting it back. Two kinds of
 * message land there: envelopes the processor wrote (it knew why it gave up) and bare bodies SQS
 * itself moved after maxReceiveCount (the processor never got to say why: a timeout or a crash).
 */
export interface HeldMessage {
  messageId: string;
  body: string;
  /** When the message was first queued (SQS SentTimestamp), if known. */
  sentAt: string | null;
}

/** Reading a queue means receiving; every held message must be released or removed, never dropped. */
export interface DeadLetterQueue {
  /** Every message visible now (up to `max`), kept out of other readers' sight until released or removed. */
  hold(max: number): Promise<HeldMessage[]>;
  release(messages: HeldMessage[]): Promise<void>;
  remove(message: HeldMessage): Promise<void>;
  /** maxReceiveCount of the queue that dead-letters here, when it can be read. */
  sourceMaxReceiveCount(): Promise<number | null>;
}

export interface RedriveTarget {
  send(event: SessionEvent): Promise<void>;
}

export interface DeadLetterEntry {
  messageId: string;
  /** Who put it there: the processor with its reason, or SQS after too many receives. */
  movedBy: 'processor' | 'sqs';
  reason: string;
  /** The orgs it concerns; empty when it concerns every org paired with its group (or none could be read). */
  orgIds: string[];
  groupId: number | null;
  sessionId: string | null;
  eventId: string | null;
  deadLetteredAt: string | null;
  /** Deliveries before it was dead-lettered. */
  receiveCount: number | null;
  /** Whether a redrive can help: the original body is a session event the processor can read. */
  redrivable: boolean;
}

export interface ListOptions {
  org?: string;
  limit?: number;
}

/** More than any sane backlog, far below SQS's 120,000 in-flight limit. */
export const MAX_SCAN = 10_000;
export const DEFAULT_LIST_LIMIT = 100;

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

interface Readable {
  entry: DeadLetterEntry;
  /** The event to put back on the events queue, when there is one. */
  event: SessionEvent | null;
}

function readBody(body: string): { event: SessionEvent | null; loose: Record<string, unknown> | null } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { event: null, loose: null };
  }
  const parsed = sessionEventSchema.safeParse(json);
  const loose = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  return { event: parsed.success ? parsed.data : null, loose };
}

/** What the body says about itself, read loosely: a body the schema refuses still names its session. */
function looseFacts(loose: Record<string, unknown> | null) {
  const session = loose?.session !== null && typeof loose?.session === 'object' ? (loose.session as Record<string, unknown>) : null;
  // A pulled Glance session the sync run could not read is dead-lettered bare (no event around it).
  const subject = session ?? loose;
  const onlyOrg = str(loose?.onlyOrgId) ?? str(loose?.orgId);
  const groupId = typeof subject?.groupId === 'number' ? subject.groupId : null;
  return { sessionId: str(subject?.id), eventId: str(loose?.eventId), groupId, orgIds: onlyOrg ? [onlyOrg] : [] };
}

export function describeHeld(message: HeldMessage, sqsMaxReceiveCount: number | null): Readable {
  const envelope = parseDeadLetter(message.body);
  if (envelope) {
    const { event, loose } = readBody(envelope.body);
    const facts = looseFacts(loose);
    return {
      event,
      entry: {
        messageId: message.messageId,
        movedBy: 'processor',
        reason: envelope.reason,
        orgIds: envelope.orgIds?.length ? envelope.orgIds : facts.orgIds,
        groupId: facts.groupId,
        sessionId: envelope.sessionId ?? facts.sessionId,
        eventId: envelope.eventId ?? facts.eventId,
        deadLetteredAt: envelope.deadLetteredAt ?? null,
        receiveCount: envelope.receiveCount ?? null,
        redrivable: event !== null,
      },
    };
  }
  const { event, loose } = readBody(message.body);
  const facts = looseFacts(loose);
  const times = sqsMaxReceiveCount === null ? 'repeated receives' : `${sqsMaxReceiveCount} receives`;
  return {
    event,
    entry: {
      messageId: message.messageId,
      movedBy: 'sqs',
      reason: `moved by SQS after ${times} (the processor never finished: e.g. timeout or crash)`,
      ...facts,
      deadLetteredAt: null,
      receiveCount: sqsMaxReceiveCount,
      redrivable: event !== null,
    },
  };
}

const matchesOrg = (entry: DeadLetterEntry, org: string | undefined) => !org || entry.orgIds.some((o) => sameSalesforceId(o, org));
const order = (a: { entry: DeadLetterEntry; sentAt: string | null }, b: { entry: DeadLetterEntry; sentAt: string | null }) =>
  (a.entry.deadLetteredAt ?? a.sentAt ?? '').localeCompare(b.entry.deadLetteredAt ?? b.sentAt ?? '');

async function readAll(queue: DeadLetterQueue) {
  const held = await queue.hold(MAX_SCAN);
  try {
    const max = held.length ? await queue.sourceMaxReceiveCount().catch(() => null) : null;
    return { held, items: held.map((message) => ({ message, sentAt: message.sentAt, ...describeHeld(message, max) })) };
  } catch (error) {
    await queue.release(held);
    throw error;
  }
}

/** Every dead letter (or one org's), oldest first. Every message is back on the queue afterwards. */
export async function listDeadLetterEntries(queue: DeadLetterQueue, options: ListOptions = {}): Promise<DeadLetterEntry[]> {
  const { held, items } = await readAll(queue);
  await queue.release(held);
  return items
    .filter((i) => matchesOrg(i.entry, options.org))
    .sort(order)
    .slice(0, options.limit ?? DEFAULT_LIST_LIMIT)
    .map((i) => i.entry);
}

export interface RedriveOptions {
  org?: string;
  dryRun?: boolean;
}

export interface RedriveResult {
  dryRun: boolean;
  /** Dead letters that matched the filter. */
  matched: number;
  /** Put back on the events queue and removed from the DLQ (with dryRun: would be). */
  redriven: number;
  /** Matched but left on the DLQ, because the processor could never read them. */
  skipped: Array<{ messageId: string; reason: string }>;
  /** On the DLQ and left there, not matching the filter. */
  untouched: number;
  entries: DeadLetterEntry[];
}

/**
 * The id the redriven copy is deduplicated under. The processor marked the dead-lettered event id
 * done when it gave up, and writes the same id again if the redriven copy fails again; reusing it
 * would drop the second redrive as a duplicate. Derived from the DLQ message, so a redrive that
 * sends but dies before deleting is still recognised as the same delivery next time.
 */
export function redriveEventId(event: SessionEvent, dlqMessageId: string): string {
  const base = event.eventId.replace(/\|redrive:[0-9a-f]{16}$/, '');
  return `${base}|redrive:${createHash('sha256').update(dlqMessageId).digest('hex').slice(0, 16)}`;
}

/**
 * Puts matching dead letters back on the events queue, where the normal processor (dedupe and all)
 * takes them; a DLQ message is deleted only once its copy is sent. Messages SQS moved are sent as
 * they were: their event id was never finished, so the processor can still claim it.
 */
export async function redriveDeadLetterEntries(queue: DeadLetterQueue, target: RedriveTarget, options: RedriveOptions = {}): Promise<RedriveResult> {
  const dryRun = options.dryRun ?? false;
  const { held, items } = await readAll(queue);
  const result: RedriveResult = { dryRun, matched: 0, redriven: 0, skipped: [], untouched: 0, entries: [] };
  const keep = new Set(held);
  try {
    for (const item of items.sort(order)) {
      if (!matchesOrg(item.entry, options.org)) {
        result.untouched++;
        continue;
      }
      result.matched++;
      result.entries.push(item.entry);
      if (!item.event) {
        result.skipped.push({ messageId: item.entry.messageId, reason: 'the original message is not a session event the processor can read; a redrive cannot change that' });
        continue;
      }
      result.redriven++;
      if (dryRun) continue;
      const event = item.entry.movedBy === 'processor' ? { ...item.event, eventId: redriveEventId(item.event, item.message.messageId) } : item.event;
      await target.send(event);
      await queue.remove(item.message);
      keep.delete(item.message);
    }
  } finally {
    await queue.release([...keep]);
  }
  return result;
}
