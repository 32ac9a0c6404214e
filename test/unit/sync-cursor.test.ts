import { describe, expect, it } from 'vitest';
import { snapshotInstant, syncEventId, syncEventType, toSyncEvent } from '../../shared/sync/sync-events.ts';
import {
  applyPage,
  LISTING_LAG_MS,
  MAX_TRACKED_PER_GROUP,
  orgWatermark,
  planGroupPull,
  pruneTracked,
  type GroupCursor,
  type GroupPull,
  type TrackedSession,
} from '../../shared/sync/sync-cursor.ts';
import { parseGlanceSecret, SyncRunFailure } from '../../shared/sync/glance-credentials.ts';
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
    const done = { ...active, status: 'C', endedAt: '2026-11-22T10:30:00Z' };
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
    expect(pull).toEqual({ groupId: GROUP, from: INSTALLED, to: new Date(NOW.getTime() - LISTING_LAG_MS), recheckBefore: null });
  });

  it('continues from the watermark', () => {
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: {} };
    expect(planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: null, now: NOW })).toMatchObject({
      from: at('2026-11-22T11:00:00.000Z'),
      recheckBefore: null,
    });
  });

  it('reaches back to the oldest session still open at the last pull, to see it end', () => {
    const recent = open('1', '2026-11-22T09:00:00Z');
    const ancient = open('2', '2026-11-20T09:00:00Z'); // older than a day: given up on
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: { [recent.id]: tracked(recent), [ancient.id]: tracked(ancient) } };
    expect(planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: null, now: NOW })).toMatchObject({
      from: at('2026-11-22T09:00:00Z'),
      recheckBefore: at('2026-11-22T11:00:00.000Z'),
    });
  });

  it('lets a backfill reach back before the watermark, but never skip ahead of it', () => {
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: {} };
    const back = planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: at('2026-11-05T00:00:00Z'), now: NOW });
    expect(back).toMatchObject({ from: at('2026-11-05T00:00:00Z'), recheckBefore: null });
    const ahead = planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: at('2026-11-22T11:30:00Z'), now: NOW });
    expect(ahead?.from).toEqual(at('2026-11-22T11:00:00.000Z'));
  });

  it('pulls nothing when the last run was less than the listing lag ago', () => {
    const cursor: GroupCursor = { watermark: new Date(NOW.getTime() - LISTING_LAG_MS).toISOString(), tracked: {} };
    expect(planGroupPull({ groupId: GROUP, cursor, installedAt: INSTALLED, backfillFrom: null, now: NOW })).toBeNull();
  });
});

describe('a page of pulled sessions', () => {
  const pull = (from: string, recheckBefore: string | null = null): GroupPull => ({ groupId: GROUP, from: at(from), to: at('2026-11-22T11:58:00Z'), recheckBefore: recheckBefore ? at(recheckBefore) : null });

  it('queues every new session and moves the watermark to what the page completes', () => {
    const sessions = [ended('1', '2026-11-22T10:00:00Z', '2026-11-22T10:10:00Z'), open('2', '2026-11-22T10:05:00Z')];
    const result = applyPage({ pull: pull('2026-11-22T09:00:00Z'), cursor: undefined, sessions, completeBefore: at('2026-11-22T11:58:00Z'), sites: SITES, now: NOW });
    expect(result.events.map((e) => e.eventId)).toEqual(sessions.map(syncEventId));
    expect(result.alreadyKnown).toBe(0);
    expect(result.cursor.watermark).toBe('2026-11-22T11:58:00.000Z');
    // The open one is remembered so a later run sees it end; the ended one behind the watermark is not.
    expect(Object.keys(result.cursor.tracked)).toEqual([sessions[1]!.id]);
  });

  it('never moves the watermark back while re-checking open sessions behind it', () => {
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: {} };
    const result = applyPage({ pull: pull('2026-11-22T09:00:00Z', '2026-11-22T11:00:00.000Z'), cursor, sessions: [], completeBefore: at('2026-11-22T10:00:00Z'), sites: SITES, now: NOW });
    expect(result.cursor.watermark).toBe('2026-11-22T11:00:00.000Z');
  });

  it('counts a session already queued in the same state as already known, and queues it again once it changed', () => {
    const wasOpen = open('1', '2026-11-22T09:00:00Z');
    const stillOpen = open('2', '2026-11-22T09:30:00Z');
    const cursor: GroupCursor = { watermark: '2026-11-22T11:00:00.000Z', tracked: { [wasOpen.id]: tracked(wasOpen), [stillOpen.id]: tracked(stillOpen) } };
    const nowEnded = { ...wasOpen, status: 'C', endedAt: '2026-11-22T11:20:00Z' };
    const queuedEarlierEnded = ended('3', '2026-11-22T10:00:00Z', '2026-11-22T10:30:00Z'); // untracked, behind the watermark
    const newSession = ended('4', '2026-11-22T11:10:00Z', '2026-11-22T11:15:00Z');
    const result = applyPage({
      pull: pull('2026-11-22T09:00:00Z', '2026-11-22T11:00:00.000Z'),
      cursor,
      sessions: [nowEnded, stillOpen, queuedEarlierEnded, newSession],
      completeBefore: at('2026-11-22T11:58:00Z'),
      sites: SITES,
      now: NOW,
    });
    expect(result.events.map((e) => [e.session.id, e.type])).toEqual([
      [wasOpen.id, 'session.ended'],
      [newSession.id, 'session.ended'],
    ]);
    expect(result.alreadyKnown).toBe(2);
    expect(Object.keys(result.cursor.tracked)).toEqual([stillOpen.id]);
  });

  it('remembers sessions starting exactly at the new watermark, which the next pull reads again', () => {
    const tie = ended('1', '2026-11-22T10:00:00Z', '2026-11-22T10:10:00Z');
    const first = applyPage({ pull: pull('2026-11-22T09:00:00Z'), cursor: undefined, sessions: [tie], completeBefore: at(tie.startedAt), sites: SITES, now: NOW });
    expect(first.cursor.tracked[tie.id]).toBeDefined();
    const again = applyPage({ pull: pull(first.cursor.watermark), cursor: first.cursor, sessions: [tie], completeBefore: at('2026-11-22T11:58:00Z'), sites: SITES, now: NOW });
    expect(again.events).toEqual([]);
    expect(again.alreadyKnown).toBe(1);
    expect(again.cursor.tracked).toEqual({});
  });

  it('remembers an old open session at the new watermark too, so reading the boundary again does not queue it twice', () => {
    const old = open('1', '2026-10-01T10:00:00Z'); // open, and far beyond the lookback
    const first = applyPage({ pull: pull('2026-10-01T00:00:00Z'), cursor: undefined, sessions: [old], completeBefore: at(old.startedAt), sites: SITES, now: NOW });
    const again = applyPage({ pull: pull(first.cursor.watermark), cursor: first.cursor, sessions: [old], completeBefore: at('2026-10-05T00:00:00Z'), sites: SITES, now: NOW });
    expect(again.events).toEqual([]);
    expect(again.alreadyKnown).toBe(1);
    expect(again.givenUp).toBe(1);
  });

  it('queues only the sites the org accepts', () => {
    const sessions = [session('1', '2026-11-22T10:00:00Z', { site: 'staging' }), session('2', '2026-11-22T10:01:00Z', { site: 'production' })];
    const result = applyPage({ pull: pull('2026-11-22T09:00:00Z'), cursor: undefined, sessions, completeBefore: at('2026-11-22T11:58:00Z'), sites: ['production'], now: NOW });
    expect(result.events.map((e) => e.session.site)).toEqual(['production']);
    expect(result.otherSites).toBe(1);
  });

  it('keeps at most the newest open sessions, dropping sessions that started together as one', () => {
    const entries: Record<string, TrackedSession> = {};
    for (let i = 0; i < MAX_TRACKED_PER_GROUP + 5; i++) {
      // Three oldest share a start, so the cut cannot fall between them.
      const startedAt = new Date(NOW.getTime() - 60 * 60_000 + Math.max(i, 3) * 1000).toISOString();
      entries[`s${i}`] = { startedAt, eventId: `e${i}`, final: false };
    }
    const pruned = pruneTracked(entries, NOW.toISOString(), NOW);
    expect(Object.keys(pruned.tracked).length).toBeLessThanOrEqual(MAX_TRACKED_PER_GROUP);
    const oldestKept = Math.min(...Object.values(pruned.tracked).map((e) => Date.parse(e.startedAt)));
    const dropped = Object.entries(entries).filter(([id]) => !(id in pruned.tracked));
    expect(dropped.every(([, e]) => Date.parse(e.startedAt) < oldestKept)).toBe(true);
    expect(pruned.givenUp).toBe(dropped.length);
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

describe('Glance secret', () => {
  it('names the secret and the missing field, never the value', () => {
    const name = 'glance-sync/org/00D5g000000AbCdEAK/glance';
    const failure = (value: string | null) => {
      try {
        parseGlanceSecret(name, value);
      } catch (error) {
        expect(error).toBeInstanceOf(SyncRunFailure);
        return (error as Error).message;
      }
      throw new Error('expected a failure');
    };
    expect(failure(null)).toContain(`secret ${name} does not exist`);
    expect(failure('top-secret-not-json')).not.toContain('top-secret');
    expect(failure(JSON.stringify({ apikey: 'top-secret-typo' }))).toMatch(/apiKey/);
    expect(failure(JSON.stringify({ apikey: 'top-secret-typo' }))).not.toContain('top-secret');
    expect(parseGlanceSecret(name, JSON.stringify({ apiKey: 'k', partnerId: 12345 }))).toEqual({ apiKey: 'k' });
  });
});
