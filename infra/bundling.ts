import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { type FunctionName, functionEntry, REPO_ROOT } from './paths.ts';

// jsforce and some of its dependencies are CommonJS and call require(); an ESM bundle has no
// require of its own, so give it one. The alias keeps the banner from clashing with bundled names.
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __bannerCreateRequire } from 'node:module'; const require = __bannerCreateRequire(import.meta.url);";

/**
 * How every Lambda of the stack is bundled, defined once. infra/pipeline-function.ts hands these
 * to NodejsFunction, which runs the esbuild CLI with them at `cdk synth`; local/lambda/bundles.ts
 * runs esbuild with the same options (through {@link esbuildOptions}) for the local run and the
 * tests, so what runs locally is byte for byte what deploys
 * (test/integration/bundles.test.ts checks this).
 * Plain data, no aws-cdk-lib import: the local run loads it without the CDK.
 */
export const LAMBDA_BUNDLING = {
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Bundle the AWS SDK instead of using the runtime's copy, so the version pinned in
  // package-lock.json (and tested locally) is the one that runs.
  externalModules: [] as readonly string[],
} as const;

/** The file NodejsFunction writes for an ESM bundle; Lambda loads it for handler `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * The esbuild build options equivalent to what NodejsFunction runs for {@link LAMBDA_BUNDLING}
 * (aws-cdk-lib/aws-lambda-nodejs bundling.js: `esbuild --bundle ENTRY --target --platform=node
 * --format --outfile=OUT/index.mjs --minify --sourcemap --sources-content=false --external:…
 * --banner:js --main-fields`, run in the project root). `externalModules` replaces the shared list
 * (a test uses it to build a deliberately broken bundle).
 */
export function esbuildOptions(name: FunctionName, outDir: string, overrides: { externalModules?: readonly string[] } = {}): BuildOptions {
  const b = LAMBDA_BUNDLING;
  return {
    entryPoints: [functionEntry(name)],
    bundle: true,
    absWorkingDir: REPO_ROOT,
    platform: 'node',
    target: b.target,
    format: b.format,
    outfile: join(outDir, BUNDLE_FILE),
    minify: b.minify,
    sourcemap: b.sourceMap,
    sourcesContent: b.sourcesContent,
    external: [...(overrides.externalModules ?? b.externalModules)],
    banner: { js: b.banner },
    mainFields: [...b.mainFields],
  };
}
