import type { GlanceSession, WebhookEvent } from '../../shared/session.ts';

export const DEMO_GROUP = 12345;
export const PROD_ORG = '00D5g000000AbCdEAK';
export const SANDBOX_ORG = '00D5g000000SbXyEAK';
export const OTHER_ORG = '00D5g000000ZzZzEAK';

export function sampleSession(overrides: Partial<GlanceSession> = {}): GlanceSession {
  return {
    id: '12345.4821.918273',
    sessionKey: '4821',
    groupId: DEMO_GROUP,
    site: 'production',
    type: 'G',
    status: 'A',
    startedAt: '2026-11-22T13:14:00Z',
    endedAt: null,
    host: { partnerUserId: 'agent-17', name: 'Ana Agent', email: 'ana@example.com' },
    guests: [{ name: 'Gil Guest', email: 'gil@example.org', phone: null, joinedAt: '2026-11-22T13:15:02Z' }],
    origin: null,
    customData: { user_email: 'gil@example.org' },
    joinUrl: 'https://www.glance.net/agentjoin/4821',
    ...overrides,
  };
}

export function sampleWebhookEvent(sessionOverrides: Partial<GlanceSession> = {}, type: WebhookEvent['type'] = 'session.started'): WebhookEvent {
  return { type, occurredAt: '2026-11-22T13:14:05Z', session: sampleSession(sessionOverrides) };
}
