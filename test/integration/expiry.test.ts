import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMoto, useLocalAws, type MotoServer } from '../../local/moto.ts';
import { createLocalResources, type LocalResources } from '../../local/aws-resources.ts';
import { dynamo, resetAwsClients } from '../../shared/adapters/aws-clients.ts';
import { dynamoDedupeLedger } from '../../shared/adapters/dedupe-ledger.ts';
import { dynamoTraceStore } from '../../shared/adapters/trace-store.ts';
import type { DebugTrace } from '../../shared/debug-trace.ts';

// DynamoDB TTL deletes expired items up to about 48 hours late, and moto_server never deletes them:
// each test leaves an item past its expiresAt in the table, as a late TTL would.
const ORG = '00D5g000000AbCdEAK';
const DAY_MS = 86_400_000;

let moto: MotoServer;
let resources: LocalResources;

beforeAll(async () => {
  moto = await startMoto();
  useLocalAws(moto.endpoint);
  resetAwsClients();
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  resources = await createLocalResources();
});

const trace = (sessionId: string, at: string): DebugTrace => ({
  orgId: ORG,
  sessionId,
  eventId: `webhook:${sessionId}`,
  at,
  recorded: true,
  route: 'launched from this org',
  link: 'not related',
  leads: [],
  chatter: 'off',
  outcome: 'recorded',
  salesforceCalls: [],
});

describe('Debug Mode traces past their 7-day retention', () => {
  it('are no longer listed although TTL has not deleted them yet', async () => {
    let clock = Date.parse('2026-11-01T10:00:00Z');
    const store = dynamoTraceStore(resources.tracesTable, 7, () => clock);
    await store.put([trace('1.old.1', '2026-11-01T10:00:00.000Z')]);
    clock += 3 * DAY_MS;
    await store.put([trace('1.new.1', '2026-11-04T10:00:00.000Z')]);

    clock += 5 * DAY_MS; // the first trace is 8 days old, the second 5
    expect((await store.list(ORG)).map((t) => t.sessionId)).toEqual(['1.new.1']);
    expect(await store.list(ORG, { sessionId: '1.old.1' })).toEqual([]);
    // Still in the table: it is the read that hides it.
    const raw = await dynamo().send(new GetCommand({ TableName: resources.tracesTable, Key: { pk: `ORG#${ORG}`, sk: '2026-11-01T10:00:00.000Z#1.old.1#webhook:1.old.1' } }));
    expect(raw.Item).toBeDefined();
  });
});

describe('idempotency records past their expiry', () => {
  const put = (item: Record<string, unknown>) => dynamo().send(new PutCommand({ TableName: resources.dedupeTable, Item: item }));
  const now = Date.parse('2026-11-30T03:00:00Z');
  const past = Math.floor(now / 1000) - 3600;
  const future = Math.floor(now / 1000) + 3600;

  it('an expired done event is claimed again, a live one is still a duplicate', async () => {
    const ledger = dynamoDedupeLedger(resources.dedupeTable, () => now);
    await put({ pk: 'EVENT#webhook:expired', status: 'done', expiresAt: past });
    await put({ pk: 'EVENT#webhook:live', status: 'done', expiresAt: future });
    expect(await ledger.claimEvent('webhook:expired', 60_000)).toBe('claimed');
    expect(await ledger.claimEvent('webhook:live', 60_000)).toBe('done');
  });

  it('an expired claim still holding its lease does not block, and is no crashed attempt to recover from', async () => {
    const ledger = dynamoDedupeLedger(resources.dedupeTable, () => now);
    await put({ pk: 'EFFECT#CHATTER#org#1.a.1', status: 'in_progress', leaseUntil: now + 600_000, expiresAt: past });
    await put({ pk: 'EFFECT#CHATTER#org#1.b.1', status: 'in_progress', leaseUntil: now + 600_000, expiresAt: future });
    expect(await ledger.claimEffect('CHATTER#org#1.a.1', 60_000)).toEqual({ result: 'claimed', recovered: false });
    expect(await ledger.claimEffect('CHATTER#org#1.b.1', 60_000)).toEqual({ result: 'busy', recovered: false, leaseUntil: now + 600_000 });
  });

  it("an expired session record's lock and newest event are forgotten; locking moves the expiry forward", async () => {
    const ledger = dynamoDedupeLedger(resources.dedupeTable, () => now);
    await put({ pk: 'SESSION#1.a.1', occurredAt: '2026-08-01T00:00:00.000Z', lockedUntil: now + 600_000, expiresAt: past });
    await put({ pk: 'SESSION#1.b.1', occurredAt: '2026-11-29T00:00:00.000Z', expiresAt: future });
    expect(await ledger.lockSession('1.a.1', 60_000)).toEqual({ locked: true, lastApplied: null, reachedLive: false });
    expect(await ledger.lockSession('1.b.1', 60_000)).toEqual({ locked: true, lastApplied: '2026-11-29T00:00:00.000Z', reachedLive: false });
    const item = (await dynamo().send(new GetCommand({ TableName: resources.dedupeTable, Key: { pk: 'SESSION#1.a.1' } }))).Item!;
    expect(item.occurredAt).toBeUndefined();
    expect(item.expiresAt).toBeGreaterThan(future);
    // An older event than the forgotten one can now be applied.
    await ledger.markApplied('1.a.1', '2026-07-01T00:00:00.000Z');
    expect(await ledger.lockSession('1.a.1', 60_000)).toMatchObject({ lastApplied: '2026-07-01T00:00:00.000Z' });
  });
});

describe('the session writer lock', () => {
  it('a live version locking after an ended one makes the session one that reached us live, for good', async () => {
    const ledger = dynamoDedupeLedger(resources.dedupeTable);
    expect(await ledger.lockSession('1.c.1', 60_000, 'ended')).toMatchObject({ locked: true, reachedLive: false });
    await ledger.unlockSession('1.c.1');
    expect(await ledger.lockSession('1.c.1', 60_000, 'live')).toMatchObject({ locked: true, reachedLive: true });
    await ledger.unlockSession('1.c.1');
    expect(await ledger.lockSession('1.c.1', 60_000, 'ended')).toMatchObject({ locked: true, reachedLive: true });
  });
});
