import { describe, expect, it } from 'vitest';
import { leadDecisions } from '../../shared/guest-leads.ts';
import { routeSessionToOrg } from '../../shared/processing/org-routing.ts';
import { chatterDecision } from '../../shared/chatter.ts';
import { linkFromMapping, mappingLookups } from '../../shared/record-links.ts';
import { sampleSession } from '../support/fixtures.ts';
import { ORG_SHAPE, org } from './fakes/ports.ts';

const PROD = '00D5g000000AbCdEAK';
const SANDBOX = '00D5g000000SbXyEAK';
const guest = (name: string | null, email: string | null) => ({ name, email, phone: null, joinedAt: '2026-11-22T13:15:02Z' });

describe('Create Leads for Session Guests (leadDecisions)', () => {
  it('Never makes no Lead, whoever joined', () => {
    expect(leadDecisions(sampleSession(), org(PROD, { createLeadsForGuests: 'never' }))).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'Create Leads for Session Guests is Never' }),
    ]);
  });

  it('New Email makes a candidate of each guest with a new-looking email, keyed by the lower-cased address', () => {
    const session = sampleSession({ guests: [guest('Gil Guest', ' Gil@Example.ORG '), guest(null, 'pat@example.net')] });
    expect(leadDecisions(session, org(PROD, { createLeadsForGuests: 'new_email' }))).toEqual([
      { guest: 0, email: 'gil@example.org', action: 'candidate', key: 'gil@example.org' },
      { guest: 1, email: 'pat@example.net', action: 'candidate', key: 'pat@example.net' },
    ]);
  });

  it('New Email and Name skips a guest who gave no name', () => {
    const session = sampleSession({ guests: [guest('  ', 'pat@example.net')] });
    const [decision] = leadDecisions(session, org(PROD, { createLeadsForGuests: 'new_email_and_name' }));
    expect(decision).toMatchObject({ action: 'skip', reason: expect.stringContaining('no name') });
  });

  it.each([
    ['a cobrowse session', sampleSession({ type: 'C' }), /screen share sessions only/],
    ['a guest without email', sampleSession({ guests: [guest('Gil', null)] }), /no email/],
    ['an address that is not one', sampleSession({ guests: [guest('Gil', 'not-an-address')] }), /not an address Salesforce accepts/],
    ['the host joining as a guest', sampleSession({ guests: [guest('Ana', 'ANA@example.com')] }), /host agent/],
  ])('makes no Lead for %s', (_name, session, reason) => {
    const [decision] = leadDecisions(session, org(PROD, { createLeadsForGuests: 'new_email' }));
    expect(decision).toMatchObject({ action: 'skip', reason: expect.stringMatching(reason) });
  });
});

describe('routing a group session to a paired org (routeSessionToOrg)', () => {
  const launchedFrom = (orgId: string) => sampleSession({ origin: { salesforceOrgId: orgId, recordId: '5005g00000XyZ12AAB' } });

  it('records a session launched from the org, comparing 15- and 18-character ids', () => {
    expect(routeSessionToOrg(launchedFrom(PROD.slice(0, 15)), org(PROD))).toEqual({ record: true, launchedHere: true, reason: 'launched from this org' });
  });

  it('records a session launched elsewhere only when Log Sessions Started Outside is on', () => {
    expect(routeSessionToOrg(launchedFrom(SANDBOX), org(PROD, { logSessionsStartedOutside: false }))).toEqual({
      record: false,
      reason: `launched from org ${SANDBOX}; Log Sessions Started Outside of Salesforce is off`,
    });
    expect(routeSessionToOrg(sampleSession({ origin: null }), org(PROD, { logSessionsStartedOutside: true }))).toMatchObject({
      record: true,
      launchedHere: false,
      reason: expect.stringContaining('outside Salesforce'),
    });
  });

  it('skips a site the org does not accept, even for a session launched from it', () => {
    const decision = routeSessionToOrg({ ...launchedFrom(PROD), site: 'staging' }, org(PROD, { sites: ['production'] }));
    expect(decision).toEqual({ record: false, reason: 'site staging is not accepted by this org (accepts production)' });
  });
});

describe('Chatter When Starting Glance Session (chatterDecision)', () => {
  it('posts on the related record when on and the session is running', () => {
    expect(chatterDecision(sampleSession(), true, '5005g00000XyZ12AAB')).toEqual({ post: true, subjectId: '5005g00000XyZ12AAB' });
  });

  it.each([
    ['off', sampleSession(), false, '5005g00000XyZ12AAB', 'Chatter When Starting Glance Session is off'],
    ['unrelated', sampleSession(), true, null, 'session is not related to a record'],
    ['already ended', sampleSession({ status: 'C', endedAt: '2026-11-22T13:30:00Z' }), true, '5005g00000XyZ12AAB', 'session had already ended when it reached us'],
  ])('does not post when %s', (_name, session, on, record, reason) => {
    expect(chatterDecision(session, on, record)).toEqual({ post: false, reason });
  });
});

describe('record mapping (linkFromMapping)', () => {
  const lookups = mappingLookups({ Contact: { Email: 'user_email' }, Case: { SuppliedEmail: 'user_email' }, Widget__c: { Name: 'x' } }, ORG_SHAPE);

  it('drops mapped objects Glance_Session__c has no lookup to', () => {
    expect(lookups.map((l) => l.sobject)).toEqual(['Contact', 'Case']);
  });

  it('relates the first lookup that matches exactly one record', () => {
    const matches = (l: { sobject: string }) => (l.sobject === 'Contact' ? [] : ['5005g00000XyZ12AAB']);
    const { decision } = linkFromMapping(sampleSession(), lookups, matches, ORG_SHAPE);
    expect(decision).toEqual({
      linked: true,
      sobject: 'Case',
      recordId: '5005g00000XyZ12AAB',
      field: 'Case__c',
      how: 'mapping Case.SuppliedEmail = custom data user_email',
    });
  });

  it('relates nothing when a lookup matches several records, and says so', () => {
    const { decision } = linkFromMapping(sampleSession(), lookups.slice(0, 1), () => ['0035g00000000001AAA', '0035g00000000002AAA'], ORG_SHAPE);
    expect(decision).toEqual({ linked: false, reason: expect.stringContaining('2 Contact records have Email = custom data user_email: ambiguous') });
  });

  it('names the empty custom data key when there is nothing to look up', () => {
    const { decision } = linkFromMapping(sampleSession({ customData: {} }), lookups.slice(0, 1), () => ['x'], ORG_SHAPE);
    expect(decision).toEqual({ linked: false, reason: 'custom data user_email is empty: no Contact by Email' });
  });
});
