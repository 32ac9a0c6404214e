import {
  fitUtf16,
  formatSalesforceDateTime,
  inSalesforceDateTimeRange,
  isSalesforceEmail,
  parseSalesforceDateTime,
  URL_FIELD_MAX,
} from './salesforce-values.ts';

/** A field as describe reports it: its API type and its length in UTF-16 code units. */
export interface FieldSpec {
  type: string;
  length: number;
}

/**
 * The fields the pipeline writes as the package declares them (salesforce/force-app), used until
 * the org's own describe has been read; `test/salesforce-package.test.ts` keeps them equal to the
 * metadata files. Lead's standard fields carry Salesforce's standard lengths.
 */
export const PACKAGE_FIELDS: Record<'Glance_Session__c' | 'Lead' | 'Glance_Sync_Run__c' | 'Glance_Log__c', Record<string, FieldSpec>> = {
  Glance_Session__c: {
    Glance_Session_Id__c: { type: 'string', length: 80 },
    Session_Key__c: { type: 'string', length: 50 },
    Status__c: { type: 'string', length: 1 },
    Start_Time__c: { type: 'datetime', length: 0 },
    End_Time__c: { type: 'datetime', length: 0 },
    Last_Event_At__c: { type: 'datetime', length: 0 },
    Host_Name__c: { type: 'string', length: 255 },
    Host_Email__c: { type: 'email', length: 80 },
    Host_Partner_User_Id__c: { type: 'string', length: 255 },
    Guest_Names__c: { type: 'textarea', length: 32768 },
    Guest_Emails__c: { type: 'textarea', length: 32768 },
    Launched_From_Org_Id__c: { type: 'string', length: 18 },
    Launched_From_Record_Id__c: { type: 'string', length: 18 },
    Join_URL__c: { type: 'url', length: 255 },
    Custom_Data__c: { type: 'textarea', length: 32768 },
  },
  Lead: {
    FirstName: { type: 'string', length: 40 },
    LastName: { type: 'string', length: 80 },
    Company: { type: 'string', length: 255 },
    Email: { type: 'email', length: 80 },
    Phone: { type: 'phone', length: 40 },
    Description: { type: 'textarea', length: 32000 },
    Glance_Session_Id__c: { type: 'string', length: 80 },
    Glance_Guest_Key__c: { type: 'string', length: 255 },
  },
  // The admin's view in the org (shared/sync/salesforce-admin-records.ts).
  Glance_Sync_Run__c: {
    Run_Id__c: { type: 'string', length: 80 },
    Trigger__c: { type: 'string', length: 20 },
    Status__c: { type: 'string', length: 20 },
    Requested_At__c: { type: 'datetime', length: 0 },
    Started_At__c: { type: 'datetime', length: 0 },
    Ended_At__c: { type: 'datetime', length: 0 },
    Next_Scheduled_Sync__c: { type: 'datetime', length: 0 },
    Sessions_Fetched__c: { type: 'double', length: 0 },
    Sessions_Queued__c: { type: 'double', length: 0 },
    Already_Known__c: { type: 'double', length: 0 },
    Pull_Failed__c: { type: 'double', length: 0 },
    Records_Created__c: { type: 'double', length: 0 },
    Records_Updated__c: { type: 'double', length: 0 },
    Leads_Created__c: { type: 'double', length: 0 },
    Chatter_Posts__c: { type: 'double', length: 0 },
    Sessions_Failed__c: { type: 'double', length: 0 },
    Error__c: { type: 'textarea', length: 32768 },
  },
  Glance_Log__c: {
    Log_Key__c: { type: 'string', length: 64 },
    Session_Id__c: { type: 'string', length: 80 },
    Event_Id__c: { type: 'string', length: 255 },
    Logged_At__c: { type: 'datetime', length: 0 },
    Recorded__c: { type: 'boolean', length: 0 },
    Outcome__c: { type: 'string', length: 255 },
    Route__c: { type: 'string', length: 255 },
    Link__c: { type: 'string', length: 255 },
    Leads__c: { type: 'textarea', length: 32768 },
    Chatter__c: { type: 'string', length: 255 },
    Salesforce_Calls__c: { type: 'textarea', length: 32768 },
  },
};

const CUTTABLE = new Set(['string', 'textarea', 'phone']);

/**
 * Fits one value to its field the way Salesforce would take it: text cut to the field's length in
 * UTF-16 code units (never half a character); an email kept only when Salesforce accepts it and it
 * fits; a URL kept only when it fits (at most 255); a dateTime sent as yyyy-MM-ddTHH:mm:ss.SSSZ and
 * kept only within 1700..4000. `note` says what was cut or left out, and why.
 */
export function fitValue(name: string, value: unknown, field: FieldSpec | undefined): { value: unknown; note?: string } {
  if (!field || typeof value !== 'string') return { value };
  if (field.type === 'email') {
    const email = value.trim();
    if (email.length > field.length) return { value: null, note: `${name} left out: ${email.length} characters, the field holds ${field.length}` };
    if (!isSalesforceEmail(email)) return { value: null, note: `${name} left out: ${JSON.stringify(email)} is not an address Salesforce accepts` };
    return { value: email };
  }
  if (field.type === 'url') {
    const max = Math.min(field.length || URL_FIELD_MAX, URL_FIELD_MAX);
    return value.length > max ? { value: null, note: `${name} left out: ${value.length} characters, a URL field holds ${max}` } : { value };
  }
  if (field.type === 'datetime') {
    const ms = parseSalesforceDateTime(value.replace(/(\.\d{3})\d+/, '$1'));
    if (ms === undefined) return { value: null, note: `${name} left out: ${JSON.stringify(value)} is not a dateTime` };
    if (!inSalesforceDateTimeRange(ms)) return { value: null, note: `${name} left out: ${value} is outside what Salesforce holds (1700-01-01 to 4000-12-31)` };
    return { value: formatSalesforceDateTime(ms) };
  }
  if (CUTTABLE.has(field.type) && field.length > 0) {
    const fitted = fitUtf16(value, field.length);
    if (fitted.cut) return { value: fitted.value, note: `${name} cut to ${field.length} characters (from ${value.length})` };
  }
  return { value };
}

/** Fits every value of a record to its fields (see fitValue); notes are appended to `notes`. */
export function fitRecord<T extends Record<string, unknown>>(record: T, fields: Record<string, FieldSpec> | Map<string, FieldSpec>, notes: string[]): T {
  const lookup = (name: string) => (fields instanceof Map ? fields.get(name) : fields[name]);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    const fitted = fitValue(name, value, lookup(name));
    out[name] = fitted.value;
    if (fitted.note) notes.push(fitted.note);
  }
  return out as T;
}
