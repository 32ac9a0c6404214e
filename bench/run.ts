import { parseBenchArgs, USAGE } from './args.ts';
import { runBench } from './bench.ts';
import { renderReport } from './report.ts';

let args;
try {
  args = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (args === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
const started = Date.now();
// Progress goes to stderr, so --json output stays parseable.
const summary = await runBench(args, command, (line) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)} s] ${line}\n`));
process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${renderReport(summary)}\n`);
// A missed target is a finding, not a failure; wrong data in an org is.
process.exit(summary.failures.length ? 1 : 0);
