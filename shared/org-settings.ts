import { AdminError } from './admin-error.ts';
import {
  CUSTOM_DATA_KEY_PATTERN,
  FIELD_NAME_PATTERN,
  LEAD_RULES,
  orgSettingsSchema,
  PAUSE_HOLD_HOURS,
  SOBJECT_NAME_PATTERN,
  SSO_MODES,
  SYNC_FREQUENCY_VALUES,
  type OrgSettings,
} from './org.ts';
import { describeIssues, GLANCE_SITES } from './session.ts';

/**
 * Changing an org's settings, one setting at a time, with errors an admin can act on: each names
 * the setting, what it accepts and what it got. Pure, so the CLI and any other entry point share
 * the same rules and messages.
 */
type SsoSettings = OrgSettings['sso'];
export type SettingsPatch = Partial<Omit<OrgSettings, 'sso'>> & { sso?: Partial<SsoSettings> };

type Kind = 'choice' | 'switch' | 'list' | 'json' | 'text' | 'seconds' | 'hours';

interface SettingRule {
  kind: Kind;
  /** How the CLI help describes the accepted values. */
  accepts: string;
  check(name: string, value: unknown): unknown;
}

const show = (value: unknown): string => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value));
const invalid = (message: string) => new AdminError(message, 'invalid');
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const RECORD_MAPPING_EXAMPLE = '{"Case": {"ContactEmail": "user_email"}}';

function choice(values: readonly string[]): SettingRule {
  return {
    kind: 'choice',
    accepts: values.join(' | '),
    check(name, value) {
      if (typeof value === 'string' && values.includes(value)) return value;
      throw invalid(`${name} must be one of ${values.join(', ')}; got ${show(value)}`);
    },
  };
}

const onOff: SettingRule = {
  kind: 'switch',
  accepts: 'on | off',
  check(name, value) {
    if (typeof value === 'boolean') return value;
    throw invalid(`${name} must be on or off (true or false); got ${show(value)}`);
  },
};

const sites: SettingRule = {
  kind: 'list',
  accepts: `comma list of ${GLANCE_SITES.join(', ')}`,
  check(name, value) {
    const allowed = GLANCE_SITES as readonly string[];
    if (!Array.isArray(value) || value.length === 0) {
      throw invalid(`${name} must be a non-empty list of ${GLANCE_SITES.join(', ')}; got ${show(value)}`);
    }
    const unknown = value.find((site) => typeof site !== 'string' || !allowed.includes(site));
    if (unknown !== undefined) throw invalid(`${name} must be a list of ${GLANCE_SITES.join(', ')}; got ${show(unknown)}`);
    return [...new Set(value as string[])];
  },
};

function text(max: number, pattern?: { regex: RegExp; what: string }): SettingRule {
  return {
    kind: 'text',
    accepts: pattern ? `${pattern.what}, or empty for none` : `text up to ${max} characters, or empty for none`,
    check(name, value) {
      if (value === null) return null;
      if (typeof value !== 'string') throw invalid(`${name} must be text or null; got ${show(value)}`);
      if (value.length > max) throw invalid(`${name} must be at most ${max} characters; got ${value.length}`);
      if (pattern && !pattern.regex.test(value)) throw invalid(`${name} must be ${pattern.what}; got ${show(value)}`);
      return value;
    },
  };
}

const MIN_LOGIN_KEY_SECONDS = 60;
const MAX_LOGIN_KEY_SECONDS = 86_400;

const loginKeySeconds: SettingRule = {
  kind: 'seconds',
  accepts: `${MIN_LOGIN_KEY_SECONDS}..${MAX_LOGIN_KEY_SECONDS} (seconds)`,
  check(name, value) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= MIN_LOGIN_KEY_SECONDS && value <= MAX_LOGIN_KEY_SECONDS) return value;
    // Glance refuses login keys that expire more than about a day ahead (BRIEF).
    throw invalid(
      `${name} must be a whole number of seconds from ${MIN_LOGIN_KEY_SECONDS} to ${MAX_LOGIN_KEY_SECONDS} (Glance refuses keys valid for more than a day); got ${show(value)}`,
    );
  },
};

const pauseHoldHours: SettingRule = {
  kind: 'hours',
  accepts: `${PAUSE_HOLD_HOURS.min}..${PAUSE_HOLD_HOURS.max} (hours, default ${PAUSE_HOLD_HOURS.default})`,
  check(name, value) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= PAUSE_HOLD_HOURS.min && value <= PAUSE_HOLD_HOURS.max) return value;
    throw invalid(
      `${name} must be a whole number of hours from ${PAUSE_HOLD_HOURS.min} to ${PAUSE_HOLD_HOURS.max} (SQS keeps a dead letter 14 days at most); got ${show(value)}`,
    );
  },
};

const recordMapping: SettingRule = {
  kind: 'json',
  accepts: `JSON such as ${RECORD_MAPPING_EXAMPLE}`,
  check(name, value) {
    if (!isPlainObject(value)) throw invalid(`${name} must be a JSON object such as ${RECORD_MAPPING_EXAMPLE}; got ${show(value)}`);
    for (const [sobject, fields] of Object.entries(value)) {
      if (!SOBJECT_NAME_PATTERN.test(sobject)) {
        throw invalid(`${name}: ${show(sobject)} is not an sObject API name (a letter, then letters, digits or _, at most 40)`);
      }
      if (!isPlainObject(fields)) {
        throw invalid(`${name}.${sobject} must be an object of {field: custom data key}; got ${show(fields)}`);
      }
      for (const [field, key] of Object.entries(fields)) {
        if (!FIELD_NAME_PATTERN.test(field)) {
          throw invalid(`${name}.${sobject}: ${show(field)} is not a field API name (a letter, then letters, digits, _ or ., at most 80)`);
        }
        if (typeof key !== 'string' || !CUSTOM_DATA_KEY_PATTERN.test(key)) {
          throw invalid(`${name}.${sobject}.${field}: ${show(key)} is not a custom data key (1 to 100 letters, digits, _ . or -)`);
        }
      }
    }
    return value;
  },
};

const TOP_LEVEL: Record<Exclude<keyof OrgSettings, 'sso'>, SettingRule> = {
  syncFrequency: choice(SYNC_FREQUENCY_VALUES),
  createLeadsForGuests: choice(LEAD_RULES),
  logSessionsStartedOutside: onOff,
  chatterOnSessionStart: onOff,
  debugMode: onOff,
  sites,
  recordMapping,
  defaultGlanceAdmin: text(255),
  pauseHoldHours,
};

const SSO: Record<keyof SsoSettings, SettingRule> = {
  mode: choice(SSO_MODES),
  partnerUserIdField: text(80, { regex: /^[A-Za-z][A-Za-z0-9_]{0,79}$/, what: 'a User field API name such as FederationIdentifier' }),
  nonAdminPartnerUserId: text(255),
  loginKeyLifetimeSeconds: loginKeySeconds,
};

/** Every setting an admin can change, in the CLI's dotted form (sso.mode, …). */
export const SETTING_RULES: ReadonlyMap<string, SettingRule> = new Map<string, SettingRule>([
  ...Object.entries(TOP_LEVEL),
  ...Object.entries(SSO).map(([key, rule]) => [`sso.${key}`, rule] as const),
]);
export const SETTING_NAMES: readonly string[] = [...SETTING_RULES.keys()];

function unknownSetting(name: string): AdminError {
  const near = SETTING_NAMES.find((known) => known.toLowerCase() === name.toLowerCase());
  const hint = near ? ` (did you mean '${near}'?)` : '';
  return invalid(`unknown setting '${name}'${hint}; known settings: ${SETTING_NAMES.join(', ')}`);
}

function ruleFor(name: string): SettingRule {
  const rule = SETTING_RULES.get(name);
  if (!rule) throw unknownSetting(name);
  return rule;
}

/** Validates a patch and returns the settings after it; throws AdminError naming the first bad setting. */
export function applySettingsPatch(current: OrgSettings, patch: unknown): OrgSettings {
  if (!isPlainObject(patch)) throw invalid(`settings must be an object of setting: value; got ${show(patch)}`);
  const next: Record<string, unknown> = { ...current, sso: { ...current.sso } };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'sso') {
      if (!isPlainObject(value)) throw invalid(`sso must be an object of ${Object.keys(SSO).join(', ')}; got ${show(value)}`);
      for (const [ssoKey, ssoValue] of Object.entries(value)) {
        (next.sso as Record<string, unknown>)[ssoKey] = ruleFor(`sso.${ssoKey}`).check(`sso.${ssoKey}`, ssoValue);
      }
    } else {
      next[key] = ruleFor(key).check(key, value);
    }
  }
  const parsed = orgSettingsSchema.safeParse(next);
  // The rules above mirror the schema; this only catches the two drifting apart.
  if (!parsed.success) throw invalid(`invalid settings: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

const TRUE_WORDS = ['on', 'true'];
const FALSE_WORDS = ['off', 'false'];

/** Turns the text after `=` into the setting's value, as typed on a command line. */
export function parseSettingValue(name: string, raw: string): unknown {
  const rule = ruleFor(name);
  let value: unknown = raw;
  switch (rule.kind) {
    case 'switch': {
      const word = raw.trim().toLowerCase();
      if (TRUE_WORDS.includes(word)) value = true;
      else if (FALSE_WORDS.includes(word)) value = false;
      else throw invalid(`${name} must be on, off, true or false; got ${show(raw)}`);
      break;
    }
    case 'list':
      value = raw.split(',').map((s) => s.trim()).filter(Boolean);
      break;
    case 'json':
      try {
        value = JSON.parse(raw);
      } catch (error) {
        throw invalid(`${name} must be JSON such as ${RECORD_MAPPING_EXAMPLE}; could not read ${show(raw)}: ${(error as Error).message}`);
      }
      break;
    case 'seconds':
    case 'hours':
      if (!/^\s*\d+\s*$/.test(raw)) throw invalid(`${name} must be a whole number of ${rule.kind}; got ${show(raw)}`);
      value = Number(raw);
      break;
    case 'text':
      value = raw === '' ? null : raw;
      break;
    case 'choice':
      value = raw.trim();
      break;
  }
  return rule.check(name, value);
}

export interface SettingAssignment {
  setting: string;
  value: unknown;
  patch: SettingsPatch;
}

/** `syncFrequency=daily`, `debugMode=on`, `sso.mode=saml`, `recordMapping={"Case":{…}}`. */
export function parseSettingAssignment(text: string): SettingAssignment {
  const at = text.indexOf('=');
  if (at <= 0) throw invalid(`expected setting=value (e.g. syncFrequency=daily); got ${show(text)}`);
  const setting = text.slice(0, at).trim();
  const value = parseSettingValue(setting, text.slice(at + 1));
  const patch: SettingsPatch = setting.startsWith('sso.')
    ? { sso: { [setting.slice(4)]: value } as Partial<SsoSettings> }
    : ({ [setting]: value } as SettingsPatch);
  return { setting, value, patch };
}

/** Several assignments as one patch; naming a setting twice is refused rather than guessed. */
export function parseSettingAssignments(texts: readonly string[]): SettingsPatch {
  const seen = new Set<string>();
  const patch: SettingsPatch = {};
  for (const text of texts) {
    const assignment = parseSettingAssignment(text);
    if (seen.has(assignment.setting)) throw invalid(`setting '${assignment.setting}' is given more than once`);
    seen.add(assignment.setting);
    const { sso, ...rest } = assignment.patch;
    Object.assign(patch, rest);
    if (sso) patch.sso = { ...patch.sso, ...sso };
  }
  return patch;
}

export interface SettingChange {
  setting: string;
  from: unknown;
  to: unknown;
}

/** What a patch actually changed, in dotted names, for the admin's confirmation. */
export function settingChanges(before: OrgSettings, after: OrgSettings): SettingChange[] {
  const a = new Map(flattenSettings(before));
  const b = new Map(flattenSettings(after));
  return SETTING_NAMES.filter((name) => JSON.stringify(a.get(name)) !== JSON.stringify(b.get(name))).map((setting) => ({
    setting,
    from: a.get(setting),
    to: b.get(setting),
  }));
}

/** A setting's value as an admin would type it back (on/off, comma lists, JSON). */
export function formatSettingValue(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (value === null || value === undefined) return '(none)';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Flattened settings in the order of SETTING_NAMES, for `orgs show`. */
export function flattenSettings(settings: OrgSettings): Array<[string, unknown]> {
  const { sso, ...rest } = settings;
  const values = new Map<string, unknown>([...Object.entries(rest), ...Object.entries(sso).map(([k, v]) => [`sso.${k}`, v] as const)]);
  return SETTING_NAMES.map((name) => [name, values.get(name)]);
}
