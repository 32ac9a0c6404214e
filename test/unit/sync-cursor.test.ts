import { describe, expect, it } from 'vitest';
import { snapshotInstant, syncEventId, syncEventType, toSyncEvent } from '../../shared/sync/sync-events.ts';
import {
  applyPage,
  ENDED_REACH_BACK_MS,
  LISTING_LAG_MS,
  MAX_TRACKED_PER_GROUP,
  orgWatermark,
  planGroupPull,
  pruneTracked,
  type GroupCursor,
  type GroupPull,
  type TrackedSession,
} from '../../shared/sync/sync-cursor.ts';
import { parseGlanceCredentials, SyncRunFailure } from '../../shared/sync/glance-credentials.ts';
import type { GlanceSession } from '../../shared/session.ts';
import { sampleSession } from '../support/fixtures.ts';

const GROUP = 12345;
const NOW = new Date('2026-11-22T12:00:00Z');
const INSTALLED = new Date('2026-11-01T09:30:00Z');
const SITES = ['production', 'staging'] as const;
const at = (iso: string) => new Date(iso);

function session(id: string, startedAt: string, overrides: Partial<GlanceSession> = {}): GlanceSession {
  return sampleSession({ id: `${GROUP}.1.${id}`, startedAt, guests: [], ...overrides });
}
const ended = (id: string, startedAt: string, endedAt: string) => session(id, startedAt, { status: 'C', endedAt });
const open = (id: string, startedAt: string) => session(id, startedAt, { status: 'A', endedAt: null });
const tracked = (s: GlanceSession): TrackedSession => ({ startedAt: s.startedAt, eventId: syncEventId(s), final: s.status === 'C' || s.endedAt !== null });

describe('pulled session → session event', () => {
  it('names the event by the session state, so the same state pulled twice is one event', () => {
    const active = open('1', '2026-11-22T10:00:00Z');
    const done = { ...active, status: 'C' as const, endedAt: '2026-11-22T10:30:00Z' };
    expect(syncEventId(active)).toBe(`sync:${GROUP}.1.1:A:`);
    expect(syncEventId(done)).toBe(`sync:${GROUP}.1.1:C:2026-11-22T10:30:00Z`);
    expect(syncEventId({ ...active, guests: [{ name: 'x', email: null, phone: null, joinedAt: '2026-11-22T10:05:00Z' }] })).toBe(syncEventId(active));
  });

  it('calls a session ended when it has an end time or a final status, updated otherwise', () => {
    expect(syncEventType(open('1', '2026-11-22T10:00:00Z'))).toBe('session.updated');
    expect(syncEventType(ended('1', '2026-11-22T10:00:00Z', '2026-11-22T10:20:00Z'))).toBe('session.ended');
    expect(syncEventType(session('1', '2026-11-22T10:00:00Z', { status: 'X', endedAt: null }))).toBe('session.ended');
  });

  it('dates the event by what the snapshot shows, never by the pull time', () => {
    const guests = [
      { name: 'a', email: null, phone: null, joinedAt: '2026-11-22T10:07:00Z' },
      { name: 'b', email: null, phone: null, joinedAt: null },
      { name: 'c', email: null, phone: null, joinedAt: '2026-11-22T10:03:00+00:00' },
    ];
    expect(snapshotInstant(ended('1', '2026-11-22T10:00:00Z', '2026-11-22T10:40:00Z'))).toBe('2026-11-22T10:40:00Z');
    expect(snapshotInstant(session('1', '2026-11-22T10:00:00Z', { guests }))).toBe('2026-11-22T10:07:00Z');
    expect(snapshotInstant(open('1', '2026-11-22T10:00:00Z'))).toBe('2026-11-22T10:00:00Z');
    expect(toSyncEvent(open('1', '2026-11-22T10:00:00Z'))).toMatchObject({ source: 'sync', type: 'session.updated', occurredAt: '2026-11-22T10:00:00Z' });
  });
});

describe('what a run pulls', () => {
  it('starts a group at the install time and stops short of now, where Glance may still list late', () => {
    const pull = planGroupPull({ groupId: GROUP, cursor: undefined, installedAt: INSTALLED, backfillFrom: null, now: NOW });
    expect(pull).toEqual({ groupId: GROUP, from: INSTALLED, to: new Date(NOW.getTime() - LISTING_LAG_MS) });
  });

  it('reaches back before the watermark, for sessions that started before it and ended since', () => {
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: {} };
    expect(planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: null, now: NOW })).toEqual({
      groupId: GROUP,
      from: new Date(Date.parse('2026-11-22T11:00:00.000Z') - ENDED_REACH_BACK_MS),
      to: new Date(NOW.getTime() - LISTING_LAG_MS),
    });
  });

  it('lets a backfill reach back further, but never skip ahead', () => {
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: {} };
    const back = planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: at('2026-11-05T00:00:00Z'), now: NOW });
    expect(back?.from).toEqual(at('2026-11-05T00:00:00Z'));
    const ahead = planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: at('2026-11-22T11:30:00Z'), now: NOW });
    expect(ahead?.from).toEqual(new Date(Date.parse('2026-11-22T11:00:00.000Z') - ENDED_REACH_BACK_MS));
  });

  it('pulls nothing when the last run was less than the listing lag ago', () => {
    const cursor: GroupCursor = { watermark: new Date(NOW.getTime() - LISTING_LAG_MS).toISOString(), tracked: {} };
    expect(planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: null, now: NOW })).toBeNull();
  });
});

describe('a page of pulled sessions', () => {
  const pull = (from: string): GroupPull => ({ groupId: GROUP, from: at(from), to: at('2026-11-22T11:58:00Z') });

  it('queues every new session, moves the watermark to what the page completes, and remembers what it queued', () => {
    const sessions = [ended('1', '2026-11-22T10:00:00Z', '2026-11-22T10:10:00Z'), ended('2', '2026-11-22T10:05:00Z', '2026-11-22T10:06:00Z')];
    const result = applyPage({ pull: pull('2026-11-22T09:00:00Z'), cursor: undefined, sessions, completeBefore: at('2026-11-22T11:58:00Z'), sites: SITES, now: NOW });
    expect(result.events.map((e) => e.eventId)).toEqual(sessions.map(syncEventId));
    expect(result.events.map((e) => e.type)).toEqual(['session.ended', 'session.ended']);
    expect(result.alreadyKnown).toBe(0);
    expect(result.cursor.watermark).toBe('2026-11-22T11:58:00.000Z');
    expect(Object.keys(result.cursor.tracked)).toEqual(sessions.map((s) => s.id));
  });

  it('never moves the watermark back', () => {
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: {} };
    const result = applyPage({ pull: pull('2026-11-21T11:00:00Z'), cursor, sessions: [], completeBefore: at('2026-11-21T11:00:00Z'), sites: SITES, now: NOW });
    expect(result.cursor.watermark).toBe('2026-11-22T11:00:00.000Z');
  });

  it('counts a session the reach-back lists again as already known; one that started before the watermark but ended since is new', () => {
    const queued = ended('1', '2026-11-22T09:00:00Z', '2026-11-22T09:30:00Z');
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: { [queued.id]: tracked(queued) } };
    const longRunning = ended('2', '2026-11-22T10:00:00Z', '2026-11-22T11:20:00Z'); // open at the last pull
    const result = applyPage({
      pull: pull('2026-11-21T11:00:00Z'),
      cursor,
      sessions: [queued, longRunning],
      completeBefore: at('2026-11-22T11:58:00Z'),
      sites: SITES,
      now: NOW,
    });
    expect(result.events.map((e) => [e.session.id, e.type])).toEqual([[longRunning.id, 'session.ended']]);
    expect(result.alreadyKnown).toBe(1);
  });

  it('queues only the sites the org accepts', () => {
    const sessions = [session('1', '2026-11-22T10:00:00Z', { site: 'staging' }), session('2', '2026-11-22T10:01:00Z', { site: 'production' })];
    const result = applyPage({ pull: pull('2026-11-22T09:00:00Z'), cursor: undefined, sessions, completeBefore: at('2026-11-22T11:58:00Z'), sites: ['production'], now: NOW });
    expect(result.events.map((e) => e.session.site)).toEqual(['production']);
    expect(result.otherSites).toBe(1);
  });

  it('forgets what the next reach-back cannot list, by end time, and beyond the cap the oldest first', () => {
    const watermark = NOW.toISOString();
    const old = { startedAt: '2026-11-20T10:00:00Z', endedAt: '2026-11-20T11:00:00Z', eventId: 'old', final: true };
    const longOne = { startedAt: '2026-11-20T10:00:00Z', endedAt: '2026-11-22T11:00:00Z', eventId: 'long', final: true };
    const legacy = { startedAt: '2026-11-22T10:00:00Z', eventId: 'legacy', final: false }; // written before endedAt was kept
    expect(Object.keys(pruneTracked({ old, longOne, legacy }, watermark))).toEqual(['longOne', 'legacy']);

    const entries: Record<string, TrackedSession> = {};
    for (let i = 0; i < MAX_TRACKED_PER_GROUP + 5; i++) {
      const endedAt = new Date(NOW.getTime() - 60 * 60_000 + i * 1000).toISOString();
      entries[`s${i}`] = { startedAt: endedAt, endedAt, eventId: `e${i}`, final: true };
    }
    const pruned = pruneTracked(entries, watermark);
    expect(Object.keys(pruned)).toHaveLength(MAX_TRACKED_PER_GROUP);
    expect(['s0', 's1', 's2', 's3', 's4'].some((id) => id in pruned)).toBe(false);
  });
});

describe('org watermark', () => {
  it('is the earliest of its groups, and unknown while a group was never pulled', () => {
    const groups = { '1': { watermark: '2026-11-22T10:00:00.000Z', tracked: {} }, '2': { watermark: '2026-11-22T09:00:00.000Z', tracked: {} } };
    expect(orgWatermark({ groups }, [1, 2])).toBe('2026-11-22T09:00:00.000Z');
    expect(orgWatermark({ groups }, [1, 2, 3])).toBeNull();
    expect(orgWatermark(null, [1])).toBeNull();
    expect(orgWatermark({ groups }, [])).toBeNull();
  });
});

describe('Glance credentials', () => {
  it('name where they came from and the missing field, never a value', () => {
    const where = 'secret glance-sync/group/12345/glance';
    const failure = (value: string | null) => {
      try {
        parseGlanceCredentials(where, value);
      } catch (error) {
        expect(error).toBeInstanceOf(SyncRunFailure);
        return (error as Error).message;
      }
      throw new Error('expected a failure');
    };
    expect(failure(null)).toContain(`${where} does not exist`);
    expect(failure('top-secret-not-json')).not.toContain('top-secret');
    const typo = failure(JSON.stringify({ username: 'u', password: 'top-secret-pw', apikey: 'top-secret-typo' }));
    expect(typo).toMatch(/apiKey/);
    expect(typo).not.toContain('top-secret');
    expect(failure(JSON.stringify({ username: 'u', password: 'p', apiKey: 'k', site: 'test' }))).toMatch(/invalid site/);
    expect(parseGlanceCredentials(where, JSON.stringify({ username: 'u', password: 'p', apiKey: 'k' }))).toEqual({ username: 'u', password: 'p', apiKey: 'k', site: 'production' });
  });
});
