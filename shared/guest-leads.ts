import { fitUtf16, isSalesforceEmail } from './salesforce-values.ts';
import type { Org } from './org.ts';
import type { GlanceSession } from './session.ts';

/** Leads are created with this source, so sales can see where they came from. */
export const LEAD_SOURCE = 'Glance';
export const LEAD_COMPANY_PLACEHOLDER = '[not provided via Glance]';
export const LEAD_LASTNAME_PLACEHOLDER = '[Glance guest]';
export const LEAD_GUEST_KEY_FIELD = 'Glance_Guest_Key__c';

export type LeadDecision =
  | { guest: number; email: string | null; action: 'candidate'; key: string }
  | { guest: number; email: string | null; action: 'skip'; reason: string };

export function normalizeEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : null;
}

/** Lead.Email holds 80 characters (a standard email field). */
export const LEAD_EMAIL_MAX = 80;

/** Whether Lead.Email takes the address: Salesforce's own email rule and the field's length. */
export function isLeadEmail(email: string): boolean {
  return email.length <= LEAD_EMAIL_MAX && isSalesforceEmail(email);
}

/**
 * Which guests of a session may become Leads under the org's rule, before asking Salesforce
 * which emails it already knows. Screen share only; the host is never a Lead.
 */
export function leadDecisions(session: GlanceSession, org: Org): LeadDecision[] {
  const rule = org.settings.createLeadsForGuests;
  const hostEmail = normalizeEmail(session.host.email);
  return session.guests.map((guest, index): LeadDecision => {
    const email = normalizeEmail(guest.email);
    const skip = (reason: string): LeadDecision => ({ guest: index, email, action: 'skip', reason });
    if (rule === 'never') return skip('Create Leads for Session Guests is Never');
    if (session.type !== 'G') return skip('Leads are created for screen share sessions only');
    if (!email) return skip('guest gave no email');
    if (email.length > LEAD_EMAIL_MAX) return skip(`guest email is ${email.length} characters; Lead.Email holds ${LEAD_EMAIL_MAX}`);
    if (!isLeadEmail(email)) return skip('guest email is not an address Salesforce accepts');
    if (email === hostEmail) return skip('guest is the host agent');
    if (rule === 'new_email_and_name' && !guest.name?.trim()) return skip('guest gave no name (rule needs email and name)');
    return { guest: index, email, action: 'candidate', key: email };
  });
}

export function splitName(name: string | null | undefined): { FirstName: string | null; LastName: string } {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { FirstName: null, LastName: LEAD_LASTNAME_PLACEHOLDER };
  // Cut in UTF-16 code units as Salesforce counts them, never through the middle of an emoji.
  if (parts.length === 1) return { FirstName: null, LastName: fitUtf16(parts[0]!, 80).value };
  return { FirstName: fitUtf16(parts.slice(0, -1).join(' '), 40).value, LastName: fitUtf16(parts[parts.length - 1]!, 80).value };
}

/** The Lead for a guest; its external id is the normalised email, so a retried create is an update. */
export function leadRecord(session: GlanceSession, guestIndex: number, key: string): Record<string, string | null> {
  const guest = session.guests[guestIndex]!;
  return {
    [LEAD_GUEST_KEY_FIELD]: key,
    ...splitName(guest.name),
    Email: guest.email!.trim(),
    Phone: guest.phone ? fitUtf16(guest.phone, 40).value : null,
    Company: LEAD_COMPANY_PLACEHOLDER,
    LeadSource: LEAD_SOURCE,
    Description: `Joined Glance screen share session ${session.sessionKey} (${session.id}) on ${session.startedAt}${
      session.host.name ? ` with ${session.host.name}` : ''
    }.`,
    Glance_Session_Id__c: session.id,
  };
}
