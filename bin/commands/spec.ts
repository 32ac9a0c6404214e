import { parseArgs } from 'node:util';
import { parseSettingAssignments, type SettingsPatch } from '../../shared/org-settings.ts';
import type { Target } from './target.ts';

/** What scripts can rely on; stated in every --help. */
export const EXIT = { ok: 0, failure: 1, usage: 2, invalid: 3, conflict: 4 } as const;
export const EXIT_CODES_HELP =
  'Exit codes: 0 ok, 1 operational failure (AWS, network, a failed run), 2 usage error, 3 not found or invalid value, 4 conflict with what exists (already registered, still paired, changed meanwhile)';

export interface Writer {
  write(text: string): unknown;
}

export interface CliIo {
  stdout: Writer;
  stderr: Writer;
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to a real timer; tests make waiting instant. */
  sleep?: (ms: number) => Promise<void>;
}

/** The command line was wrong: exit 2 with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder in the help, e.g. FILE. */
  value?: string;
  description: string;
}

export type ParsedValues = Record<string, string | boolean | undefined>;

export interface CommandContext {
  values: ParsedValues;
  positionals: string[];
  io: Required<CliIo>;
  /** Connects to the local run or the deployed stack; commands call it after their own checks. */
  target(): Promise<Target>;
}

export interface CommandSpec {
  /** e.g. 'orgs add' */
  path: string;
  /** One line for the command lists. */
  brief: string;
  usage: string;
  summary: string;
  details?: string;
  options?: Record<string, OptionSpec>;
  /** Positional arguments allowed; `rest` lets extra ones through (settings). */
  positionals: { min: number; max: number };
  /** The first positional is a Salesforce org id: either form is accepted and the command sees the 18-character form. */
  orgArgument?: true;
  run(ctx: CommandContext): Promise<number>;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  local: { type: 'boolean', description: 'use the local run (npm start); same as GLANCE_SYNC_TARGET=local' },
  stack: { type: 'string', value: 'NAME', description: 'deployed CloudFormation stack (default GlanceSalesforceSyncStack, or GLANCE_SYNC_STACK)' },
  region: { type: 'string', value: 'REGION', description: 'AWS region of the stack (default: AWS_REGION or your profile)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export const JSON_OPTION: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print JSON instead of text' },
};

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => [`${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`, o.description] as const);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
}

export function commandHelp(spec: CommandSpec): string {
  return [
    `Usage: glance-sync ${spec.usage}`,
    '',
    spec.summary,
    ...(spec.details ? ['', spec.details] : []),
    ...(spec.options && Object.keys(spec.options).length ? ['', 'Options:', ...optionLines(spec.options)] : []),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    EXIT_CODES_HELP,
    '',
  ].join('\n');
}

/** Strict parsing: an unknown option or a missing value is a usage error, never ignored. */
export function parseCommandLine(spec: CommandSpec, args: string[]): { values: ParsedValues; positionals: string[] } {
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}) }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { min, max } = spec.positionals;
  if (parsed.positionals.length < min) throw new UsageError(`missing argument: glance-sync ${spec.usage}`);
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument '${parsed.positionals[max]}'`);
  return { values: parsed.values as ParsedValues, positionals: parsed.positionals };
}

export function requireString(values: ParsedValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function optionalString(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A `--name N` option holding a whole number from 1 to max. */
export function wholeNumber(values: ParsedValues, name: string, fallback: number, max: number): number {
  const text = optionalString(values, name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}; got '${text}'`);
  return Number(text);
}

/** `setting=value` words as a settings patch; a word without `=` is a usage error, not a bad value. */
export function settingsFromArgs(words: readonly string[]): SettingsPatch {
  const bare = words.find((w) => w.indexOf('=') <= 0);
  if (bare !== undefined) throw new UsageError(`expected setting=value (e.g. syncFrequency=daily); got '${bare}'`);
  return parseSettingAssignments(words);
}
