/**
 * Declared sObject schemas. Only what the pipeline touches, but declared with the attributes the
 * real org enforces (createable, length, picklist restriction, references), because strictness is
 * the point of the simulator.
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
const url = (name: string, length: number) => field(name, 'url', { length });
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

const OBJECTS: SObjectDef[] = [
  sobject('Account', '001', [text('Name', 255, { required: true })]),
  sobject('Contact', '003', [
    text('FirstName', 40),
    text('LastName', 80, { required: true }),
    text('Name', 121, { ...readOnly, compute: fullName }),
    email('Email'),
    phone('Phone'),
    lookup('AccountId', 'Account'),
  ]),
  sobject('Lead', '00Q', [
    text('FirstName', 40),
    text('LastName', 80, { required: true }),
    text('Name', 121, { ...readOnly, compute: fullName }),
    text('Company', 255, { required: true }),
    email('Email'),
    phone('Phone'),
    picklist('LeadSource', ['Web', 'Phone Inquiry', 'Partner Referral', 'Other', 'Glance']),
    picklist('Status', ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'], {
      nillable: false,
      defaultedOnCreate: true,
      defaultValue: 'Open - Not Contacted',
    }),
    longText('Description', 32000),
    text('Glance_Session_Id__c', 80),
    text('Glance_Guest_Key__c', 255, { externalId: true, unique: true }),
  ]),
  sobject('Case', '500', [
    autoNumber('CaseNumber', '{00000000}', 1001),
    text('Subject', 255),
    picklist('Status', ['New', 'Working', 'Escalated', 'Closed'], {
      nillable: false,
      defaultedOnCreate: true,
      defaultValue: 'New',
    }),
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
  sobject('Glance_Session__c', 'a0G', [
    autoNumber('Name', 'GS-{000000}', 1),
    text('Glance_Session_Id__c', 80, { externalId: true, unique: true, caseSensitive: true, required: true }),
    text('Session_Key__c', 50),
    number('Group_Id__c'),
    picklist('Site__c', ['production', 'staging'], { restrictedPicklist: true }),
    picklist('Session_Type__c', ['Screen Share', 'Cobrowse', 'Video'], { restrictedPicklist: true }),
    text('Status__c', 1),
    dateTime('Start_Time__c'),
    dateTime('End_Time__c'),
    dateTime('Last_Event_At__c'),
    text('Host_Name__c', 255),
    email('Host_Email__c'),
    text('Host_Partner_User_Id__c', 255),
    number('Guest_Count__c'),
    longText('Guest_Names__c', 32768),
    longText('Guest_Emails__c', 32768),
    text('Launched_From_Org_Id__c', 18),
    text('Launched_From_Record_Id__c', 18),
    checkbox('Launched_From_This_Org__c'),
    lookup('Case__c', 'Case'),
    lookup('Contact__c', 'Contact'),
    lookup('Lead__c', 'Lead'),
    lookup('Opportunity__c', 'Opportunity'),
    url('Join_URL__c', 1000),
    longText('Custom_Data__c', 32768),
  ]),
];

const byLowerName = new Map(OBJECTS.map((o) => [o.name.toLowerCase(), o]));
const byPrefix = new Map(OBJECTS.map((o) => [o.keyPrefix, o]));

export const allObjects = (): readonly SObjectDef[] => OBJECTS;

/** Object names are case-insensitive in every Salesforce API. */
export function findObject(name: string): SObjectDef | undefined {
  return byLowerName.get(name.toLowerCase());
}

export function objectForId(id: string): SObjectDef | undefined {
  return byPrefix.get(id.slice(0, 3));
}

export function findField(object: SObjectDef, name: string): FieldDef | undefined {
  return object.byLowerName.get(name.toLowerCase());
}

/** What describe calls "required": the caller must supply a value on create. */
export function isRequired(f: FieldDef): boolean {
  return !f.nillable && !f.defaultedOnCreate && f.createable;
}
