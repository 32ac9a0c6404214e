import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER } from '../infra/pipeline-function.ts';
import { REPO_ROOT } from '../infra/paths.ts';

export interface BundleSize {
  name: string;
  bytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  inputs: number;
  /** Bundled input files from jsforce (the Salesforce client). */
  jsforceInputs: number;
}

export const functionNames = (): string[] => readdirSync(join(REPO_ROOT, 'functions')).sort();

/**
 * functions/<name>/handler.ts (or any entry file) built the way infra/pipeline-function.ts has
 * NodejsFunction build it (ESM, minified, node22, require banner, external source map, AWS SDK
 * bundled); in memory unless `write`.
 */
export async function buildBundle(nameOrEntry: string, outfile: string, write = false): Promise<BundleSize> {
  const entry = nameOrEntry.includes('/') ? nameOrEntry : join(REPO_ROOT, 'functions', nameOrEntry, 'handler.ts');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    sourcemap: true,
    sourcesContent: false,
    outfile,
    write,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const sizeOf = (suffix: string) => {
    const file = result.outputFiles?.find((f) => f.path.endsWith(suffix));
    if (file) return file.contents.byteLength;
    return Object.entries(result.metafile.outputs).find(([path]) => path.endsWith(suffix))?.[1].bytes ?? 0;
  };
  const js = result.outputFiles?.find((f) => f.path.endsWith('.mjs'));
  return {
    name: nameOrEntry,
    bytes: sizeOf('.mjs'),
    gzipBytes: js ? gzipSync(js.contents).byteLength : 0,
    sourceMapBytes: sizeOf('.map'),
    inputs: inputs.length,
    jsforceInputs: inputs.filter((p) => /(^|\/)node_modules\/jsforce\//.test(p)).length,
  };
}

/** Each function's bundle, in memory. */
export async function bundleSizes(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  for (const name of functionNames()) sizes.push(await buildBundle(name, join(REPO_ROOT, 'cdk.out', 'bench-bundle', name, 'index.mjs')));
  return sizes;
}
