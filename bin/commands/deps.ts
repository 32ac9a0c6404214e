import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { dynamoCredentialsPauses } from '../../shared/adapters/org-pauses.ts';
import { eventBridgePipelineEvents } from '../../shared/adapters/pipeline-events.ts';
import { schedulerSchedules } from '../../shared/adapters/schedules.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { checkSalesforceOrg } from '../../shared/adapters/salesforce-org-check.ts';
import type { OrgAdminDeps } from '../../shared/org-admin.ts';
import type { RecordMapping } from '../../shared/org.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { type SyncHistory } from '../../shared/sync/sync-history.ts';
import type { Target } from './target.ts';

/**
 * `checked: false` leaves out the describe check of recordMapping (`orgs set --unchecked`), for an
 * org that cannot be reached right now.
 */
export function adminDeps(target: Target, options: { checked?: boolean } = {}): OrgAdminDeps {
  return {
    ...(options.checked === false
      ? {}
      : { checkRecordMapping: async (orgId: string, recordMapping: RecordMapping) => (await target.checkOrg({ orgId, recordMapping })).problems }),
    registry: dynamoOrgRegistry(target.orgsTable),
    secrets: secretsManagerWriter(),
    secretPrefix: target.secretPrefix,
    schedules: schedulerSchedules({ syncQueueArn: target.syncQueueArn, roleArn: target.schedulerRoleArn, groupName: target.scheduleGroupName }),
    now: () => new Date(),
    checkSalesforce: (credentials) => checkSalesforceOrg(credentials),
    pauses: dynamoCredentialsPauses(target.orgsTable),
    ...(target.pipelineEventBusName ? { announce: (event) => eventBridgePipelineEvents(target.pipelineEventBusName!).publish([event]) } : {}),
  };
}

export function syncHistory(target: Target): SyncHistory {
  return dynamoSyncHistory(target.orgsTable);
}
