import type { RecordMapping } from './org.ts';
import { recordMappingProblems, type MappingDescribe } from './record-mapping-check.ts';

/**
 * Checks of an org's settings against the org itself, run where the org's Salesforce credentials
 * may be read (the OrgCheck function, or in-process locally), never by an admin's own role.
 */
export interface OrgCheckRequest {
  orgId: string;
  recordMapping: RecordMapping;
}

export interface OrgCheckAnswer {
  /** One message per problem, each naming the setting; empty when the org can use the settings. */
  problems: string[];
}

/** `describeOrg` signs in with the org's stored credentials; its errors (login refused, org down) propagate. */
export async function checkOrgSettings(request: OrgCheckRequest, describeOrg: (orgId: string) => Promise<MappingDescribe>): Promise<OrgCheckAnswer> {
  if (Object.keys(request.recordMapping).length === 0) return { problems: [] };
  return { problems: await recordMappingProblems(request.recordMapping, await describeOrg(request.orgId)) };
}
