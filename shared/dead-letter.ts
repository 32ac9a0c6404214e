export interface QueuedMessage {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
}

export interface DeadLetterReason {
  reason: string;
  orgIds: string[];
  eventId?: string;
  sessionId?: string;
}

/**
 * What the processor puts on the DLQ: the original message untouched, wrapped with why it could
 * not be processed, so `dlq list` can show the reason and `dlq redrive` can send the body back.
 * Messages SQS itself moved there (a Lambda that crashed every time) are the bare body.
 */
export interface DeadLetterEnvelope extends DeadLetterReason {
  kind: 'glance-sync.dead-letter';
  version: 1;
  deadLetteredAt: string;
  receiveCount: number;
  body: string;
}

export function deadLetterEnvelope(message: QueuedMessage, reason: DeadLetterReason, now: Date): DeadLetterEnvelope {
  return { kind: 'glance-sync.dead-letter', version: 1, ...reason, deadLetteredAt: now.toISOString(), receiveCount: message.receiveCount, body: message.body };
}

export function parseDeadLetter(body: string): DeadLetterEnvelope | null {
  try {
    const value = JSON.parse(body) as Partial<DeadLetterEnvelope>;
    return value?.kind === 'glance-sync.dead-letter' && typeof value.body === 'string' ? (value as DeadLetterEnvelope) : null;
  } catch {
    return null;
  }
}
