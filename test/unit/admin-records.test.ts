import { describe, expect, it } from 'vitest';
import { silentLog, type Log } from '../../shared/log.ts';
import { defaultSettings, type Org } from '../../shared/org.ts';
import { sendAdminRecords, upsertAdminRecords, writeRunRecordsAtPullEnd, type AdminSalesforce, type RunRecordDeps } from '../../shared/processing/admin-records.ts';
import type { OrgSalesforce, RecordResult } from '../../shared/processing/org-batch.ts';
import type { OrgPause } from '../../shared/processing/session-processing.ts';
import { SalesforceCallError } from '../../shared/salesforce-errors.ts';
import { noRunEffects, type RunEffects } from '../../shared/sync/run-effects.ts';
import { queuedRun, type SyncRun } from '../../shared/sync/sync-history.ts';

const ORG: Org = {
  orgId: '00D5g000000AbCdEAK', name: 'Acme', environment: 'production', loginUrl: 'https://login.salesforce.com', installedAt: '2026-11-01T13:14:00Z',
  groups: [12345], settings: { ...defaultSettings(), syncFrequency: 'hourly' }, createdAt: '2026-11-01T13:14:00Z', updatedAt: '2026-11-01T13:14:00Z',
};

/** An org that records every upsert call, answering each record with `answer`. */
function org(answer: (sobject: string, record: Record<string, unknown>) => RecordResult | Error = () => ({ ok: true, id: 'a0G', created: true })) {
  const calls: Array<{ sobject: string; records: Array<Record<string, unknown>> }> = [];
  const sf: Pick<OrgSalesforce, 'upsertRecords'> = {
    async upsertRecords(sobject, _externalId, records) {
      calls.push({ sobject, records });
      const results = records.map((r) => answer(sobject, r));
      const thrown = results.find((r) => r instanceof Error);
      if (thrown) throw thrown;
      return results as RecordResult[];
    },
  };
  return { sf, calls };
}

const finished = (runId: string, queued: number, status: SyncRun['status'] = 'succeeded'): SyncRun => ({
  ...queuedRun(ORG.orgId, runId, 'schedule', new Date('2026-11-22T13:14:00Z')),
  status, startedAt: '2026-11-22T13:14:01Z', endedAt: '2026-11-22T13:14:09Z', counts: { fetched: queued, queued, alreadyKnown: 0, failed: 0 },
});

function deps(runs: SyncRun[], effects: Map<string, RunEffects>, sf: Pick<OrgSalesforce, 'upsertRecords'>, pause?: OrgPause, log: Log = silentLog): RunRecordDeps {
  return {
    history: { getRun: async (_o, id) => runs.find((r) => r.runId === id) ?? null, listRuns: async (_o, limit = 20) => runs.slice(0, limit) },
    runEffects: { read: async (_o, ids) => new Map([...effects].filter(([id]) => ids.includes(id))) },
    pauses: { pausedOrgs: async () => new Map(pause ? [[ORG.orgId, pause]] : []) },
    salesforceFor: async () => sf,
    now: () => new Date('2026-11-22T13:20:00Z'),
    log,
  };
}

const settled = (processed: number, recordsCreated = processed): RunEffects => ({ ...noRunEffects(), processed, recordsCreated });

describe("a run's Glance_Sync_Run__c", () => {
  it("is written at the pull's end in one call, with the org's previous runs and its Next Sync", async () => {
    const { sf, calls } = org();
    const runs = [finished('r3', 0), finished('r2', 5), finished('r1', 1)];
    const outcome = await writeRunRecordsAtPullEnd(ORG, runs[0]!, deps(runs, new Map([['r2', settled(5)]]), sf));
    expect(outcome).toMatchObject({ written: 3, refused: 0 });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.records.map((r) => [r.Run_Id__c, r.Status__c])).toEqual([['r3', 'complete'], ['r2', 'complete'], ['r1', 'processing']]);
    expect(calls[0]!.records[0]!.Next_Scheduled_Sync__c).toBe('2026-11-22T14:14:00.000Z');
  });

  it('after a batch: only the runs whose last queued events that batch settled, one call per org', async () => {
    const { sf, calls } = org();
    const runs = [finished('done-now', 3), finished('done-before', 2), finished('still-going', 4), { ...finished('pulling', 2), status: 'running' as const }];
    const effects = new Map([['done-now', settled(3)], ['done-before', settled(3)], ['still-going', settled(2)], ['pulling', settled(2)]]);
    const added = (runId: string, processed: number) => ({ orgId: ORG.orgId, runId, added: settled(processed) });
    // done-before was already complete before this batch (a redelivered duplicate counted again).
    await sendAdminRecords(new Map(), [added('done-now', 2), added('done-before', 1), added('still-going', 1), added('pulling', 2)], { ...deps(runs, effects, sf), getOrg: async () => ORG });
    expect(calls.map((c) => c.records.map((r) => r.Run_Id__c))).toEqual([['done-now']]);
  });

  it("goes with the batch's Debug Mode logs in one call where the org's port takes several collections", async () => {
    const { sf, calls } = org();
    const composite: Array<string[]> = [];
    const both: AdminSalesforce = { ...sf, upsertCollections: async (collections) => (composite.push(collections.map((c) => c.sobject)), collections.map((c) => c.records.map(() => ({ ok: true as const, id: 'a0G', created: true })))) };
    const trace = { orgId: ORG.orgId, sessionId: '12345.1.1', eventId: 'e-1', at: '2026-11-22T13:14:05.000Z', recorded: true, route: 'r', link: 'l', leads: [], chatter: 'c', outcome: 'recorded', salesforceCalls: [] };
    const runs = [finished('done-now', 1)];
    const outcome = await sendAdminRecords(new Map([[ORG.orgId, { org: ORG, traces: [trace] }]]), [{ orgId: ORG.orgId, runId: 'done-now', added: settled(1) }], {
      ...deps(runs, new Map([['done-now', settled(1)]]), both),
      getOrg: async () => ORG,
    });
    expect(outcome).toMatchObject({ written: 2, refused: 0 });
    expect(composite).toEqual([['Glance_Sync_Run__c', 'Glance_Log__c']]);
    expect(calls).toEqual([]);
  });

  it("lands `complete` last when the run's last events settle while its pull-end call is in flight", async () => {
    const { sf, calls } = org();
    const run = finished('r1', 2);
    const base = deps([run], new Map(), sf);
    // The processor settles the run's last event while the pull end's upsert is on the wire.
    let settledNow = false;
    const racing: Pick<OrgSalesforce, 'upsertRecords'> = { upsertRecords: async (...args) => { const out = await sf.upsertRecords(...args); settledNow = true; return out; } };
    const outcome = await writeRunRecordsAtPullEnd(ORG, run, {
      ...base,
      salesforceFor: async () => racing,
      runEffects: { read: async () => new Map([['r1', settled(settledNow ? 2 : 1)]]) },
    });
    expect(calls.map((c) => c.records.map((r) => r.Status__c))).toEqual([['processing'], ['complete']]);
    expect(outcome.written).toBe(2);
  });

  it('costs one call when its events are still being processed after it', async () => {
    const { sf, calls } = org();
    const run = finished('r1', 2);
    await writeRunRecordsAtPullEnd(ORG, run, deps([run], new Map([['r1', settled(1)]]), sf));
    expect(calls.map((c) => c.records.map((r) => r.Status__c))).toEqual([['processing']]);
  });

  it('is not written while the org is paused', async () => {
    const { sf, calls } = org();
    const outcome = await writeRunRecordsAtPullEnd(ORG, finished('r1', 0), deps([finished('r1', 0)], new Map(), sf, { until: '2026-11-22T14:00:00Z', reason: 'allowance' }));
    expect(calls).toEqual([]);
    expect(outcome.written).toBe(0);
  });
});

describe('admin records are best effort', () => {
  it('refused records and failed calls are counted with their reasons, never thrown', async () => {
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const log: Log = { ...silentLog, warn: (_m, extra) => warnings.push(extra) };
    const { sf } = org((sobject) =>
      sobject === 'Glance_Log__c' ? new SalesforceCallError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.') : { ok: false, faults: [{ code: 'STRING_TOO_LONG', message: 'Run Id: data value too large', fields: ['Run_Id__c'] }] },
    );
    const trace = { orgId: ORG.orgId, sessionId: '12345.1.1', eventId: 'e-1', at: '2026-11-22T13:14:05.000Z', recorded: true, route: 'r', link: 'l', leads: [], chatter: 'c', outcome: 'recorded', salesforceCalls: [] };
    const outcome = await upsertAdminRecords(ORG.orgId, sf, { runs: [{ run: finished('r1', 0), effects: undefined, nextScheduledSync: null }], traces: [trace, { ...trace, eventId: 'e-2' }] }, log);
    expect(outcome).toMatchObject({ written: 0, refused: 3 });
    expect(outcome.reasons.join('\n')).toMatch(/Glance_Sync_Run__c: STRING_TOO_LONG/);
    expect(outcome.reasons.join('\n')).toMatch(/Glance_Log__c: .*Limit exceeded/);
    expect(warnings).toHaveLength(1);
  });
});
