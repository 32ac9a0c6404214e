import { sameSalesforceId } from './salesforce-id.ts';
import { SESSION_TYPES, type GlanceSession } from './session.ts';

/** The custom object and its external id: upserts are keyed by Glance's session id, never the reusable key. */
export const GLANCE_SESSION_OBJECT = 'Glance_Session__c';
export const GLANCE_SESSION_EXTERNAL_ID = 'Glance_Session_Id__c';

export type GlanceSessionRecord = Record<string, string | number | boolean | null> & {
  [GLANCE_SESSION_EXTERNAL_ID]: string;
};

const clip = (value: string | null | undefined, max: number): string | null =>
  value == null ? null : value.length > max ? `${value.slice(0, max - 1)}…` : value;


/** Fields every org's record of the session carries; links to related records are added by the org's rules. */
export function toGlanceSessionRecord(session: GlanceSession, orgId: string, occurredAt: string): GlanceSessionRecord {
  const guests = session.guests;
  return {
    [GLANCE_SESSION_EXTERNAL_ID]: session.id,
    Session_Key__c: session.sessionKey,
    Group_Id__c: session.groupId,
    Site__c: session.site,
    Session_Type__c: SESSION_TYPES[session.type],
    Status__c: session.status,
    Start_Time__c: session.startedAt,
    End_Time__c: session.endedAt,
    Last_Event_At__c: occurredAt,
    Host_Name__c: clip(session.host.name, 255),
    Host_Email__c: session.host.email,
    Host_Partner_User_Id__c: clip(session.host.partnerUserId, 255),
    Guest_Count__c: guests.length,
    Guest_Names__c: clip(guests.map((g) => g.name).filter(Boolean).join('\n'), 32_768) || null,
    Guest_Emails__c: clip(guests.map((g) => g.email?.trim()).filter(Boolean).join('\n'), 32_768) || null,
    Launched_From_Org_Id__c: session.origin?.salesforceOrgId ?? null,
    Launched_From_Record_Id__c: session.origin?.recordId ?? null,
    Launched_From_This_Org__c: sameSalesforceId(session.origin?.salesforceOrgId, orgId),
    Join_URL__c: session.joinUrl,
    Custom_Data__c: Object.keys(session.customData).length ? clip(JSON.stringify(session.customData), 32_768) : null,
  };
}
