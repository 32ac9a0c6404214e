import { createHash } from 'node:crypto';
import { fitRecord, PACKAGE_FIELDS } from '../field-fit.ts';
import type { DebugTrace } from '../debug-trace.ts';
import type { RunEffects, RunProgress } from './run-effects.ts';
import type { SyncRun } from './sync-history.ts';

/**
 * The records that let a Salesforce admin read Sync History and Debug Mode's logs in the org
 * itself (the original product's Glance Sync History tab and App Launcher > Logs). Field names
 * are those of salesforce/force-app/main/default/objects/{Glance_Sync_Run__c,Glance_Log__c};
 * values are fitted to the declared fields with the pipeline's one fitting rule (field-fit.ts:
 * text cut in UTF-16 code units as Salesforce counts them, never half a character; dateTimes in
 * Salesforce's form). What was cut is not reported: these records describe, they are not data.
 */
export const SYNC_RUN_OBJECT = 'Glance_Sync_Run__c';
export const SYNC_RUN_EXTERNAL_ID = 'Run_Id__c';
export const LOG_OBJECT = 'Glance_Log__c';
export const LOG_EXTERNAL_ID = 'Log_Key__c';

/** One Glance_Sync_Run__c, upserted by Run_Id__c each time the run's state changes. */
export function syncRunRecord(run: SyncRun, progress: RunProgress, effects: RunEffects, nextScheduledSync: string | null): Record<string, unknown> {
  return fitRecord({
    Run_Id__c: run.runId,
    Trigger__c: run.trigger,
    Status__c: progress,
    Requested_At__c: run.requestedAt,
    Started_At__c: run.startedAt,
    Ended_At__c: run.endedAt,
    Next_Scheduled_Sync__c: nextScheduledSync,
    Sessions_Fetched__c: run.counts.fetched,
    Sessions_Queued__c: run.counts.queued,
    Already_Known__c: run.counts.alreadyKnown,
    Pull_Failed__c: run.counts.failed,
    Records_Created__c: effects.recordsCreated,
    Records_Updated__c: effects.recordsUpdated,
    Leads_Created__c: effects.leadsCreated,
    Chatter_Posts__c: effects.chatterPosts,
    Sessions_Failed__c: effects.failed,
    Error__c: run.error,
  }, PACKAGE_FIELDS.Glance_Sync_Run__c, []);
}

/** Log_Key__c: one log per session event and org; a digest, since event ids run to 300 characters. */
export function logKey(trace: Pick<DebugTrace, 'orgId' | 'eventId' | 'sessionId'>): string {
  return createHash('sha256').update(`${trace.orgId}|${trace.sessionId}|${trace.eventId}`).digest('hex');
}

/** One Glance_Log__c per Debug Mode trace; written only for orgs with Debug Mode on (traces exist only then). */
export function logRecord(trace: DebugTrace): Record<string, unknown> {
  return fitRecord(
    {
      Log_Key__c: logKey(trace),
      Session_Id__c: trace.sessionId,
      Event_Id__c: trace.eventId,
      Logged_At__c: trace.at,
      Recorded__c: trace.recorded,
      Outcome__c: trace.outcome,
      Route__c: trace.route,
      Link__c: trace.link,
      Leads__c: trace.leads.join('\n'),
      Chatter__c: trace.chatter,
      Salesforce_Calls__c: trace.salesforceCalls.join('\n'),
    },
    PACKAGE_FIELDS.Glance_Log__c,
    [],
  );
}
