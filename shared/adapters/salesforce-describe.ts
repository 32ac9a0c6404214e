import type { DescribedField, MappingDescribe } from '../record-mapping-check.ts';
import type { SalesforceOrgClient } from './salesforce.ts';
import { toCallError } from './salesforce.ts';

/** The org's describe for the record mapping check: one describe call per object named. */
export function salesforceMappingDescribe(client: SalesforceOrgClient): MappingDescribe {
  return {
    async sessionLookups() {
      return (await client.orgShape()).lookupFieldByObject;
    },
    async fields(sobject) {
      try {
        const out = await client.connection.describe(sobject);
        return out.fields.map((f): DescribedField => ({ name: f.name, filterable: f.filterable, relationshipName: f.relationshipName ?? null }));
      } catch (error) {
        // Salesforce answers 404 NOT_FOUND for an object the org does not have.
        if (toCallError(error).code === 'NOT_FOUND') return null;
        throw toCallError(error);
      }
    },
  };
}
