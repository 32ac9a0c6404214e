import {
  describeTypeOf,
  hasFieldSecurity,
  INTEGRATION_PERMISSION_SET,
  type PackageField,
  type PackageObject,
  type SalesforcePackage,
} from './salesforce-package.ts';

/**
 * An org as its describe calls show it to the integration user. Describe reflects that user's
 * access: an object or field the user cannot see is absent, and `createable`/`updateable` are
 * false where the user may not write, which is how missing permissions show.
 */
export interface DescribedField {
  name: string;
  type: string;
  length: number;
  externalId: boolean;
  unique: boolean;
  caseSensitive: boolean;
  createable: boolean;
  updateable: boolean;
  referenceTo: string[];
}

export interface DescribedObject {
  name: string;
  createable: boolean;
  updateable: boolean;
  fields: DescribedField[];
}

/** Described objects by API name; an object the org lacks (or the user cannot see) is absent. */
export type OrgDescription = Map<string, DescribedObject>;

/** One way the org differs from the package, and what an admin does about it. */
export interface PackageProblem {
  /** Object or Object.Field */
  where: string;
  problem: string;
  fix: string;
}

/** The command that deploys the package, for the fixes (run inside salesforce/ of this repository). */
export const DEPLOY_COMMAND = 'cd salesforce && npx @salesforce/cli project deploy start --source-dir force-app --target-org ORG_ALIAS';
const ASSIGN = `assign permission set ${INTEGRATION_PERMISSION_SET} to the integration user (npx @salesforce/cli org assign permset --name ${INTEGRATION_PERMISSION_SET} --on-behalf-of USERNAME --target-org ORG_ALIAS)`;
const DEPLOY_OR_ASSIGN = `deploy the package (${DEPLOY_COMMAND}) and ${ASSIGN}`;

const TEXT_TYPES = new Set(['string', 'textarea']);

function fieldProblems(object: PackageObject, f: PackageField, described: DescribedField | undefined, editable: boolean): PackageProblem[] {
  const where = `${object.name}.${f.name}`;
  if (!described) return [{ where, problem: 'missing, or not visible to the integration user', fix: DEPLOY_OR_ASSIGN }];
  const problems: PackageProblem[] = [];
  const replace = `in Setup, delete ${where} (or change it) so that ${DEPLOY_COMMAND} recreates it as the package declares`;
  const type = describeTypeOf(f.type);
  if (described.type !== type) problems.push({ where, problem: `is a ${described.type} field; the package needs ${type} (${f.type})`, fix: replace });
  else if (TEXT_TYPES.has(type) && described.length < f.length) {
    problems.push({ where, problem: `holds ${described.length} characters; the package needs ${f.length}`, fix: `in Setup, set ${where}'s length to ${f.length}` });
  }
  if (f.type === 'Lookup' && f.referenceTo && !described.referenceTo.includes(f.referenceTo)) {
    problems.push({ where, problem: `looks up ${described.referenceTo.join(', ') || 'nothing'}; the package needs ${f.referenceTo}`, fix: replace });
  }
  if (f.externalId && !described.externalId) {
    problems.push({ where, problem: 'is not marked External ID: upserts by it are refused (404 NOT_FOUND)', fix: `in Setup, edit ${where} and check External ID and Unique` });
  }
  if (f.unique && !described.unique) {
    problems.push({ where, problem: 'is not Unique: a retried create could make a second record', fix: `in Setup, edit ${where} and check Unique` });
  } else if (f.unique && described.caseSensitive !== f.caseSensitive) {
    const want = f.caseSensitive ? 'case-sensitive' : 'case-insensitive';
    problems.push({ where, problem: `is unique ${described.caseSensitive ? 'case-sensitively' : 'case-insensitively'}; the package needs ${want}`, fix: `in Setup, edit ${where} and make Unique ${want}` });
  }
  if (editable && (!described.createable || !described.updateable)) {
    problems.push({ where, problem: 'the integration user cannot write it', fix: ASSIGN });
  }
  return problems;
}

/**
 * Every way the org (as the integration user sees it) differs from the package: a missing object
 * or field, a wrong type or shorter length, a missing External ID / Unique flag, a missing object
 * or field permission of the integration permission set. Empty when the org is ready.
 */
export function packageProblems(pkg: SalesforcePackage, org: OrgDescription): PackageProblem[] {
  const permissionSet = pkg.permissionSets.find((p) => p.name === INTEGRATION_PERMISSION_SET);
  const editableFields = new Set((permissionSet?.fields ?? []).filter((f) => f.editable).map((f) => f.field));
  const problems: PackageProblem[] = [];
  for (const object of pkg.objects) {
    const described = org.get(object.name);
    if (!described) {
      problems.push({ where: object.name, problem: 'missing, or not visible to the integration user', fix: DEPLOY_OR_ASSIGN });
      continue;
    }
    const fields = new Map(described.fields.map((f) => [f.name, f]));
    for (const f of object.fields) {
      const editable = hasFieldSecurity(f) ? editableFields.has(`${object.name}.${f.name}`) : true;
      problems.push(...fieldProblems(object, f, fields.get(f.name), editable));
    }
  }
  for (const access of permissionSet?.objects ?? []) {
    const described = org.get(access.object);
    if (!described) {
      if (!pkg.objects.some((o) => o.name === access.object)) {
        problems.push({ where: access.object, problem: 'the integration user cannot read it', fix: ASSIGN });
      }
      continue;
    }
    const missing = [access.create && !described.createable ? 'create' : null, access.edit && !described.updateable ? 'edit' : null].filter(Boolean);
    if (missing.length) problems.push({ where: access.object, problem: `the integration user cannot ${missing.join(' or ')} its records`, fix: ASSIGN });
  }
  return problems;
}

/** Every object the check describes: the package's and those its permission set grants. */
export function objectsToDescribe(pkg: SalesforcePackage): string[] {
  const names = new Set(pkg.objects.map((o) => o.name));
  for (const p of pkg.permissionSets) for (const o of p.objects) names.add(o.object);
  return [...names].sort();
}

/** Problems as lines an admin reads: where, what is wrong, then what to do. */
export function formatPackageProblems(problems: PackageProblem[]): string {
  return problems.map((p) => `  - ${p.where}: ${p.problem}\n      fix: ${p.fix}`).join('\n');
}
