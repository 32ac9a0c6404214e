import { z } from 'zod';
import { salesforceId18 } from './salesforce-id.ts';
import { GLANCE_SITES } from './session.ts';

/** The org settings of the BRIEF's table, with the original product's defaults. */
export const SYNC_FREQUENCY_VALUES = ['hourly', 'every_2_hours', 'daily', 'never'] as const;
export const LEAD_RULES = ['never', 'new_email', 'new_email_and_name'] as const;
export const SSO_MODES = ['saml', 'login_key', 'none'] as const;

/**
 * A Salesforce org id in either form (15 characters, case-sensitive; or 18 with its checksum
 * suffix), parsed to the canonical 18-character form, so both forms of one org are one org.
 */
export const salesforceOrgIdSchema = z
  .string()
  .regex(/^00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/i, 'a Salesforce org id: 15 or 18 characters starting 00D')
  .transform((text, ctx) => {
    // The suffix says the case of the first 15 characters, so it must keep the 00D prefix upper-case.
    const id = salesforceId18(text);
    if (id?.startsWith('00D')) return id;
    ctx.addIssue({ code: 'custom', message: `not a Salesforce org id: the last 3 characters of an 18-character id are a checksum, and ${text.slice(15)} does not fit ${text.slice(0, 15)}` });
    return z.NEVER;
  });

/** The canonical 18-character form of an org id given in either form; undefined when it is not one. */
export function canonicalOrgId(text: string): string | undefined {
  const parsed = salesforceOrgIdSchema.safeParse(text);
  return parsed.success ? parsed.data : undefined;
}

/** Bounds of the pauseHoldHours setting: default 3 days, at most 10 (SQS keeps a message 14 days at most). */
export const PAUSE_HOLD_HOURS = { min: 1, default: 72, max: 240 } as const;

export const SOBJECT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;
export const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.]{0,79}$/;
export const CUSTOM_DATA_KEY_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

/** Maps a Salesforce object to { its field: the session's custom data key }, as the record mapping setting. */
export const recordMappingSchema = z.record(
  z.string().regex(SOBJECT_NAME_PATTERN, 'an sObject API name'),
  z.record(
    z.string().regex(FIELD_NAME_PATTERN, 'a field API name'),
    z.string().regex(CUSTOM_DATA_KEY_PATTERN, 'a custom data key'),
  ),
);
export type RecordMapping = z.infer<typeof recordMappingSchema>;

export const orgSettingsSchema = z.strictObject({
  syncFrequency: z.enum(SYNC_FREQUENCY_VALUES).default('hourly'),
  createLeadsForGuests: z.enum(LEAD_RULES).default('never'),
  logSessionsStartedOutside: z.boolean().default(false),
  chatterOnSessionStart: z.boolean().default(false),
  debugMode: z.boolean().default(false),
  sites: z.array(z.enum(GLANCE_SITES)).min(1).default(['production', 'staging']),
  recordMapping: recordMappingSchema.default({}),
  defaultGlanceAdmin: z.string().max(255).nullable().default(null),
  /**
   * How long a paused org's sessions are held (waiting, not failed) before they are dead-lettered
   * with the pause's reason. Several days by default, so a weekend outage or revoked credentials
   * lose nothing; at most 10 days, well inside SQS's 14-day retention of the dead-letter queue.
   */
  pauseHoldHours: z.number().int().min(PAUSE_HOLD_HOURS.min).max(PAUSE_HOLD_HOURS.max).default(PAUSE_HOLD_HOURS.default),
  sso: z
    .strictObject({
      mode: z.enum(SSO_MODES).default('none'),
      partnerUserIdField: z.string().max(80).nullable().default(null),
      nonAdminPartnerUserId: z.string().max(255).nullable().default(null),
      loginKeyLifetimeSeconds: z.number().int().min(60).max(86_400).default(3600),
    })
    .default({ mode: 'none', partnerUserIdField: null, nonAdminPartnerUserId: null, loginKeyLifetimeSeconds: 3600 }),
});
export type OrgSettings = z.infer<typeof orgSettingsSchema>;

export const orgSchema = z.strictObject({
  orgId: salesforceOrgIdSchema,
  name: z.string().min(1).max(255),
  environment: z.enum(['production', 'sandbox']),
  loginUrl: z.url({ protocol: /^https?$/ }),
  installedAt: z.iso.datetime({ offset: true }),
  groups: z.array(z.number().int().positive()),
  settings: orgSettingsSchema,
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type Org = z.infer<typeof orgSchema>;

export function defaultSettings(): OrgSettings {
  return orgSettingsSchema.parse({});
}
