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

/** Deliberately plain: Salesforce validates for real; this only keeps obvious junk from costing a call. */
export function isPlausibleEmail(email: string): boolean {
  return email.length <= 80 && /^[^\s@'"\\<>(),;:]+@[^\s@'"\\<>(),;:]+\.[^\s@'"\\<>(),;:]{2,}$/.test(email);
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
    if (!isPlausibleEmail(email)) return skip('guest email is not a valid address');
    if (email === hostEmail) return skip('guest is the host agent');
    if (rule === 'new_email_and_name' && !guest.name?.trim()) return skip('guest gave no name (rule needs email and name)');
    return { guest: index, email, action: 'candidate', key: email };
  });
}

export function splitName(name: string | null | undefined): { FirstName: string | null; LastName: string } {
  const parts = (name ?? '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { FirstName: null, LastName: LEAD_LASTNAME_PLACEHOLDER };
  if (parts.length === 1) return { FirstName: null, LastName: parts[0]!.slice(0, 80) };
  return { FirstName: parts.slice(0, -1).join(' ').slice(0, 40), LastName: parts[parts.length - 1]!.slice(0, 80) };
}

/** The Lead for a guest; its external id is the normalised email, so a retried create is an update. */
export function leadRecord(session: GlanceSession, guestIndex: number, key: string): Record<string, string | null> {
  const guest = session.guests[guestIndex]!;
  return {
    [LEAD_GUEST_KEY_FIELD]: key,
    ...splitName(guest.name),
    Email: guest.email!.trim(),
    Phone: guest.phone?.slice(0, 40) ?? null,
    Company: LEAD_COMPANY_PLACEHOLDER,
    LeadSource: LEAD_SOURCE,
    Description: `Joined Glance screen share session ${session.sessionKey} (${session.id}) on ${session.startedAt}${
      session.host.name ? ` with ${session.host.name}` : ''
    }.`.slice(0, 32_000),
    Glance_Session_Id__c: session.id,
  };
}
