/**
 * The Salesforce side of the product as one source of truth: the objects, fields and permission
 * set in `salesforce/force-app` (a Salesforce DX project an admin deploys with the Salesforce CLI).
 * These types are what the metadata files say; `shared/adapters/salesforce-package-files.ts` reads
 * them, the simulator builds its custom objects from them, and `orgs check` compares an org's
 * describe with them.
 */

/** Metadata API CustomField `type` values the package uses (plus AutoNumber, for name fields). */
export const METADATA_FIELD_TYPES = [
  'Text',
  'TextArea',
  'LongTextArea',
  'Email',
  'Phone',
  'Url',
  'Number',
  'Checkbox',
  'Date',
  'DateTime',
  'Picklist',
  'Lookup',
  'AutoNumber',
] as const;
export type MetadataFieldType = (typeof METADATA_FIELD_TYPES)[number];

export interface PackageField {
  /** API name, e.g. Glance_Session_Id__c */
  name: string;
  label: string;
  type: MetadataFieldType;
  /** Characters (UTF-16 code units) for text types as declared; fixed types get Salesforce's own length. */
  length: number;
  precision: number;
  scale: number;
  required: boolean;
  unique: boolean;
  externalId: boolean;
  caseSensitive: boolean;
  referenceTo: string | null;
  relationshipName: string | null;
  picklistValues: string[];
  restrictedPicklist: boolean;
  defaultValue: string | null;
  /** AutoNumber display format, e.g. GS-{000000} */
  displayFormat: string | null;
}

export interface PackageObject {
  name: string;
  /** false for a standard object (Lead) the package only adds fields to */
  custom: boolean;
  label: string;
  /** The record name field of a custom object (AutoNumber or Text). */
  nameField: PackageField | null;
  fields: PackageField[];
}

export interface ObjectAccess {
  object: string;
  read: boolean;
  create: boolean;
  edit: boolean;
  delete: boolean;
}

export interface FieldAccess {
  /** Object.Field */
  field: string;
  readable: boolean;
  editable: boolean;
}

export interface PackagePermissionSet {
  name: string;
  label: string;
  objects: ObjectAccess[];
  fields: FieldAccess[];
  userPermissions: string[];
}

export interface SalesforcePackage {
  objects: PackageObject[];
  permissionSets: PackagePermissionSet[];
}

/** The permission set the integration user is assigned (salesforce/force-app/.../permissionsets). */
export const INTEGRATION_PERMISSION_SET = 'Glance_Sync_Integration';

/**
 * The `type` describe reports for a metadata field type (REST API describe, Field.type). Every
 * custom Number is a double in the API, whatever its scale (Object Reference, "Custom Fields").
 */
export function describeTypeOf(type: MetadataFieldType): string {
  switch (type) {
    case 'Text':
    case 'AutoNumber':
      return 'string';
    case 'TextArea':
    case 'LongTextArea':
      return 'textarea';
    case 'Email':
      return 'email';
    case 'Phone':
      return 'phone';
    case 'Url':
      return 'url';
    case 'Number':
      return 'double';
    case 'Checkbox':
      return 'boolean';
    case 'Date':
      return 'date';
    case 'DateTime':
      return 'datetime';
    case 'Picklist':
      return 'picklist';
    case 'Lookup':
      return 'reference';
  }
}

/**
 * The length describe reports for a field: as declared for text, and Salesforce's fixed lengths
 * otherwise (Email 80, Phone 40, Url 255, TextArea 255, Picklist 255, Lookup 18, AutoNumber 30).
 */
export function fixedLengthOf(type: MetadataFieldType, declared: number): number {
  switch (type) {
    case 'Text':
    case 'LongTextArea':
      return declared;
    case 'Email':
      return 80;
    case 'Phone':
      return 40;
    case 'Url':
    case 'TextArea':
    case 'Picklist':
      return 255;
    case 'Lookup':
      return 18;
    case 'AutoNumber':
      return 30;
    default:
      return 0;
  }
}

/** Whether a permission set can carry field permissions for the field (required fields cannot). */
export function hasFieldSecurity(field: PackageField): boolean {
  return !field.required && field.type !== 'AutoNumber';
}
