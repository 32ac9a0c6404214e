import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LOG_EXTERNAL_ID, LOG_OBJECT, logKey, logRecord, SYNC_RUN_EXTERNAL_ID, SYNC_RUN_OBJECT, syncRunRecord } from '../../shared/sync/salesforce-admin-records.ts';
import { noRunEffects } from '../../shared/sync/run-effects.ts';
import { queuedRun } from '../../shared/sync/sync-history.ts';
import type { DebugTrace } from '../../shared/debug-trace.ts';

const objects = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'salesforce/force-app/main/default/objects');
const fieldFile = (object: string, field: string) => join(objects, object, 'fields', `${field}.field-meta.xml`);
const declared = (object: string, field: string, tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(readFileSync(fieldFile(object, field), 'utf8'))?.[1] ?? null;

const trace = (over: Partial<DebugTrace> = {}): DebugTrace => ({
  orgId: '00D5g000000AbCdEAK',
  sessionId: '12345.4821.918273',
  eventId: `sync:12345.4821.918273:C:${'x'.repeat(280)}`,
  at: '2026-11-22T13:14:05.000Z',
  recorded: false,
  route: 'launched outside Salesforce; Log Sessions Started Outside of Salesforce is off',
  link: 'not related: no origin record and no record mapping',
  leads: ['guest 1: no Lead (never)'],
  chatter: 'no post: Chatter When Starting Glance Session is off',
  outcome: 'skipped',
  salesforceCalls: ['query Lead', 'upsert 1 Glance_Session__c by Glance_Session_Id__c'],
  ...over,
});

describe('the records a Salesforce admin reads in the org', () => {
  it('Glance_Sync_Run__c and Glance_Log__c records name only fields the package declares, each object with a tab and list views', () => {
    const run = { ...queuedRun('00D5g000000AbCdEAK', 'run-1', 'sync_now', new Date('2026-11-22T13:00:00Z')), status: 'succeeded' as const };
    for (const [object, record, externalId] of [
      [SYNC_RUN_OBJECT, syncRunRecord(run, 'complete', noRunEffects(), '2026-11-22T14:14:00.000Z'), SYNC_RUN_EXTERNAL_ID],
      [LOG_OBJECT, logRecord(trace()), LOG_EXTERNAL_ID],
    ] as const) {
      for (const field of Object.keys(record)) expect(existsSync(fieldFile(object, field)), `${object}.${field}`).toBe(true);
      expect(declared(object, externalId, 'externalId')).toBe('true');
      expect(existsSync(join(objects, '..', 'tabs', `${object}.tab-meta.xml`))).toBe(true);
      expect(existsSync(join(objects, object, 'listViews', 'All.listView-meta.xml'))).toBe(true);
    }
  });

  it("fits text to the declared lengths and keys a log by its org, session and event", () => {
    const record = logRecord(trace({ outcome: `permanent: ${'🙂'.repeat(200)}` }));
    for (const field of ['Event_Id__c', 'Outcome__c', 'Route__c']) {
      expect((record[field] as string).length).toBeLessThanOrEqual(Number(declared(LOG_OBJECT, field, 'length')));
    }
    expect(record.Outcome__c).not.toMatch(/[\uD800-\uDBFF]…$/);
    expect(record.Log_Key__c).toHaveLength(Number(declared(LOG_OBJECT, 'Log_Key__c', 'length')));
    expect(logKey(trace())).toBe(logKey(trace({ outcome: 'recorded' })));
    expect(logKey(trace())).not.toBe(logKey(trace({ orgId: '00D5g000000SbXyEAC' })));
  });

  it("a run's record carries its trigger, progress, what it pulled, what reached the org and the next scheduled sync", () => {
    const run = { ...queuedRun('00D5g000000AbCdEAK', 'run-7', 'schedule', new Date('2026-11-22T13:14:00Z')), status: 'failed' as const, error: 'Glance answered 503', counts: { fetched: 12, queued: 10, alreadyKnown: 2, failed: 0 } };
    expect(syncRunRecord(run, 'failed', { ...noRunEffects(), processed: 10, recordsCreated: 8, recordsUpdated: 2, leadsCreated: 3, chatterPosts: 1 }, '2026-11-22T14:14:00.000Z')).toMatchObject({
      Run_Id__c: 'run-7', Trigger__c: 'schedule', Status__c: 'failed', Sessions_Fetched__c: 12, Sessions_Queued__c: 10, Records_Created__c: 8, Records_Updated__c: 2,
      Leads_Created__c: 3, Chatter_Posts__c: 1, Sessions_Failed__c: 0, Error__c: 'Glance answered 503', Next_Scheduled_Sync__c: '2026-11-22T14:14:00.000Z',
    });
  });
});
