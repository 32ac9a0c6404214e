#!/usr/bin/env -S npx tsx
import { run } from './commands/run.ts';

// A reader that stops early (`glance-sync orgs list | head`) is not a failure of the command:
// stop quietly, as Unix tools do, instead of Node's unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
