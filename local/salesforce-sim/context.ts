import type { CreateRaces } from './races.ts';
import type { IncomingHttpHeaders } from 'node:http';
import type { DmlContext } from './dml.ts';
import type { FaultBook } from './faults.ts';
import type { TokenBook } from './oauth.ts';
import type { SObjectDef } from './schemas.ts';
import type { Store } from './store.ts';

export interface QueryCursor {
  orgId: string;
  records: Array<Record<string, unknown>>;
  batchSize: number;
}

/** Everything one simulator instance holds. */
export interface SimState {
  store: Store;
  faults: FaultBook;
  tokens: TokenBook;
  cursors: Map<string, QueryCursor>;
  baseUrl: string;
  races: CreateRaces;
}

/** One counted data-API call. */
export interface CallContext extends DmlContext {
  state: SimState;
  version: string;
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export function recordUrl(version: string, type: string, id: unknown): string {
  return `/services/data/v${version}/sobjects/${type}/${String(id)}`;
}

/** A record as the REST API shows it, `attributes` first. */
export function withAttributes(version: string, def: SObjectDef, fields: Record<string, unknown>): Record<string, unknown> {
  return { attributes: { type: def.name, url: recordUrl(version, def.name, fields.Id) }, ...fields };
}
