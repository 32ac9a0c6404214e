import { createHmac, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks: https://www.standardwebhooks.com — the BRIEF's webhook contract. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; error: string };

function secretKey(secret: string): Buffer | null {
  const match = /^whsec_([A-Za-z0-9+/=]+)$/.exec(secret.trim());
  if (!match?.[1]) return null;
  const key = Buffer.from(match[1], 'base64');
  return key.length > 0 ? key : null;
}

/**
 * The group's secret store value may hold several `whsec_` secrets separated by spaces (rotation:
 * the new one is added before senders switch). Returns the usable keys.
 */
export function parseWebhookSecrets(value: string): Buffer[] {
  return value
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((secret) => {
      const key = secretKey(secret);
      return key ? [key] : [];
    });
}

export function computeSignature(key: Buffer, id: string, timestamp: string, body: string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest();
}

export function verifyWebhookSignature(input: {
  id: string | undefined;
  timestamp: string | undefined;
  signatureHeader: string | undefined;
  body: string;
  keys: Buffer[];
  now: Date;
}): SignatureCheck {
  const { id, timestamp, signatureHeader, body, keys, now } = input;
  if (!id) return { ok: false, error: 'missing webhook-id header' };
  if (!timestamp) return { ok: false, error: 'missing webhook-timestamp header' };
  if (!signatureHeader) return { ok: false, error: 'missing webhook-signature header' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, error: 'webhook-timestamp is not Unix seconds' };
  const skew = Number(timestamp) - Math.floor(now.getTime() / 1000);
  if (skew < -WEBHOOK_TOLERANCE_SECONDS) return { ok: false, error: 'webhook-timestamp is more than 5 minutes old' };
  if (skew > WEBHOOK_TOLERANCE_SECONDS) return { ok: false, error: 'webhook-timestamp is more than 5 minutes in the future' };
  if (keys.length === 0) return { ok: false, error: 'no usable webhook secret is configured for this group' };

  const offered = signatureHeader
    .split(' ')
    .filter(Boolean)
    .flatMap((part): Buffer[] => {
      const [version, value] = part.split(',', 2);
      return version === 'v1' && value ? [Buffer.from(value, 'base64')] : [];
    });
  if (offered.length === 0) return { ok: false, error: 'webhook-signature has no v1 signature' };

  for (const key of keys) {
    const expected = computeSignature(key, id, timestamp, body);
    for (const candidate of offered) {
      // Compare every pair in constant time; lengths differ only for garbage input.
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return { ok: true };
    }
  }
  return { ok: false, error: 'webhook-signature does not match' };
}
