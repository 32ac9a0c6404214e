import type { Org } from '../org.ts';
import type { GlanceSession } from '../session.ts';
import { sameSalesforceId } from '../salesforce-id.ts';

export type RouteDecision =
  | { record: true; launchedHere: boolean; reason: string }
  | { record: false; reason: string };

/**
 * Every org paired with the group receives the group's full list of sessions; each org records
 * the ones launched from it, and the others only when Log Sessions Started Outside is on.
 */
export function routeSessionToOrg(session: GlanceSession, org: Org): RouteDecision {
  if (!org.settings.sites.includes(session.site)) {
    return { record: false, reason: `site ${session.site} is not accepted by this org (accepts ${org.settings.sites.join(', ')})` };
  }
  if (session.origin && sameSalesforceId(session.origin.salesforceOrgId, org.orgId)) {
    return { record: true, launchedHere: true, reason: 'launched from this org' };
  }
  const where = session.origin ? `from org ${session.origin.salesforceOrgId}` : 'outside Salesforce';
  if (org.settings.logSessionsStartedOutside) {
    return { record: true, launchedHere: false, reason: `launched ${where}; Log Sessions Started Outside of Salesforce is on` };
  }
  return { record: false, reason: `launched ${where}; Log Sessions Started Outside of Salesforce is off` };
}
