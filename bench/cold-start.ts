import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLE_FILE } from '../infra/bundling.ts';
import { buildBundle, functionNames } from './bundles.ts';

export interface ColdStart {
  name: string;
  bytes: number;
  /** Median wall ms to import the bundle in a fresh node process (module evaluation, no handler call). */
  importMs: number;
  runs: number;
}

/** The smallest handler a Lambda can have, built the same way: what every bundle is compared with. */
const MINIMAL_HANDLER = 'export const handler = async () => ({ ok: true });\n';

/**
 * Import time of each function bundle as built for Lambda (bundles.ts, the stack's esbuild
 * options from infra/bundling.ts), next to a minimal handler: each is imported `runs` times in a fresh `node` (this
 * process's, Node 22), and the median is kept. Wall-clock on this machine, so a printed figure,
 * never a tested one; Lambda's own init adds the runtime's start on top of it.
 */
export async function coldStarts(runs = 5): Promise<ColdStart[]> {
  const dir = mkdtempSync(join(tmpdir(), 'glance-cold-start-'));
  try {
    const minimalEntry = join(dir, 'minimal.ts');
    writeFileSync(minimalEntry, MINIMAL_HANDLER);
    const entries = [{ name: 'minimal handler', entry: minimalEntry }, ...functionNames().map((name) => ({ name, entry: null as string | null }))];
    const out: ColdStart[] = [];
    for (const { name, entry } of entries) {
      const outDir = join(dir, name.replace(/\W+/g, '-'));
      const outfile = join(outDir, BUNDLE_FILE);
      const bundle = await buildBundle(entry ?? name, outDir, true);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(outfile).href)}); process.stdout.write(String(performance.now() - t));`;
        const ms = Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' }, encoding: 'utf8' }));
        times.push(ms);
      }
      times.sort((a, b) => a - b);
      out.push({ name, bytes: bundle.bytes, importMs: times[Math.floor(times.length / 2)]!, runs });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
