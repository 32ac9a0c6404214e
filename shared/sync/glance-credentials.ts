import { z } from 'zod';
import type { GlanceActivityCredentials } from '../adapters/glance-activity.ts';
import type { Org } from '../org.ts';

/** A run that cannot go on for a reason an admin can fix; the message is shown in Sync History. */
export class SyncRunFailure extends Error {
  override readonly name = 'SyncRunFailure';
}

/**
 * The org's Glance secret: `{"apiKey": "...", "partnerId": 12345}`. One API key serves all the
 * org's groups; each request's partner id is the group being pulled, so `partnerId` is not used.
 */
const glanceSecretSchema = z.object({
  apiKey: z.string().min(1),
  partnerId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).optional(),
});

/** Errors name the secret and the missing field, never a value. */
export function parseGlanceSecret(name: string, value: string | null): { apiKey: string } {
  if (value === null) throw new SyncRunFailure(`no Glance API credentials: secret ${name} does not exist (expected {"apiKey": "..."})`);
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new SyncRunFailure(`secret ${name} is not JSON (expected {"apiKey": "..."})`);
  }
  const parsed = glanceSecretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(secret)'))];
    throw new SyncRunFailure(`secret ${name} is missing or has an invalid ${fields.join(', ')} (expected {"apiKey": "..."})`);
  }
  return { apiKey: parsed.data.apiKey };
}

/** The sync authenticates as the least-privileged user the admin named for it (BRIEF: "Glance login key"). */
export function syncPartnerUserId(org: Org): string {
  const puid = org.settings.sso.nonAdminPartnerUserId;
  if (!puid) {
    throw new SyncRunFailure(
      `org ${org.orgId} has no Non-Admin Partner User ID (setting sso.nonAdminPartnerUserId): the sync signs in to Glance as that user; set it and sync again`,
    );
  }
  return puid;
}

export function groupCredentials(org: Org, groupId: number, apiKey: string): GlanceActivityCredentials {
  return {
    partnerId: groupId,
    partnerUserId: syncPartnerUserId(org),
    apiKey,
    loginKeyLifetimeSeconds: org.settings.sso.loginKeyLifetimeSeconds,
  };
}
