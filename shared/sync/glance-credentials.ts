import { z } from 'zod';
import { AdminError } from '../admin-error.ts';
import { GLANCE_SITES } from '../session.ts';
import { GlanceActivityError, type GlanceActivityCredentials } from './glance-activity.ts';

/** A run that cannot go on for a reason an admin can fix; the message is shown in Sync History. */
export class SyncRunFailure extends Error {
  override readonly name = 'SyncRunFailure';
}

/** What the group's credentials file and secret hold; `site` is optional (default production). */
export const GLANCE_CREDENTIALS_EXAMPLE = '{"username": "...", "password": "...", "apiKey": "...", "site": "production"}';

/**
 * A Glance group's CRR credentials, as stored in secret `group/{groupId}/glance`: the CRR service
 * account Glance's representative issued (username, password) and the group's API key. One secret
 * per group, because every org paired with the group pulls the same sessions with them.
 */
export const glanceCredentialsSchema = z.strictObject({
  username: z.string().trim().min(1),
  password: z.string().min(1),
  apiKey: z.string().trim().min(1).regex(/^\S+$/, 'without spaces'),
  site: z.enum(GLANCE_SITES).default('production'),
}) satisfies z.ZodType<GlanceActivityCredentials, unknown>;

/**
 * Reads the stored (or file) text; errors name where it came from and the field, never a value.
 * Throws SyncRunFailure.
 */
export function parseGlanceCredentials(where: string, value: string | null): GlanceActivityCredentials {
  if (value === null) throw new SyncRunFailure(`no Glance CRR credentials: ${where} does not exist (expected ${GLANCE_CREDENTIALS_EXAMPLE})`);
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new SyncRunFailure(`${where} is not JSON (expected ${GLANCE_CREDENTIALS_EXAMPLE})`);
  }
  const parsed = glanceCredentialsSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(object)'))];
    throw new SyncRunFailure(`${where} has a missing or invalid ${fields.join(', ')} (expected ${GLANCE_CREDENTIALS_EXAMPLE})`);
  }
  return parsed.data;
}

/** What storing a group's credentials needs; the check signs in to Glance with them (GlanceActivityClient.check). */
export interface StoreGlanceCredentialsDeps {
  groupKnown(groupId: number): Promise<boolean>;
  secretName(groupId: number): string;
  writeSecret(name: string, value: string): Promise<void>;
  check(groupId: number, credentials: GlanceActivityCredentials): Promise<void>;
}

/**
 * Stores a group's CRR credentials after Glance has accepted them: a service login and one short
 * `sessions/ended` read. Refused credentials are not stored; the error says which part Glance
 * refused (GlanceActivityError's message) and never holds a value. Throws AdminError.
 */
export async function storeGlanceCredentials(
  deps: StoreGlanceCredentialsDeps,
  groupId: number,
  where: string,
  text: string,
): Promise<{ secretName: string; site: GlanceActivityCredentials['site'] }> {
  if (!Number.isSafeInteger(groupId) || groupId <= 0) throw new AdminError(`group id must be a positive whole number, not ${groupId}`);
  let credentials: GlanceActivityCredentials;
  try {
    credentials = parseGlanceCredentials(where, text);
  } catch (error) {
    throw new AdminError((error as Error).message);
  }
  if (!(await deps.groupKnown(groupId))) {
    throw new AdminError(`group ${groupId} is not registered: register it first (glance-sync groups add ${groupId})`, 'not_found');
  }
  try {
    await deps.check(groupId, credentials);
  } catch (error) {
    if (!(error instanceof GlanceActivityError)) throw error;
    // Glance refusing them is the admin's to fix; Glance being unreachable is not.
    const refused = error.code === 'login_refused' || error.code === 'token_refused' || error.code === 'api_key_refused' || error.code === 'bad_request';
    if (refused) throw new AdminError(`not stored: ${error.message}`, 'invalid');
    throw new Error(`not stored: the credentials could not be checked against Glance: ${error.message}`, { cause: error });
  }
  const secretName = deps.secretName(groupId);
  await deps.writeSecret(secretName, JSON.stringify(credentials));
  return { secretName, site: credentials.site };
}
