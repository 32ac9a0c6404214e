import { Connection } from 'jsforce';
import { SALESFORCE_API_VERSION } from '../config.ts';
import { objectsToDescribe, packageProblems, type DescribedObject, type OrgDescription, type PackageProblem } from '../org-package-check.ts';
import type { SalesforcePackage } from '../salesforce-package.ts';
import type { SalesforceCredentials } from '../salesforce-credentials.ts';
import { requestSalesforceToken } from './salesforce-auth.ts';
import { salesforcePackage } from './salesforce-package-files.ts';
import { toCallError } from './salesforce.ts';

/**
 * Describes the objects as the logged-in user sees them: describeGlobal once, then one describe
 * per object that exists (a describe of a missing object would only answer NOT_FOUND).
 */
export async function describeOrg(connection: Connection, objects: string[]): Promise<OrgDescription> {
  const global = await connection.describeGlobal();
  const present = new Set(global.sobjects.map((o) => o.name));
  const out: OrgDescription = new Map();
  for (const name of objects) {
    if (!present.has(name)) continue;
    const d = await connection.describe(name);
    const object: DescribedObject = {
      name: d.name,
      createable: d.createable,
      updateable: d.updateable,
      fields: d.fields.map((f) => ({
        name: f.name,
        type: f.type,
        length: f.length,
        externalId: f.externalId === true,
        unique: f.unique,
        caseSensitive: f.caseSensitive,
        createable: f.createable,
        updateable: f.updateable,
        referenceTo: (f.referenceTo ?? []).filter((r): r is string => typeof r === 'string'),
      })),
    };
    out.set(name, object);
  }
  return out;
}

export interface OrgCheck {
  /** The org the credentials logged in to (18 characters, from the token answer's identity URL). */
  orgId: string;
  problems: PackageProblem[];
}

/**
 * Logs in with the credentials and compares the org with the package. A refused login throws
 * with `errorCode` INVALID_GRANT (the credentials are wrong) or ERROR_HTTP_5xx / a network code
 * (Salesforce could not be reached); the message never holds a credential.
 */
export async function checkSalesforceOrg(credentials: SalesforceCredentials, pkg: SalesforcePackage = salesforcePackage()): Promise<OrgCheck> {
  const token = await requestSalesforceToken(credentials);
  const connection = new Connection({ instanceUrl: token.instanceUrl, accessToken: token.accessToken, version: SALESFORCE_API_VERSION });
  try {
    const description = await describeOrg(connection, objectsToDescribe(pkg));
    return { orgId: token.orgId, problems: packageProblems(pkg, description) };
  } catch (error) {
    throw toCallError(error);
  }
}
