import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { eventBridgeSchedules } from '../../shared/adapters/schedules.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import type { OrgAdminDeps } from '../../shared/org-admin.ts';
import { dynamoSyncHistory } from '../../shared/adapters/sync-history.ts';
import { type SyncHistory } from '../../shared/sync/sync-history.ts';
import type { Target } from './target.ts';

export function adminDeps(target: Target): OrgAdminDeps {
  return {
    registry: dynamoOrgRegistry(target.orgsTable),
    secrets: secretsManagerWriter(),
    secretPrefix: target.secretPrefix,
    schedules: eventBridgeSchedules({ syncQueueArn: target.syncQueueArn, eventBusName: target.eventBusName, rulePrefix: target.rulePrefix }),
    now: () => new Date(),
  };
}

export function syncHistory(target: Target): SyncHistory {
  return dynamoSyncHistory(target.orgsTable);
}
