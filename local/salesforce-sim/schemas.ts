import type { PackageField, SalesforcePackage } from '../../shared/salesforce-package.ts';
import { salesforcePackage } from '../../shared/adapters/salesforce-package-files.ts';

/**
 * Declared sObject schemas, with the attributes the real org enforces (createable, length,
 * picklist restriction, references), because strictness is the point of the simulator. Standard
 * objects carry the standard fields the product or a user may touch, with Salesforce's lengths
 * (Object Reference); the custom object and the custom fields come from the Salesforce DX package
 * in salesforce/force-app, so the simulator and what an admin deploys cannot drift.
 */
export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'picklist'
  | 'reference'
  | 'datetime'
  | 'date'
  | 'double'
  | 'boolean';

export type Lookup = (id: unknown) => Record<string, unknown> | undefined;

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  defaultedOnCreate: boolean;
  externalId: boolean;
  unique: boolean;
  caseSensitive: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  picklistValues: string[];
  restrictedPicklist: boolean;
  defaultValue: string | boolean | null;
  autoNumber: { format: string; start: number } | null;
  compute: ((record: Record<string, unknown>, lookup: Lookup) => unknown) | null;
  filterable: boolean;
  precision: number;
  scale: number;
  custom: boolean;
}

export interface SObjectDef {
  name: string;
  label: string;
  keyPrefix: string;
  custom: boolean;
  createable: boolean;
  fields: FieldDef[];
  byLowerName: Map<string, FieldDef>;
  byLowerRelationship: Map<string, FieldDef>;
}

type FieldOptions = Partial<Omit<FieldDef, 'name' | 'type'>> & { required?: boolean };

function field(name: string, type: FieldType, options: FieldOptions = {}): FieldDef {
  const { required = false, ...rest } = options;
  const custom = name.endsWith('__c');
  const isLongText = type === 'textarea' && (rest.length ?? 0) > 255;
  const relationshipName =
    type === 'reference' ? (custom ? name.replace(/__c$/, '__r') : name.replace(/Id$/, '')) : null;
  return {
    name,
    label: name.replace(/__c$/, '').replace(/_/g, ' '),
    type,
    length: 0,
    nillable: !required,
    createable: true,
    updateable: true,
    defaultedOnCreate: false,
    externalId: false,
    unique: false,
    caseSensitive: false,
    referenceTo: [],
    relationshipName,
    picklistValues: [],
    restrictedPicklist: false,
    defaultValue: null,
    autoNumber: null,
    compute: null,
    filterable: !isLongText,
    precision: 0,
    scale: 0,
    custom,
    ...rest,
  };
}

const text = (name: string, length: number, o: FieldOptions = {}) => field(name, 'string', { length, ...o });
const longText = (name: string, length: number, o: FieldOptions = {}) => field(name, 'textarea', { length, ...o });
// Email fields are 80 characters in every org, standard or custom.
const email = (name: string, o: FieldOptions = {}) => field(name, 'email', { length: 80, ...o });
const phone = (name: string) => field(name, 'phone', { length: 40 });
// URL fields hold at most 255 characters; FeedItem.LinkUrl is the one standard exception (1000).
const url = (name: string, length = 255) => field(name, 'url', { length });
const number = (name: string, precision = 18, scale = 0) => field(name, 'double', { precision, scale });
const dateTime = (name: string) => field(name, 'datetime');
const checkbox = (name: string) =>
  field(name, 'boolean', { nillable: false, defaultedOnCreate: true, defaultValue: false });
const lookup = (name: string, to: string, o: FieldOptions = {}) => field(name, 'reference', { length: 18, referenceTo: [to], ...o });
const picklist = (name: string, values: string[], o: FieldOptions = {}) =>
  field(name, 'picklist', { length: 255, picklistValues: values, ...o });
const autoNumber = (name: string, format: string, start: number) =>
  field(name, 'string', {
    length: 30,
    nillable: false,
    createable: false,
    updateable: false,
    defaultedOnCreate: true,
    autoNumber: { format, start },
  });
const readOnly: FieldOptions = { createable: false, updateable: false };

function fullName(record: Record<string, unknown>): string | null {
  const parts = [record.FirstName, record.LastName].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.length ? parts.join(' ') : null;
}

const systemFields = (): FieldDef[] => [
  field('Id', 'id', { length: 18, nillable: false, defaultedOnCreate: true, ...readOnly, label: 'Record ID' }),
  field('CreatedDate', 'datetime', { nillable: false, defaultedOnCreate: true, ...readOnly }),
  field('LastModifiedDate', 'datetime', { nillable: false, defaultedOnCreate: true, ...readOnly }),
  field('SystemModstamp', 'datetime', { nillable: false, defaultedOnCreate: true, ...readOnly }),
  lookup('CreatedById', 'User', { nillable: false, defaultedOnCreate: true, ...readOnly }),
  lookup('LastModifiedById', 'User', { nillable: false, defaultedOnCreate: true, ...readOnly }),
  field('IsDeleted', 'boolean', { nillable: false, defaultedOnCreate: true, defaultValue: false, ...readOnly }),
];

function sobject(name: string, keyPrefix: string, fields: FieldDef[], createable = true): SObjectDef {
  const all = [...systemFields(), ...fields];
  return {
    name,
    label: name.replace(/__c$/, '').replace(/_/g, ' '),
    keyPrefix,
    custom: name.endsWith('__c'),
    createable,
    fields: all,
    byLowerName: new Map(all.map((f) => [f.name.toLowerCase(), f])),
    byLowerRelationship: new Map(
      all.filter((f) => f.relationshipName).map((f) => [String(f.relationshipName).toLowerCase(), f]),
    ),
  };
}


/** Standard objects as a Salesforce org has them; the package's custom fields are added to them. */
function standardObjects(): SObjectDef[] {
  return [
    sobject('Account', '001', [
      text('Name', 255, { required: true }),
      phone('Phone'),
      url('Website'),
      picklist('Industry', ['Agriculture', 'Banking', 'Technology', 'Other']),
      longText('Description', 32000),
    ]),
    sobject('Contact', '003', [
      text('FirstName', 40),
      text('LastName', 80, { required: true }),
      text('Name', 121, { ...readOnly, compute: fullName }),
      email('Email'),
      phone('Phone'),
      phone('MobilePhone'),
      text('Title', 128),
      lookup('AccountId', 'Account'),
      longText('Description', 32000),
    ]),
    sobject('Lead', '00Q', [
      text('FirstName', 40),
      text('LastName', 80, { required: true }),
      text('Name', 121, { ...readOnly, compute: fullName }),
      text('Company', 255, { required: true }),
      text('Title', 128),
      email('Email'),
      phone('Phone'),
      phone('MobilePhone'),
      url('Website'),
      // Unrestricted, as standard picklists are: the API accepts a value not in the list (Glance).
      picklist('LeadSource', ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']),
      picklist('Status', ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'], {
        nillable: false,
        defaultedOnCreate: true,
        defaultValue: 'Open - Not Contacted',
      }),
      longText('Description', 32000),
    ]),
    sobject('Case', '500', [
      autoNumber('CaseNumber', '{00000000}', 1001),
      text('Subject', 255),
      longText('Description', 32000),
      picklist('Status', ['New', 'Working', 'Escalated', 'Closed'], { nillable: false, defaultedOnCreate: true, defaultValue: 'New' }),
      picklist('Origin', ['Phone', 'Email', 'Web']),
      picklist('Priority', ['High', 'Medium', 'Low'], { defaultedOnCreate: true, defaultValue: 'Medium' }),
      picklist('Type', ['Mechanical', 'Electrical', 'Electronic', 'Structural', 'Other']),
      picklist('Reason', ['Installation', 'Equipment Complexity', 'Performance', 'Breakdown', 'Equipment Design', 'Feedback', 'Other']),
      email('SuppliedEmail'),
      text('SuppliedName', 80),
      text('SuppliedPhone', 40),
      lookup('AccountId', 'Account'),
      lookup('ContactId', 'Contact'),
      email('ContactEmail', {
        ...readOnly,
        compute: (record, find) => {
          const contact = find(record.ContactId);
          return contact?.Email ?? null;
        },
      }),
    ]),
    sobject('Opportunity', '006', [
      text('Name', 120, { required: true }),
      picklist(
        'StageName',
        [
          'Prospecting',
          'Qualification',
          'Needs Analysis',
          'Value Proposition',
          'Id. Decision Makers',
          'Perception Analysis',
          'Proposal/Price Quote',
          'Negotiation/Review',
          'Closed Won',
          'Closed Lost',
        ],
        { required: true },
      ),
      field('CloseDate', 'date', { required: true }),
      number('Amount', 18, 2),
      picklist('LeadSource', ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']),
      longText('Description', 32000),
      lookup('AccountId', 'Account'),
    ]),
    sobject(
      'User',
      '005',
      [
        text('Username', 80, { ...readOnly, nillable: false }),
        text('FirstName', 40),
        text('LastName', 80, { required: true }),
        text('Name', 121, { ...readOnly, compute: fullName }),
        email('Email', { required: true }),
        field('IsActive', 'boolean', { nillable: false, defaultedOnCreate: true, defaultValue: true }),
      ],
      false,
    ),
    sobject('FeedItem', '0D5', [
      // Polymorphic: a post may sit on any record's feed.
      field('ParentId', 'reference', { length: 18, required: true, referenceTo: ['*'], relationshipName: 'Parent', updateable: false }),
      longText('Body', 10000),
      picklist('Type', ['TextPost', 'LinkPost'], { nillable: true, defaultedOnCreate: true, defaultValue: 'TextPost', updateable: false }),
      url('LinkUrl', 1000),
    ]),
  ];
}

const SIM_TYPES: Record<PackageField['type'], FieldType> = {
  Text: 'string',
  AutoNumber: 'string',
  TextArea: 'textarea',
  LongTextArea: 'textarea',
  Email: 'email',
  Phone: 'phone',
  Url: 'url',
  Number: 'double',
  Checkbox: 'boolean',
  Date: 'date',
  DateTime: 'datetime',
  Picklist: 'picklist',
  Lookup: 'reference',
};

/** A package field as the org's API sees it once deployed. */
function fromPackage(f: PackageField): FieldDef {
  const base: FieldOptions = {
    label: f.label,
    length: f.length,
    required: f.required,
    externalId: f.externalId,
    unique: f.unique,
    caseSensitive: f.caseSensitive,
    precision: f.precision,
    scale: f.scale,
  };
  switch (f.type) {
    case 'AutoNumber':
      return { ...autoNumber(f.name, f.displayFormat ?? '{0}', 1), label: f.label };
    case 'Checkbox':
      return { ...checkbox(f.name), label: f.label, defaultValue: f.defaultValue === 'true' };
    case 'Lookup':
      return lookup(f.name, f.referenceTo ?? '', base);
    case 'Picklist':
      return picklist(f.name, f.picklistValues, { ...base, length: 255, restrictedPicklist: f.restrictedPicklist });
    default:
      return field(f.name, SIM_TYPES[f.type], base);
  }
}

// Key prefixes of the package's custom objects; a real org assigns its own (a0G.. here).
const CUSTOM_KEY_PREFIXES = ['a0G', 'a0H', 'a0J', 'a0K'];

/** Standard objects plus the package: its custom objects, and its custom fields on standard objects. */
function objectsWith(pkg: SalesforcePackage): SObjectDef[] {
  const standard = new Map(standardObjects().map((o) => [o.name, o]));
  const out: SObjectDef[] = [];
  let prefix = 0;
  for (const object of pkg.objects) {
    const fields = [...(object.nameField ? [fromPackage(object.nameField)] : []), ...object.fields.map(fromPackage)];
    const existing = standard.get(object.name);
    if (existing) {
      standard.set(object.name, sobject(existing.name, existing.keyPrefix, [...existing.fields.filter((f) => !isSystemField(f)), ...fields], existing.createable));
    } else {
      out.push({ ...sobject(object.name, CUSTOM_KEY_PREFIXES[prefix++] ?? `a1${prefix}`, fields), label: object.label });
    }
  }
  return [...standard.values(), ...out];
}

const SYSTEM_FIELDS = new Set(systemFields().map((f) => f.name));
const isSystemField = (f: FieldDef) => SYSTEM_FIELDS.has(f.name);

/**
 * How one simulated org differs from the package, to test what `orgs check` and the pipeline do
 * with an org an admin set up wrong. Names are Object.Field.
 */
export interface SchemaVariant {
  /** Fields the org lacks (not deployed, or invisible to the integration user). */
  missingFields?: string[];
  /** Fields the integration user can read but not write (field-level security). */
  readOnlyFields?: string[];
  /** Fields deployed without the External ID (and unique) flag. */
  notExternalId?: string[];
  /** Fields deployed with another length. */
  lengths?: Record<string, number>;
  /** Objects the integration user cannot create or edit records of. */
  readOnlyObjects?: string[];
}

/** The objects one org has. */
export class Schema {
  readonly objects: readonly SObjectDef[];
  private readonly byLowerName: Map<string, SObjectDef>;
  private readonly byPrefix: Map<string, SObjectDef>;

  constructor(objects: SObjectDef[]) {
    this.objects = objects;
    this.byLowerName = new Map(objects.map((o) => [o.name.toLowerCase(), o]));
    this.byPrefix = new Map(objects.map((o) => [o.keyPrefix, o]));
  }

  /** Object names are case-insensitive in every Salesforce API. */
  findObject(name: string): SObjectDef | undefined {
    return this.byLowerName.get(name.toLowerCase());
  }

  objectForId(id: string): SObjectDef | undefined {
    return this.byPrefix.get(id.slice(0, 3));
  }
}

function variantOf(objects: SObjectDef[], variant: SchemaVariant): SObjectDef[] {
  const names = (list: string[] | undefined) => new Set((list ?? []).map((n) => n.toLowerCase()));
  const missing = names(variant.missingFields);
  const readOnlyFields = names(variant.readOnlyFields);
  const plain = names(variant.notExternalId);
  const lengths = new Map(Object.entries(variant.lengths ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const readOnlyObjects = names(variant.readOnlyObjects);
  return objects.map((o) => {
    const key = (f: FieldDef) => `${o.name}.${f.name}`.toLowerCase();
    const fields = o.fields
      .filter((f) => !missing.has(key(f)))
      .map((f) => ({
        ...f,
        ...(readOnlyFields.has(key(f)) ? readOnly : {}),
        ...(plain.has(key(f)) ? { externalId: false, unique: false } : {}),
        ...(lengths.has(key(f)) ? { length: lengths.get(key(f)) as number } : {}),
      }));
    const rebuilt = sobject(o.name, o.keyPrefix, fields.filter((f) => !isSystemField(f)), o.createable && !readOnlyObjects.has(o.name.toLowerCase()));
    return { ...rebuilt, label: o.label };
  });
}

/** The schema of an org built from the package, optionally set up differently (see SchemaVariant). */
export function buildSchema(variant: SchemaVariant = {}, pkg: SalesforcePackage = salesforcePackage()): Schema {
  return new Schema(variantOf(objectsWith(pkg), variant));
}

export function findField(object: SObjectDef, name: string): FieldDef | undefined {
  return object.byLowerName.get(name.toLowerCase());
}

/** What describe calls "required": the caller must supply a value on create. */
export function isRequired(f: FieldDef): boolean {
  return !f.nillable && !f.defaultedOnCreate && f.createable;
}
