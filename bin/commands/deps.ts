import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { eventBridgeSchedules } from '../../shared/adapters/schedules.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
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
    schedules: eventBridgeSchedules({ syncQueueArn: target.syncQueueArn, eventBusName: target.eventBusName, rulePrefix: target.rulePrefix }),
    now: () => new Date(),
  };
}

export function syncHistory(target: Target): SyncHistory {
  return dynamoSyncHistory(target.orgsTable);
}
