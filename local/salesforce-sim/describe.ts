import type { FieldDef, Schema, SObjectDef } from './schemas.ts';

const SOAP_TYPES: Record<FieldDef['type'], string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  email: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  picklist: 'xsd:string',
  datetime: 'xsd:dateTime',
  date: 'xsd:date',
  double: 'xsd:double',
  boolean: 'xsd:boolean',
};

function objectUrls(version: string, o: SObjectDef): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${o.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

function objectSummary(version: string, o: SObjectDef): Record<string, unknown> {
  return {
    name: o.name,
    label: o.label,
    labelPlural: `${o.label}s`,
    keyPrefix: o.keyPrefix,
    custom: o.custom,
    queryable: true,
    createable: o.createable,
    updateable: o.createable,
    deletable: o.createable,
    retrieveable: true,
    searchable: true,
    layoutable: true,
    urls: objectUrls(version, o),
  };
}

function describeField(f: FieldDef, schema: Schema): Record<string, unknown> {
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    soapType: SOAP_TYPES[f.type],
    length: f.length,
    precision: f.precision,
    scale: f.scale,
    nillable: f.nillable,
    createable: f.createable,
    updateable: f.updateable,
    defaultedOnCreate: f.defaultedOnCreate,
    defaultValue: f.defaultValue,
    externalId: f.externalId,
    unique: f.unique,
    caseSensitive: f.caseSensitive,
    idLookup: f.type === 'id' || f.externalId,
    nameField: f.name === 'Name',
    autoNumber: f.autoNumber !== null,
    calculated: f.compute !== null,
    custom: f.custom,
    filterable: f.filterable,
    sortable: f.filterable,
    groupable: f.filterable,
    referenceTo: f.referenceTo.includes('*') ? schema.objects.map((o) => o.name) : f.referenceTo,
    relationshipName: f.relationshipName,
    polymorphicForeignKey: f.referenceTo.includes('*'),
    restrictedPicklist: f.restrictedPicklist,
    picklistValues: f.picklistValues.map((value) => ({
      active: true,
      defaultValue: value === f.defaultValue,
      label: value,
      value,
      validFor: null,
    })),
  };
}

export function describeGlobal(version: string, schema: Schema): Record<string, unknown> {
  return {
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: schema.objects.map((o) => objectSummary(version, o)),
  };
}

export function describeObject(version: string, o: SObjectDef, schema: Schema): Record<string, unknown> {
  return { ...objectSummary(version, o), fields: o.fields.map((f) => describeField(f, schema)), childRelationships: [] };
}

/** `GET sobjects/{Obj}`: basic information, as Salesforce answers it. */
export function objectInfo(version: string, o: SObjectDef): Record<string, unknown> {
  return { objectDescribe: objectSummary(version, o), recentItems: [] };
}
