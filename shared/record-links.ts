import type { RecordMapping } from './org.ts';
import type { GlanceSession } from './session.ts';

/**
 * What the org's describe tells us: which object an id prefix belongs to, and which lookup field
 * of Glance_Session__c points at that object. Read from Salesforce, never hard-coded: orgs differ.
 */
export interface OrgShape {
  objectByKeyPrefix: Map<string, string>;
  lookupFieldByObject: Map<string, string>;
  /** Glance_Session__c's fields as describe reports them (type, length), to fit values to. */
  sessionFields?: Map<string, { type: string; length: number }>;
}

export type LinkDecision =
  | { linked: true; sobject: string; recordId: string; field: string; how: string }
  | { linked: false; reason: string };

export function linkFromOrigin(recordId: string, shape: OrgShape): LinkDecision {
  const sobject = shape.objectByKeyPrefix.get(recordId.slice(0, 3));
  if (!sobject) return { linked: false, reason: `no object in this org has id prefix ${recordId.slice(0, 3)}` };
  const field = shape.lookupFieldByObject.get(sobject);
  if (!field) return { linked: false, reason: `Glance_Session__c has no lookup to ${sobject}` };
  return { linked: true, sobject, recordId, field, how: `launched from ${sobject} ${recordId}` };
}

export interface MappingLookup {
  sobject: string;
  field: string;
  customDataKey: string;
}

/** The (object, field, custom data key) triples of the mapping that Glance_Session__c can relate to. */
export function mappingLookups(mapping: RecordMapping, shape: OrgShape): MappingLookup[] {
  const lookups: MappingLookup[] = [];
  for (const [sobject, fields] of Object.entries(mapping)) {
    if (!shape.lookupFieldByObject.has(sobject)) continue;
    for (const [field, customDataKey] of Object.entries(fields)) lookups.push({ sobject, field, customDataKey });
  }
  return lookups;
}

export function customDataValue(session: GlanceSession, key: string): string | null {
  const value = session.customData[key];
  if (value === null || value === undefined || value === '') return null;
  return String(value).trim() || null;
}

/**
 * Relates a session with no origin record by the mapping: the first lookup whose value matches
 * exactly one record wins; several matches relate nothing (an admin would not want a guess).
 */
export function linkFromMapping(
  session: GlanceSession,
  lookups: MappingLookup[],
  matches: (lookup: MappingLookup, value: string) => string[],
  shape: OrgShape,
): { decision: LinkDecision; notes: string[] } {
  const notes: string[] = [];
  for (const lookup of lookups) {
    const value = customDataValue(session, lookup.customDataKey);
    if (!value) {
      notes.push(`custom data ${lookup.customDataKey} is empty: no ${lookup.sobject} by ${lookup.field}`);
      continue;
    }
    const ids = matches(lookup, value);
    if (ids.length === 1) {
      const field = shape.lookupFieldByObject.get(lookup.sobject)!;
      return { decision: { linked: true, sobject: lookup.sobject, recordId: ids[0]!, field, how: `mapping ${lookup.sobject}.${lookup.field} = custom data ${lookup.customDataKey}` }, notes };
    }
    notes.push(
      ids.length === 0
        ? `no ${lookup.sobject} has ${lookup.field} = custom data ${lookup.customDataKey}`
        : `${ids.length} ${lookup.sobject} records have ${lookup.field} = custom data ${lookup.customDataKey}: ambiguous, related nothing`,
    );
  }
  return { decision: { linked: false, reason: notes.length ? notes.join('; ') : 'no origin record and no record mapping' }, notes };
}
