import { CHATTER_BATCH_LIMIT, COLLECTION_LIMIT } from '../shared/adapters/salesforce.ts';
import { chunkForIn } from '../shared/soql.ts';
import type { OrgExpectation } from './expectations.ts';

export interface LowerBound {
  describe: number;
  leadQueries: number;
  leadWrites: number;
  sessionWrites: number;
  chatter: number;
  total: number;
}

/**
 * The fewest calls the batch limits allow if one writer saw the whole day at once: each session
 * record written once, each candidate email checked once in IN lists as long as a query URI allows
 * (the same chunking rule the pipeline must obey), Leads and sessions 200 per collection, Chatter 500
 * per batch, and the two describe calls that relating records by id prefix needs.
 */
export function lowerBound(e: OrgExpectation): LowerBound {
  const describe = 2;
  const leadQueries = chunkForIn(e.candidateEmails).length;
  const leadWrites = Math.ceil(e.newLeads / COLLECTION_LIMIT);
  const sessionWrites = Math.ceil(e.records / COLLECTION_LIMIT);
  const chatter = Math.ceil(e.chatterPosts / CHATTER_BATCH_LIMIT);
  return { describe, leadQueries, leadWrites, sessionWrites, chatter, total: describe + leadQueries + leadWrites + sessionWrites + chatter };
}
