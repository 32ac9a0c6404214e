import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { esbuildOptions } from '../infra/bundling.ts';
import { type FunctionName, REPO_ROOT } from '../infra/paths.ts';

export interface BundleSize {
  name: string;
  bytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  inputs: number;
  /** Bundled input files from jsforce (the Salesforce client). */
  jsforceInputs: number;
}

export const functionNames = (): FunctionName[] => readdirSync(join(REPO_ROOT, 'functions')).sort() as FunctionName[];

/**
 * A function (or any entry file, built as a function would be) with the stack's esbuild options
 * (infra/bundling.ts) into `outDir`/index.mjs; in memory unless `write`.
 */
export async function buildBundle(nameOrEntry: string, outDir: string, write = false): Promise<BundleSize> {
  const isEntry = nameOrEntry.includes('/');
  const options = esbuildOptions((isEntry ? functionNames()[0]! : nameOrEntry) as FunctionName, outDir);
  const result = await build({ ...options, ...(isEntry ? { entryPoints: [nameOrEntry] } : {}), write, metafile: true, logLevel: 'silent' });
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
  for (const name of functionNames()) sizes.push(await buildBundle(name, join(REPO_ROOT, 'cdk.out', 'bench-bundle', name)));
  return sizes;
}
