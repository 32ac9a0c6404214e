import { setTimeout as sleep } from 'node:timers/promises';
import { AdminError } from '../../shared/admin-error.ts';
import { canonicalOrgId } from '../../shared/org.ts';
import { groupsAdd, groupsCredentials, groupsList, groupsRemove, groupsRetireSecret, groupsRotateSecret, groupsShow } from './groups.ts';
import { orgsPair, orgsSet, orgsUnpair } from './orgs-change.ts';
import { orgsAdd, orgsCredentials, orgsRemove } from './orgs-register.ts';
import { orgsList, orgsShow } from './orgs-view.ts';
import { orgsCheck } from './orgs-check.ts';
import { commandHelp, EXIT, EXIT_CODES_HELP, GLOBAL_OPTIONS, parseCommandLine, UsageError, type CliIo, type CommandSpec } from './spec.ts';
import { history, syncNow } from './sync.ts';
import { dlqList, dlqRedrive } from './dlq.ts';
import { debug } from './debug.ts';
import { connect } from './target.ts';
import { upgradeCleanup } from './upgrade.ts';

const COMMANDS: CommandSpec[] = [orgsAdd, orgsList, orgsShow, orgsCheck, orgsSet, orgsPair, orgsUnpair, orgsRemove, orgsCredentials, groupsAdd, groupsCredentials, groupsList, groupsShow, groupsRemove, groupsRotateSecret, groupsRetireSecret, syncNow, history, debug, dlqList, dlqRedrive, upgradeCleanup];
const GROUPS: Record<string, string> = {
  orgs: 'Salesforce orgs: registration, settings, group pairings, schedules',
  groups: 'Glance groups: webhook registration, paired orgs, webhook URLs and secrets',
  dlq: 'dead session events: inspection and redrive',
  upgrade: 'after deploying a new version: remove what earlier versions left',
};

function overview(commands: CommandSpec[], heading: string): string {
  const width = Math.max(...commands.map((c) => c.path.length)) + 2;
  return [
    heading,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.path.padEnd(width)}${c.brief}`),
    '',
    "Run 'glance-sync COMMAND --help' for a command's options.",
    'Target: the deployed stack (--stack, --region) unless --local or GLANCE_SYNC_TARGET=local points at the local run.',
    EXIT_CODES_HELP,
    '',
  ].join('\n');
}

const TOP_HELP = overview(COMMANDS, 'Usage: glance-sync COMMAND [ARGS] [--local | --stack NAME] [--region REGION]\n\nAdmin CLI of glance-salesforce-sync: Glance sessions into Salesforce orgs.');

/** Global options may come before the command words: `glance-sync --local orgs list`. */
function leadingOptions(argv: string[]): number {
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const name = argv[i]!.replace(/^--?/, '').split('=')[0]!;
    if (GLOBAL_OPTIONS[name]?.type === 'string' && !argv[i]!.includes('=')) i++;
  }
  return i;
}

/** An org id as the admin typed it (15 or 18 characters) in the 18-character form everything stores. */
export function orgIdArgument(text: string): string {
  const id = canonicalOrgId(text);
  if (!id) throw new AdminError(`'${text}' is not a Salesforce org id (00D…, 15 or 18 characters, the last 3 a checksum of the first 15)`, 'invalid');
  return id;
}

const wantsHelp = (args: string[]) => args.some((a) => a === '--help' || a === '-h');

function report(error: unknown, io: Required<CliIo>, spec: CommandSpec): number {
  const message = (error as Error).message ?? String(error);
  if (error instanceof UsageError) {
    io.stderr.write(`glance-sync: ${message}\nRun 'glance-sync ${spec.path} --help' for usage.\n`);
    return EXIT.usage;
  }
  if (error instanceof AdminError) {
    io.stderr.write(`glance-sync: ${message}\n`);
    return error.code === 'conflict' ? EXIT.conflict : EXIT.invalid;
  }
  const name = (error as { name?: string }).name;
  const prefix = name && !['Error', 'TargetError', 'RuntimeFileError'].includes(name) ? `${name}: ` : '';
  io.stderr.write(`glance-sync: ${prefix}${message}\n`);
  if (io.env.GLANCE_SYNC_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return EXIT.failure;
}

/** The whole CLI, in-process: argv without `node script`; resolves to the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const full: Required<CliIo> = { env: process.env, sleep: (ms) => sleep(ms), ...io };
  const at = leadingOptions(argv);
  const leading = argv.slice(0, at);
  const first = argv[at];
  if (!first || first === 'help') {
    const asked = !!first || wantsHelp(argv);
    (asked ? full.stdout : full.stderr).write(TOP_HELP);
    return asked ? EXIT.ok : EXIT.usage;
  }
  const grouped = first in GROUPS;
  const second = grouped ? argv[at + 1] : undefined;
  const spec = COMMANDS.find((c) => c.path === (grouped ? `${first} ${second}` : first));
  if (!spec) {
    if (grouped) {
      const help = overview(COMMANDS.filter((c) => c.path.startsWith(`${first} `)), `Usage: glance-sync ${first} SUBCOMMAND [ARGS]\n\n${GROUPS[first]}.`);
      if (!second || second.startsWith('-')) {
        const asked = wantsHelp(argv);
        if (!asked) full.stderr.write(`glance-sync: ${first} needs a subcommand\n\n`);
        (asked ? full.stdout : full.stderr).write(help);
        return asked ? EXIT.ok : EXIT.usage;
      }
      full.stderr.write(`glance-sync: unknown ${first} subcommand '${second}'\n\n${help}`);
      return EXIT.usage;
    }
    full.stderr.write(`glance-sync: unknown command '${first}'\n\n${TOP_HELP}`);
    return EXIT.usage;
  }
  const args = [...leading, ...argv.slice(at + (grouped ? 2 : 1))];
  if (wantsHelp(args)) {
    full.stdout.write(commandHelp(spec));
    return EXIT.ok;
  }
  try {
    const { values, positionals } = parseCommandLine(spec, args);
    if (spec.orgArgument && positionals[0] !== undefined) positionals[0] = orgIdArgument(positionals[0]);
    return await spec.run({ values, positionals, io: full, target: () => connect(values, full.env) });
  } catch (error) {
    return report(error, full, spec);
  }
}
