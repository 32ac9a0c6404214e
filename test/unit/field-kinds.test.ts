import { describe, expect, it } from 'vitest';
import { fitRecord, PACKAGE_FIELDS } from '../../shared/field-fit.ts';
import { isSalesforceEmail } from '../../shared/salesforce-values.ts';

// Issue 10 listed one member of each kind; these are further members of the same kinds.
describe('more members of the kinds issue 10 listed', () => {
  it.each(['x+tag@example.com', "a&b{c}~@example.com", "o'neil@example.com"])('accepts %s, as Salesforce does (KB 000001145)', (email) => {
    expect(isSalesforceEmail(email)).toBe(true);
  });

  it.each(['jo@sub_domain.example.com', '.lead@example.com', 'josé@example.com'])('refuses %s, as Salesforce does (KB 000384328)', (email) => {
    expect(isSalesforceEmail(email)).toBe(false);
  });

  it('cuts a Lead phone and a first name ending in a skin-tone emoji to their fields, never through a character, and says so', () => {
    const notes: string[] = [];
    const fitted = fitRecord({ Phone: '1'.repeat(45), FirstName: `${'Z'.repeat(39)}👍🏽x` }, PACKAGE_FIELDS.Lead, notes);
    expect(fitted.Phone).toBe('1'.repeat(40));
    expect(fitted.FirstName).toBe('Z'.repeat(39));
    expect(notes).toEqual(['Phone cut to 40 characters (from 45)', 'FirstName cut to 40 characters (from 44)']);
  });
});
