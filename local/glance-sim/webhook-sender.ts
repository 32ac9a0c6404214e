import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Sends Glance session webhooks the Standard Webhooks way (BRIEF: "Webhook contract"), signed by
 * the Standard Webhooks reference implementation (the `standardwebhooks` package), so the ingest
 * endpoint's own verifier is exercised against the signing a real sender uses.
 */
export interface SignWebhookInput {
  /** `whsec_<base64 key>`; the HMAC key is the decoded bytes, not the text. */
  secret: string;
  id: string;
  timestamp: number | string;
  body: string;
}

export interface SendWebhookOptions {
  secret: string;
  id?: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Replaces the computed signature header, to test refusals. */
  signature?: string;
  fetch?: typeof fetch;
}

export interface SendWebhookResult {
  status: number;
  body: unknown;
  id: string;
}

export function signWebhook({ secret, id, timestamp, body }: SignWebhookInput): string {
  if (!secret.startsWith('whsec_')) throw new RangeError('webhook secret must start with whsec_');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (key.length === 0) throw new RangeError('webhook secret has an empty key');
  return new Webhook(secret).sign(id, new Date(Number(timestamp) * 1000), body);
}

/** Posts `event` (a string is sent verbatim, to test malformed bodies) and returns the answer. */
export async function sendWebhook(url: string, event: unknown, options: SendWebhookOptions): Promise<SendWebhookResult> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const body = typeof event === 'string' ? event : JSON.stringify(event);
  const signature = options.signature ?? signWebhook({ secret: options.secret, id, timestamp, body });
  const response = await (options.fetch ?? globalThis.fetch)(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: the text itself
  }
  return { status: response.status, body: parsed, id };
}
