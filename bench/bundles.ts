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

/** Each functions/<name>/handler.ts built with the stack's esbuild options (infra/bundling.ts), in memory. */
export async function bundleSizes(): Promise<BundleSize[]> {
  const names = readdirSync(join(REPO_ROOT, 'functions')).sort() as FunctionName[];
  const sizes: BundleSize[] = [];
  for (const name of names) {
    const result = await build({
      ...esbuildOptions(name, join(REPO_ROOT, 'cdk.out', 'bench-bundle', name)),
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const js = result.outputFiles.find((f) => f.path.endsWith('.mjs'))!;
    const map = result.outputFiles.find((f) => f.path.endsWith('.map'));
    const inputs = Object.keys(result.metafile.inputs);
    sizes.push({
      name,
      bytes: js.contents.byteLength,
      gzipBytes: gzipSync(js.contents).byteLength,
      sourceMapBytes: map?.contents.byteLength ?? 0,
      inputs: inputs.length,
      jsforceInputs: inputs.filter((p) => /(^|\/)node_modules\/jsforce\//.test(p)).length,
    });
  }
  return sizes;
}
