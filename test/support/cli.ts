import { run } from '../../bin/commands/run.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the admin CLI in-process as `glance-sync ARGV` would, against the runtime file given, with
 * `sleep` standing in for the waits of `--wait` (a test moves the world along there instead).
 */
export async function runCli(
  argv: string[],
  options: { runtimeFile: string; env?: NodeJS.ProcessEnv; sleep?: () => Promise<void> },
): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env: { ...process.env, GLANCE_SYNC_TARGET: undefined, GLANCE_SYNC_RUNTIME_FILE: options.runtimeFile, ...options.env },
    sleep: options.sleep ?? (async () => undefined),
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
