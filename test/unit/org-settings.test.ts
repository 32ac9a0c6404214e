import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../shared/org.ts';
import {
  applySettingsPatch,
  formatSettingValue,
  parseSettingAssignment,
  parseSettingAssignments,
  SETTING_NAMES,
  settingChanges,
} from '../../shared/org-settings.ts';

describe('parseSettingAssignment: what an admin types after orgs set', () => {
  it.each([
    ['syncFrequency=daily', { syncFrequency: 'daily' }],
    ['createLeadsForGuests=new_email_and_name', { createLeadsForGuests: 'new_email_and_name' }],
    ['debugMode=on', { debugMode: true }],
    ['debugMode=OFF', { debugMode: false }],
    ['chatterOnSessionStart=true', { chatterOnSessionStart: true }],
    ['logSessionsStartedOutside=false', { logSessionsStartedOutside: false }],
    ['sites=production', { sites: ['production'] }],
    ['sites=staging, production,staging', { sites: ['staging', 'production'] }],
    ['recordMapping={"Case": {"ContactEmail": "user_email"}}', { recordMapping: { Case: { ContactEmail: 'user_email' } } }],
    ['recordMapping={}', { recordMapping: {} }],
    ['defaultGlanceAdmin=admin@example.com', { defaultGlanceAdmin: 'admin@example.com' }],
    ['defaultGlanceAdmin=', { defaultGlanceAdmin: null }],
    ['sso.mode=login_key', { sso: { mode: 'login_key' } }],
    ['sso.partnerUserIdField=FederationIdentifier', { sso: { partnerUserIdField: 'FederationIdentifier' } }],
    ['sso.nonAdminPartnerUserId=sync-bot=1', { sso: { nonAdminPartnerUserId: 'sync-bot=1' } }],
    ['sso.loginKeyLifetimeSeconds=7200', { sso: { loginKeyLifetimeSeconds: 7200 } }],
    ['pauseHoldHours=120', { pauseHoldHours: 120 }],
  ])('%s', (text, patch) => {
    expect(parseSettingAssignment(text).patch).toEqual(patch);
  });

  it.each([
    ['syncFrequency', /expected setting=value \(e\.g\. syncFrequency=daily\); got 'syncFrequency'/],
    ['=daily', /expected setting=value/],
    ['colour=blue', /unknown setting 'colour'; known settings: syncFrequency, createLeadsForGuests, .*sso\.loginKeyLifetimeSeconds$/],
    ['syncfrequency=daily', /unknown setting 'syncfrequency' \(did you mean 'syncFrequency'\?\)/],
    ['sso=saml', /unknown setting 'sso'/],
    ['syncFrequency=weekly', /^syncFrequency must be one of hourly, every_2_hours, daily, never; got 'weekly'$/],
    ['debugMode=maybe', /^debugMode must be on, off, true or false; got 'maybe'$/],
    ['debugMode=', /^debugMode must be on, off, true or false; got ''$/],
    ['sites=', /^sites must be a non-empty list of production, staging/],
    ['sites=production,prod', /^sites must be a list of production, staging; got 'prod'$/],
    ['recordMapping={Case:', /^recordMapping must be JSON such as \{"Case": \{"ContactEmail": "user_email"\}\}; could not read/],
    ['recordMapping={"Case": {"ContactEmail": "user email"}}', /^recordMapping\.Case\.ContactEmail: 'user email' is not a custom data key/],
    ['sso.loginKeyLifetimeSeconds=1h', /^sso\.loginKeyLifetimeSeconds must be a whole number of seconds; got '1h'$/],
    ['sso.loginKeyLifetimeSeconds=90000', /^sso\.loginKeyLifetimeSeconds must be a whole number of seconds from 60 to 86400 .*; got 90000$/],
  ])('refuses %s, naming the setting', (text, message) => {
    expect(() => parseSettingAssignment(text)).toThrow(message);
  });

  it('merges several assignments into one patch, sso fields together', () => {
    expect(parseSettingAssignments(['sso.mode=saml', 'debugMode=on', 'sso.nonAdminPartnerUserId=bot'])).toEqual({
      debugMode: true,
      sso: { mode: 'saml', nonAdminPartnerUserId: 'bot' },
    });
  });

  it('refuses a setting given twice rather than guessing which one counts', () => {
    expect(() => parseSettingAssignments(['debugMode=on', 'debugMode=off'])).toThrow("setting 'debugMode' is given more than once");
  });
});

describe('applySettingsPatch', () => {
  it('keeps the settings the patch does not name, including the other sso fields', () => {
    const current = applySettingsPatch(defaultSettings(), { sso: { partnerUserIdField: 'FederationIdentifier' }, debugMode: true });
    const next = applySettingsPatch(current, { sso: { mode: 'saml' } });
    expect(next.sso).toEqual({ mode: 'saml', partnerUserIdField: 'FederationIdentifier', nonAdminPartnerUserId: null, loginKeyLifetimeSeconds: 3600 });
    expect(next.debugMode).toBe(true);
    expect(next.syncFrequency).toBe('hourly');
  });

  it('refuses a patch that is not an object', () => {
    expect(() => applySettingsPatch(defaultSettings(), 'debugMode=on')).toThrow(/settings must be an object/);
    expect(() => applySettingsPatch(defaultSettings(), { sso: 'saml' })).toThrow(/^sso must be an object of mode, partnerUserIdField/);
  });
});

describe('settingChanges and formatting', () => {
  it('reports only what changed, in dotted names, as an admin would type it back', () => {
    const before = defaultSettings();
    const after = applySettingsPatch(before, { syncFrequency: 'daily', debugMode: true, sso: { loginKeyLifetimeSeconds: 600 }, sites: ['production', 'staging'] });
    const changes = settingChanges(before, after).map((c) => `${c.setting} ${formatSettingValue(c.from)} -> ${formatSettingValue(c.to)}`);
    expect(changes).toEqual(['syncFrequency hourly -> daily', 'debugMode off -> on', 'sso.loginKeyLifetimeSeconds 3600 -> 600']);
  });

  it('has a rule for every setting of the schema, and no other', () => {
    const defaults = defaultSettings();
    const schemaNames = [...Object.keys(defaults).filter((k) => k !== 'sso'), ...Object.keys(defaults.sso).map((k) => `sso.${k}`)];
    expect([...SETTING_NAMES].sort()).toEqual(schemaNames.sort());
  });
});

describe('pauseHoldHours: how long a paused org is held before its sessions are dead-lettered', () => {
  it('defaults to 3 days and refuses anything past 10 days (SQS keeps a dead letter 14 days at most) or not whole hours', () => {
    expect(defaultSettings().pauseHoldHours).toBe(72);
    expect(() => parseSettingAssignment('pauseHoldHours=241')).toThrow(/pauseHoldHours must be a whole number of hours from 1 to 240 .*got 241/);
    expect(() => parseSettingAssignment('pauseHoldHours=0')).toThrow(/from 1 to 240/);
    expect(() => parseSettingAssignment('pauseHoldHours=1.5')).toThrow(/pauseHoldHours must be a whole number of hours; got '1.5'/);
  });
});
