import type { Org } from '../org.ts';
import type { SecretReader } from './secrets.ts';
import { secretNames } from '../secret-names.ts';
import { salesforceCredentialsSchema } from '../salesforce-credentials.ts';
import { connectSalesforce, SALESFORCE_RETRY, type SalesforceOrgClient } from './salesforce.ts';
import type { RetryPolicy } from '../retry.ts';
import { SalesforceCallError } from '../salesforce-errors.ts';

/**
 * One logged-in client per org per warm Lambda: a token request per batch would double the
 * calls. The connection refreshes itself on 401. The returned function takes the invocation's
 * retry deadline (ms since the epoch) with each org, since the clients outlive the invocation.
 * `forget(orgId)` drops an org's client after its credentials were refused; the next client reads
 * them afresh past the secret cache, so credentials an admin replaced are used at the org's next
 * probe, not after a cold start.
 */
export function salesforceClientCache(secrets: SecretReader, secretPrefix: string, retry: RetryPolicy = SALESFORCE_RETRY) {
  const clients = new Map<string, Promise<SalesforceOrgClient>>();
  const reread = new Set<string>();
  const salesforceFor = async (org: Pick<Org, 'orgId'>, deadline: () => number): Promise<SalesforceOrgClient> => (await loggedIn(org)).withDeadline(deadline);
  return Object.assign(salesforceFor, {
    forget(orgId: string): void {
      clients.delete(orgId);
      reread.add(orgId);
    },
  });

  function loggedIn(org: Pick<Org, 'orgId'>): Promise<SalesforceOrgClient> {
    let client = clients.get(org.orgId);
    if (!client) {
      const fresh = reread.delete(org.orgId);
      client = (async () => {
        const raw = await secrets.read(secretNames.orgSalesforce(secretPrefix, org.orgId), fresh ? { maxAgeMs: 0 } : {});
        if (!raw) throw new SalesforceCallError('MISSING_CREDENTIALS', `no Salesforce credentials stored for org ${org.orgId}`);
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          throw new SalesforceCallError('INVALID_CREDENTIALS', `Salesforce credentials of org ${org.orgId} are not JSON`);
        }
        const credentials = salesforceCredentialsSchema.safeParse(json);
        if (!credentials.success) {
          // Name the fields, never the values.
          const fields = credentials.error.issues.map((i) => i.path.join('.') || 'authType').join(', ');
          throw new SalesforceCallError('INVALID_CREDENTIALS', `Salesforce credentials of org ${org.orgId} are incomplete: ${fields}`);
        }
        return connectSalesforce(credentials.data, retry);
      })();
      clients.set(org.orgId, client);
      client.catch(() => clients.delete(org.orgId));
    }
    return client;
  }
}
