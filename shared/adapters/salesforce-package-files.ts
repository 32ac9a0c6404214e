import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import {
  fixedLengthOf,
  METADATA_FIELD_TYPES,
  type MetadataFieldType,
  type PackageField,
  type PackageObject,
  type PackagePermissionSet,
  type SalesforcePackage,
} from '../salesforce-package.ts';

/** `salesforce/force-app/main/default` of this repository: the DX project an admin deploys. */
export const PACKAGE_SOURCE_DIR = fileURLToPath(new URL('../../salesforce/force-app/main/default/', import.meta.url));

const LIST_ELEMENTS = new Set(['value', 'fieldPermissions', 'objectPermissions', 'userPermissions']);

// Values stay strings (a label "1" must not become a number); lists stay lists even with one item.
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => LIST_ELEMENTS.has(name),
});

type Xml = Record<string, unknown>;

/** Thrown when a metadata file is not what the Metadata API would accept; names the file. */
export class PackageFileError extends Error {
  override readonly name = 'PackageFileError';
}

function parseFile(path: string, root: string): Xml {
  let doc: Xml;
  try {
    doc = parser.parse(readFileSync(path, 'utf8'), true) as Xml;
  } catch (error) {
    throw new PackageFileError(`${path}: not well-formed XML: ${(error as Error).message}`);
  }
  const body = doc[root];
  if (typeof body !== 'object' || body === null) throw new PackageFileError(`${path}: expected a <${root}> document`);
  return body as Xml;
}

const str = (xml: Xml, key: string): string | null => (typeof xml[key] === 'string' ? (xml[key] as string) : null);
const bool = (xml: Xml, key: string): boolean => xml[key] === 'true';
const int = (xml: Xml, key: string): number => (str(xml, key) === null ? 0 : Number(str(xml, key)));

function fieldFrom(xml: Xml, where: string, nameFallback?: string): PackageField {
  const name = str(xml, 'fullName') ?? nameFallback;
  const type = str(xml, 'type');
  if (!name) throw new PackageFileError(`${where}: a field needs <fullName>`);
  if (!type || !(METADATA_FIELD_TYPES as readonly string[]).includes(type)) {
    throw new PackageFileError(`${where}: field ${name} has type ${type ?? '(none)'}, not one of ${METADATA_FIELD_TYPES.join(', ')}`);
  }
  const metadataType = type as MetadataFieldType;
  const valueSet = (xml.valueSet ?? {}) as Xml;
  const definition = (valueSet.valueSetDefinition ?? {}) as Xml;
  const values = ((definition.value ?? []) as Xml[]).map((v) => str(v, 'fullName') ?? '');
  const length = fixedLengthOf(metadataType, int(xml, 'length'));
  if ((metadataType === 'Text' || metadataType === 'LongTextArea') && !(length > 0)) throw new PackageFileError(`${where}: ${type} field ${name} needs a <length>`);
  return {
    name,
    label: str(xml, 'label') ?? name,
    type: metadataType,
    length,
    precision: int(xml, 'precision'),
    scale: int(xml, 'scale'),
    required: bool(xml, 'required'),
    unique: bool(xml, 'unique'),
    externalId: bool(xml, 'externalId'),
    caseSensitive: bool(xml, 'caseSensitive'),
    referenceTo: str(xml, 'referenceTo'),
    relationshipName: str(xml, 'relationshipName'),
    picklistValues: values,
    restrictedPicklist: bool(valueSet, 'restricted'),
    defaultValue: str(xml, 'defaultValue'),
    displayFormat: str(xml, 'displayFormat'),
  };
}

function readObject(dir: string, name: string): PackageObject {
  const objectFile = join(dir, name, `${name}.object-meta.xml`);
  const custom = name.endsWith('__c');
  let label = name;
  let nameField: PackageField | null = null;
  if (custom) {
    const xml = parseFile(objectFile, 'CustomObject');
    label = str(xml, 'label') ?? name;
    if (xml.nameField) nameField = fieldFrom(xml.nameField as Xml, objectFile, 'Name');
  }
  const fieldsDir = join(dir, name, 'fields');
  const fields = readdirSync(fieldsDir)
    .filter((f) => f.endsWith('.field-meta.xml'))
    .sort()
    .map((file) => {
      const path = join(fieldsDir, file);
      const field = fieldFrom(parseFile(path, 'CustomField'), path);
      if (`${field.name}.field-meta.xml` !== file) throw new PackageFileError(`${path}: <fullName>${field.name}</fullName> does not match the file name`);
      return field;
    });
  return { name, custom, label, nameField: nameField ? { ...nameField, name: 'Name' } : null, fields };
}

function readPermissionSet(path: string, name: string): PackagePermissionSet {
  const xml = parseFile(path, 'PermissionSet');
  return {
    name,
    label: str(xml, 'label') ?? name,
    objects: ((xml.objectPermissions ?? []) as Xml[]).map((o) => ({
      object: str(o, 'object') ?? '',
      read: bool(o, 'allowRead'),
      create: bool(o, 'allowCreate'),
      edit: bool(o, 'allowEdit'),
      delete: bool(o, 'allowDelete'),
    })),
    fields: ((xml.fieldPermissions ?? []) as Xml[]).map((f) => ({
      field: str(f, 'field') ?? '',
      readable: bool(f, 'readable'),
      editable: bool(f, 'editable'),
    })),
    userPermissions: ((xml.userPermissions ?? []) as Xml[]).filter((u) => bool(u, 'enabled')).map((u) => str(u, 'name') ?? ''),
  };
}

/**
 * Reads the package's objects, fields and permission sets from the DX source format
 * (`objects/{Object}/fields/*.field-meta.xml`, `permissionsets/*.permissionset-meta.xml`).
 * Throws PackageFileError naming the file when one does not parse or lacks what deploy needs.
 */
export function loadSalesforcePackage(sourceDir: string = PACKAGE_SOURCE_DIR): SalesforcePackage {
  const objectsDir = join(sourceDir, 'objects');
  const objects = readdirSync(objectsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => readObject(objectsDir, name));
  const permsDir = join(sourceDir, 'permissionsets');
  const permissionSets = readdirSync(permsDir)
    .filter((f) => f.endsWith('.permissionset-meta.xml'))
    .sort()
    .map((file) => readPermissionSet(join(permsDir, file), file.replace('.permissionset-meta.xml', '')));
  return { objects, permissionSets };
}

let cached: SalesforcePackage | undefined;

/** The repository's package, read once per process. */
export function salesforcePackage(): SalesforcePackage {
  cached ??= loadSalesforcePackage();
  return cached;
}
