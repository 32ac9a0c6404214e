import { AdminError } from '../../shared/admin-error.ts';
import { listDeadLetters, redriveDeadLetters } from '../../shared/adapters/dead-letter-queue.ts';
import { canonicalOrgId } from '../../shared/org.ts';
import type { DeadLetterEntry } from '../../shared/dead-letter-admin.ts';
import { printJson, table, when } from './output.ts';
import { EXIT, JSON_OPTION, optionalString, UsageError, wholeNumber, type CommandContext, type CommandSpec } from './spec.ts';

async function eventQueues(ctx: CommandContext): Promise<{ events: string; dlq: string }> {
  const target = await ctx.target();
  return { events: target.eventsQueueUrl, dlq: target.eventsDlqUrl };
}

function orgOption(ctx: CommandContext): string | undefined {
  const org = optionalString(ctx.values, 'org');
  if (org === undefined) return undefined;
  const id = canonicalOrgId(org);
  if (!id) throw new AdminError(`--org must be a Salesforce org id (00D…, 15 or 18 characters); got '${org}'`);
  return id;
}

const ORG_OPTION = { org: { type: 'string' as const, value: 'ORG', description: "only this org's dead letters" } };

const orgsText = (e: DeadLetterEntry) => (e.orgIds.length ? e.orgIds.join(',') : e.groupId !== null ? `group ${e.groupId}` : '-');

export const dlqList: CommandSpec = {
  path: 'dlq list',
  brief: 'dead session events: why, which org, which session',
  usage: 'dlq list [--org ORG] [--limit N] [--json]',
  summary:
    'Lists the messages on the session events dead-letter queue, oldest first: why each is there, the org(s) and session it concerns, when and after how many deliveries. Reading leaves every message on the queue.',
  details:
    "'by processor' means the pipeline gave up and recorded why (a Salesforce refusal, an unreadable message, an org paused for 48 hours); 'by sqs' means the processor never finished with it (a timeout or a crash) and SQS moved it. A group instead of an org means every org paired with that group.",
  options: {
    ...ORG_OPTION,
    limit: { type: 'string', value: 'N', description: 'show at most N (1-10000, default 100)' },
    ...JSON_OPTION,
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const org = orgOption(ctx);
    const limit = wholeNumber(ctx.values, 'limit', 100, 10_000);
    const queues = await eventQueues(ctx);
    const entries = await listDeadLetters(queues.dlq, { ...(org ? { org } : {}), limit, sourceQueueUrl: queues.events });
    if (ctx.values.json) {
      printJson(ctx.io.stdout, entries);
      return EXIT.ok;
    }
    if (entries.length === 0) {
      ctx.io.stdout.write(`no dead letters${org ? ` for org ${org}` : ''}\n`);
      return EXIT.ok;
    }
    ctx.io.stdout.write(
      table(
        ['MESSAGE', 'DEAD-LETTERED', 'BY', 'ORGS', 'SESSION', 'RECEIVES', 'REASON'],
        entries.map((e) => [e.messageId, when(e.deadLetteredAt), e.movedBy, orgsText(e), e.sessionId ?? '-', e.receiveCount === null ? '-' : String(e.receiveCount), e.reason]),
      ),
    );
    return EXIT.ok;
  },
};

export const dlqRedrive: CommandSpec = {
  path: 'dlq redrive',
  brief: 'put dead session events back on the queue',
  usage: 'dlq redrive [--org ORG] [--dry-run] [--json]',
  summary:
    'Sends dead letters back to the session events queue, where the processor handles them like any other delivery: nothing already done in Salesforce is done twice. Each leaves the dead-letter queue only after its copy is queued.',
  details: 'Messages the processor could never read stay on the dead-letter queue and are listed as skipped. Fix the cause first (credentials, a Salesforce validation rule, the record mapping), then redrive.',
  options: {
    ...ORG_OPTION,
    'dry-run': { type: 'boolean', description: 'show what would be redriven; move nothing' },
    ...JSON_OPTION,
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const org = orgOption(ctx);
    const dryRun = ctx.values['dry-run'] === true;
    const queues = await eventQueues(ctx);
    const result = await redriveDeadLetters(queues.dlq, queues.events, { ...(org ? { org } : {}), dryRun });
    if (ctx.values.json) {
      printJson(ctx.io.stdout, result);
      return EXIT.ok;
    }
    const verb = dryRun ? 'would redrive' : 'redrove';
    ctx.io.stdout.write(`${verb} ${result.redriven} of ${result.matched} dead letters${org ? ` for org ${org}` : ''}; ${result.untouched} others left in place\n`);
    for (const s of result.skipped) ctx.io.stdout.write(`skipped ${s.messageId}: ${s.reason}\n`);
    return EXIT.ok;
  },
};
