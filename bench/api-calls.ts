import type { SalesforceSim } from '../local/salesforce-sim/index.ts';

export const CALL_KINDS = ['describe', 'leadQueries', 'leadWrites', 'sessionWrites', 'composite', 'chatter', 'adminRecords', 'other'] as const;
export type CallKind = (typeof CALL_KINDS)[number];
export type CallCounts = Record<CallKind, number> & { total: number; failed: number };

/** Sorts the simulator's counted calls (the org's API usage) by what they were for, batched or not. */
export function classify(entry: { method: string; path: string }): CallKind {
  const path = entry.path.replace(/^\/services\/data\/v\d+\.\d+/, '');
  if (entry.method === 'GET' && (/^\/sobjects\/?$/.test(path) || /\/describe\/?$/.test(path))) return 'describe';
  if (entry.method === 'GET' && /^\/query/.test(path)) return /FROM[\s+]+Lead\b/i.test(path) ? 'leadQueries' : 'other';
  if (/^\/(composite\/)?sobjects\/Lead\b/.test(path)) return 'leadWrites';
  if (/^\/(composite\/)?sobjects\/Glance_Session__c\b/.test(path)) return 'sessionWrites';
  if (/^\/chatter\/feed-elements/.test(path)) return 'chatter';
  // The admin's view in the org: Sync History runs and Debug Mode's logs (shared/processing/admin-records.ts).
  if (/^\/(composite\/)?sobjects\/(Glance_Sync_Run__c|Glance_Log__c)\b/.test(path)) return 'adminRecords';
  // One call whatever it carries (Lead queries, Lead and session collections).
  if (entry.method === 'POST' && /^\/composite\/?$/.test(path)) return 'composite';
  return 'other';
}

export function countCalls(sim: SalesforceSim, orgId: string): CallCounts {
  const counts = { describe: 0, leadQueries: 0, leadWrites: 0, sessionWrites: 0, composite: 0, chatter: 0, adminRecords: 0, other: 0, total: 0, failed: 0 };
  for (const entry of sim.callLog(orgId)) {
    counts[classify(entry)]++;
    counts.total++;
    if (entry.status >= 400) counts.failed++;
  }
  return counts;
}
