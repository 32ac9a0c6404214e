import type { RecordMapping } from './org.ts';

/** One field of an object's describe, as far as the mapping check needs it. */
export interface DescribedField {
  name: string;
  filterable: boolean;
  relationshipName: string | null;
}

/**
 * What the org's describe says, read through the Salesforce adapter (port declared here, beside
 * its only user): Glance_Session__c's lookup fields by target object, and any object's fields.
 */
export interface MappingDescribe {
  /** Object API name → the Glance_Session__c lookup field pointing at it. */
  sessionLookups(): Promise<Map<string, string>>;
  /** The object's fields, or null when the org has no such object. */
  fields(sobject: string): Promise<DescribedField[] | null>;
}

/**
 * Why a record mapping cannot work in this org, one message per problem (empty: it can).
 * Salesforce rules: a session can only be related to an object Glance_Session__c has a lookup on;
 * the mapping queries `SELECT Id FROM {object} WHERE {field} = '…'`, so the field must exist and be
 * filterable (long text areas are not: "Describe" reference, DescribeFieldResult.filterable).
 * A relationship path (Contact.Email) is checked up to its first relationship only.
 */
export async function recordMappingProblems(mapping: RecordMapping, describe: MappingDescribe): Promise<string[]> {
  const problems: string[] = [];
  const lookups = await describe.sessionLookups();
  const relatable = [...lookups.keys()].sort().join(', ') || 'nothing';
  for (const [sobject, fields] of Object.entries(mapping)) {
    const exact = [...lookups.keys()].find((name) => name.toLowerCase() === sobject.toLowerCase());
    if (!exact) {
      problems.push(`recordMapping: Glance_Session__c has no lookup to ${sobject}, so no session can be related to it (it can be related to ${relatable})`);
      continue;
    }
    const described = await describe.fields(exact);
    if (!described) {
      problems.push(`recordMapping: the org has no object ${sobject}`);
      continue;
    }
    for (const field of Object.keys(fields)) {
      const [head, ...rest] = field.split('.');
      if (rest.length) {
        if (!described.some((f) => f.relationshipName?.toLowerCase() === head!.toLowerCase())) {
          problems.push(`recordMapping.${sobject}.${field}: ${sobject} has no relationship ${head}`);
        }
        continue;
      }
      const found = described.find((f) => f.name.toLowerCase() === field.toLowerCase());
      if (!found) problems.push(`recordMapping.${sobject}.${field}: ${sobject} has no field ${field}`);
      else if (!found.filterable) problems.push(`recordMapping.${sobject}.${field}: ${sobject}.${found.name} cannot be used in a query filter (not filterable, e.g. a long text area)`);
    }
  }
  return problems;
}
