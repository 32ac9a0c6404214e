import { describeIssues, webhookEventSchema, type SessionEvent } from './session.ts';
import { parseWebhookSecrets, verifyWebhookSignature } from './webhook-signature.ts';

export const MAX_WEBHOOK_BYTES = 256 * 1024;

export interface WebhookRequest {
  groupIdParam: string | undefined;
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  body: string;
}

export interface WebhookAnswer {
  status: 202 | 400 | 401 | 404 | 413;
  body: { accepted: true; eventId: string } | { error: string };
}

export interface WebhookIntakeDeps {
  /**
   * Whether the group is known; its secrets (space-separated `whsec_`, the current ones and any
   * still in rotation) or null when none. `fresh`: re-read past a cache, asked once when no
   * secret matched, so a rotation is seen at once rather than when a cache expires.
   */
  groupSecrets(groupId: number, options?: { fresh?: boolean }): Promise<{ known: boolean; secrets: string | null }>;
  enqueue(event: SessionEvent): Promise<void>;
  /** Records that the group's webhooks arrive (for `orgs show`); best effort, after the event is queued. */
  noteAccepted?(groupId: number, at: Date): Promise<void>;
  now(): Date;
}

// Failures a newer secret could cure; a stale timestamp or a missing header it cannot.
const SECRET_MISMATCH = new Set(['webhook-signature does not match', 'no usable webhook secret is configured for this group']);

const reject = (status: WebhookAnswer['status'], error: string): WebhookAnswer => ({ status, body: { error } });

/**
 * The webhook contract of the BRIEF, checked cheapest first: size, group, signature (before
 * parsing anything an unauthenticated caller sent), then the session's schema. Only a 202
 * has queued the event.
 */
export async function acceptWebhook(request: WebhookRequest, deps: WebhookIntakeDeps): Promise<WebhookAnswer> {
  if (Buffer.byteLength(request.body, 'utf8') > MAX_WEBHOOK_BYTES) {
    return reject(413, `body is larger than ${MAX_WEBHOOK_BYTES} bytes`);
  }
  const groupId = /^[1-9]\d{0,14}$/.test(request.groupIdParam ?? '') ? Number(request.groupIdParam) : null;
  if (groupId === null) return reject(404, `unknown group '${String(request.groupIdParam ?? '').slice(0, 40)}'`);
  const group = await deps.groupSecrets(groupId);
  if (!group.known) return reject(404, `unknown group ${groupId}`);

  const verify = (secrets: string | null) =>
    verifyWebhookSignature({
      id: request.headers['webhook-id'],
      timestamp: request.headers['webhook-timestamp'],
      signatureHeader: request.headers['webhook-signature'],
      body: request.body,
      keys: parseWebhookSecrets(secrets ?? ''),
      now: deps.now(),
    });
  let check = verify(group.secrets);
  if (!check.ok && SECRET_MISMATCH.has(check.error)) {
    const fresh = await deps.groupSecrets(groupId, { fresh: true });
    if (fresh.secrets !== group.secrets) check = verify(fresh.secrets);
  }
  if (!check.ok) return reject(401, check.error);
  const eventId = request.headers['webhook-id'] as string;
  if (eventId.length > 200) return reject(400, 'webhook-id is longer than 200 characters');

  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch {
    return reject(400, 'body is not valid JSON');
  }
  const parsed = webhookEventSchema.safeParse(json);
  if (!parsed.success) return reject(400, describeIssues(parsed.error));
  const event = parsed.data;
  if (event.session.groupId !== groupId) {
    return reject(400, `session.groupId: ${event.session.groupId} does not match the group ${groupId} in the URL`);
  }
  await deps.enqueue({ eventId: `webhook:${eventId}`, source: 'webhook', ...event });
  // The event is queued: a failure to note the time must not turn the answer into a retry.
  await deps.noteAccepted?.(groupId, deps.now()).catch(() => undefined);
  return { status: 202, body: { accepted: true, eventId } };
}
