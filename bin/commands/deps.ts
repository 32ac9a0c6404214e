import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { schedulerSchedules } from '../../shared/adapters/schedules.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import { checkSalesforceOrg } from '../../shared/adapters/salesforce-org-check.ts';
import type { OrgAdminDeps } from '../../shared/org-admin.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { type SyncHistory } from '../../shared/sync/sync-history.ts';
import type { Target } from './target.ts';

export function adminDeps(target: Target): OrgAdminDeps {
  return {
    registry: dynamoOrgRegistry(target.orgsTable),
    secrets: secretsManagerWriter(),
    secretPrefix: target.secretPrefix,
    schedules: schedulerSchedules({ syncQueueArn: target.syncQueueArn, roleArn: target.schedulerRoleArn, groupName: target.scheduleGroupName }),
    now: () => new Date(),
    checkSalesforce: (credentials) => checkSalesforceOrg(credentials),
  };
}

export function syncHistory(target: Target): SyncHistory {
  return dynamoSyncHistory(target.orgsTable);
}
