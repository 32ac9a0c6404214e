import { describe, expect, it } from 'vitest';
import { setupPauseReason } from '../../shared/processing/org-writes.ts';
import { org } from './fakes/ports.ts';

const ORG = '00D5g000000AbCdEAK';
// Salesforce's INVALID_FIELD answer to the record mapping's query, as the simulator and a real org give it: several lines.
const MAPPING_QUERY_REFUSED = `relating records: INVALID_FIELD: 
SELECT Id, NoSuch__c FROM Case WHERE NoSuch__c IN ('gil@example.org')
           ^
ERROR at Row:1:Column:12
No such column 'NoSuch__c' on entity 'Case'.`;

describe('the reason orgs show gives for an org paused as not set up', () => {
  it('names the record mapping, and the command that fixes it, when the refused query is the mapping\'s', () => {
    const reason = setupPauseReason(org(ORG, { recordMapping: { Case: { NoSuch__c: 'user_email' } } }), MAPPING_QUERY_REFUSED);
    expect(reason).toMatch(/recordMapping/);
    expect(reason).toContain(`glance-sync orgs set ${ORG} recordMapping=`);
    // orgs check compares the org with the package only: it would find nothing to fix here.
    expect(reason).not.toContain('orgs check');
  });

  it('keeps pointing at orgs check when a package field is missing', () => {
    const reason = setupPauseReason(org(ORG, { recordMapping: { Case: { ContactEmail: 'user_email' } } }), "upserting sessions: INVALID_FIELD: No such column 'Host_Name__c' on sobject of type Glance_Session__c");
    expect(reason).toContain(`glance-sync orgs check ${ORG} names the fix`);
  });

  it('is one line, as orgs list and orgs show print it', () => {
    const reason = setupPauseReason(org(ORG, { recordMapping: { Case: { NoSuch__c: 'user_email' } } }), MAPPING_QUERY_REFUSED);
    expect(reason).not.toMatch(/\n/);
  });

  it('takes a mapped object name stored unchecked as text, not as a pattern', () => {
    expect(() => setupPauseReason(org(ORG, { recordMapping: { 'Case(': { X__c: 'y' } } }), MAPPING_QUERY_REFUSED)).not.toThrow();
  });
});
