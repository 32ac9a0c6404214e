import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { checkOrgSettings, type OrgCheckAnswer } from '../../shared/org-check.ts';
import { recordMappingSchema, salesforceOrgIdSchema } from '../../shared/org.ts';
import { describeIssues } from '../../shared/session.ts';
import { cachedSecretReader } from '../../shared/adapters/secrets.ts';
import { salesforceClientCache } from '../../shared/adapters/salesforce-orgs.ts';
import { salesforceMappingDescribe } from '../../shared/adapters/salesforce-describe.ts';
import { DEFAULTS, optionalEnv } from '../../shared/config.ts';

const logger = new Logger({ serviceName: 'org-check' });
const secrets = cachedSecretReader(60_000);

const orgCheckInputSchema = z.strictObject({ orgId: salesforceOrgIdSchema, recordMapping: recordMappingSchema });

export type OrgCheckResult = OrgCheckAnswer | { error: string; code: 'invalid' };

/**
 * Invoked by the admin CLI (`orgs set recordMapping=…`): checks settings against the org's describe
 * with the org's own credentials, which the admin's role may not read. A refused input is answered
 * as data; an org that cannot be reached fails the invocation with the reason.
 */
export async function orgCheck(event: unknown): Promise<OrgCheckResult> {
  const input = orgCheckInputSchema.safeParse(event);
  if (!input.success) return { error: `invalid org check request: ${describeIssues(input.error)}`, code: 'invalid' };
  const connect = salesforceClientCache(secrets, optionalEnv('secretPrefix', DEFAULTS.secretPrefix));
  const answer = await checkOrgSettings(input.data, async (orgId) => salesforceMappingDescribe(await connect({ orgId }, () => Date.now() + 30_000)));
  logger.info('org checked', { orgId: input.data.orgId, problems: answer.problems.length });
  return answer;
}

export const handler = middy(orgCheck).use(injectLambdaContext(logger));
