import { dynamoOrgRegistry } from '../../shared/adapters/org-registry.ts';
import { eventBridgeSchedules } from '../../shared/adapters/schedules.ts';
import { secretsManagerWriter } from '../../shared/adapters/secrets.ts';
import type { OrgAdminDeps } from '../../shared/org-admin.ts';
import type { Org } from '../../shared/org.ts';
import { cachedSecretReader } from '../../shared/adapters/secrets.ts';
import { salesforceClientCache } from '../../shared/adapters/salesforce-orgs.ts';
import { salesforceMappingDescribe } from '../../shared/adapters/salesforce-describe.ts';
import { dynamoSyncHistory, type SyncHistory } from '../../shared/sync/sync-history.ts';
import type { Target } from './target.ts';

/**
 * `checked: false` leaves out the describe check of recordMapping (`orgs set --unchecked`), for an
 * org that cannot be reached right now.
 */
export function adminDeps(target: Target, options: { checked?: boolean } = {}): OrgAdminDeps {
  const secrets = cachedSecretReader(0);
  return {
    ...(options.checked === false
      ? {}
      : {
          async mappingDescribe(orgId: string) {
            const client = await salesforceClientCache(secrets, target.secretPrefix)({ orgId } as Org);
            return salesforceMappingDescribe(client);
          },
        }),
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
