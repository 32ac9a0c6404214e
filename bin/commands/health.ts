import { listDeadLetters } from '../../shared/adapters/dead-letter-queue.ts';
import { dynamoOrgHealth } from '../../shared/adapters/org-health-store.ts';
import { dynamoOrgPauses } from '../../shared/adapters/org-pauses.ts';
import { MAX_SCAN, type DeadLetterEntry } from '../../shared/dead-letter-admin.ts';
import { summarizeOrgHealth, type OrgHealthSummary } from '../../shared/org-health.ts';
import type { Org } from '../../shared/org.ts';
import type { OrgPause } from '../../shared/processing/session-processing.ts';
import { sameSalesforceId } from '../../shared/salesforce-id.ts';
import { syncHistory } from './deps.ts';
import type { Target } from './target.ts';

/** Dead letters that concern the org: named for it, or for every org of a group it is paired with. */
export function deadLettersFor(org: Org, entries: DeadLetterEntry[]): DeadLetterEntry[] {
  return entries.filter((e) => (e.orgIds.length ? e.orgIds.some((id) => sameSalesforceId(id, org.orgId)) : e.groupId !== null && org.groups.includes(e.groupId)));
}

/**
 * Every org's health in one pass: the health items and pauses by batch reads, the newest sync run
 * per org, and one read of the events DLQ (which leaves every message there). `pauses`: the orgs'
 * pauses when the caller has read them already (orgs show needs them too: read once).
 */
export async function orgsHealth(t: Target, orgs: Org[], pauses?: Map<string, OrgPause>): Promise<Map<string, OrgHealthSummary>> {
  const ids = orgs.map((o) => o.orgId);
  const history = syncHistory(t);
  const [health, paused, deadLetters, lastRuns] = await Promise.all([
    dynamoOrgHealth(t.orgsTable).read(ids),
    pauses ?? dynamoOrgPauses(t.orgsTable).pausedOrgs(ids),
    orgs.length ? listDeadLetters(t.eventsDlqUrl, { limit: MAX_SCAN, sourceQueueUrl: t.eventsQueueUrl }) : Promise.resolve([]),
    Promise.all(orgs.map((o) => history.listRuns(o.orgId, 1).then((runs) => runs[0] ?? null))),
  ]);
  return new Map(
    orgs.map((org, i) => [
      org.orgId,
      summarizeOrgHealth({
        health: health.get(org.orgId) ?? null,
        lastRun: lastRuns[i] ?? null,
        pause: paused.get(org.orgId) ?? null,
        deadLetters: deadLettersFor(org, deadLetters).length,
      }),
    ]),
  );
}
