import { requireOrg } from '../../shared/org-admin.ts';
import { dynamoTraceStore } from '../../shared/adapters/trace-store.ts';
import { TRACE_RETENTION_DAYS } from '../../shared/debug-trace.ts';
import { adminDeps } from './deps.ts';
import { printJson, when } from './output.ts';
import { EXIT, JSON_OPTION, wholeNumber, type CommandSpec } from './spec.ts';

export const debug: CommandSpec = {
  path: 'debug',
  orgArgument: true,
  brief: "Debug Mode's decision traces of an org, newest first",
  usage: 'debug ORG [SESSION] [--limit N] [--json]',
  summary: `Shows why each session was recorded or skipped in the org, how it was related to a record, what happened to each guest (Lead or not, and why), whether Chatter was posted, and the Salesforce calls its batch made. Traces are kept only while the org's debugMode is on, for ${TRACE_RETENTION_DAYS} days.`,
  options: {
    limit: { type: 'string', value: 'N', description: 'how many traces (1-500, default 20)' },
    ...JSON_OPTION,
  },
  positionals: { min: 1, max: 2 },
  async run({ values, positionals, io, target }) {
    const [orgId, sessionId] = positionals as [string, string | undefined];
    const limit = wholeNumber(values, 'limit', 20, 500);
    const t = await target();
    const org = await requireOrg(adminDeps(t), orgId);
    const traces = await dynamoTraceStore(t.tracesTable).list(orgId, { limit, ...(sessionId ? { sessionId } : {}) });
    if (values.json) {
      printJson(io.stdout, traces);
      return EXIT.ok;
    }
    if (traces.length === 0) {
      const hint = org.settings.debugMode ? 'none yet' : `debugMode is off: glance-sync orgs set ${orgId} debugMode=on`;
      io.stdout.write(`no traces${sessionId ? ` for session ${sessionId}` : ''} (${hint})\n`);
      return EXIT.ok;
    }
    for (const trace of traces) {
      io.stdout.write(
        [
          `${when(trace.at)}  session ${trace.sessionId}  (${trace.recorded ? 'recorded' : 'not recorded'})`,
          `  event     ${trace.eventId}`,
          `  route     ${trace.route}`,
          `  related   ${trace.link}`,
          ...(trace.leads.length ? trace.leads.map((l, i) => `  ${i === 0 ? 'leads   ' : '        '}  ${l}`) : ['  leads     none considered']),
          ...(trace.values ?? []).map((v, i) => `  ${i === 0 ? 'values  ' : '        '}  ${v}`),
          `  chatter   ${trace.chatter}`,
          `  outcome   ${trace.outcome}`,
          `  calls     ${trace.salesforceCalls.join(', ') || 'none'} (the whole batch's)`,
          '',
        ].join('\n') + '\n',
      );
    }
    return EXIT.ok;
  },
};
