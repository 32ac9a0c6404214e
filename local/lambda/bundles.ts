import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, version as esbuildVersion, type Metafile } from 'esbuild';
import { BUNDLE_FILE, esbuildOptions } from '../../infra/bundling.ts';
import { type FunctionName, REPO_ROOT } from '../../infra/paths.ts';

export const FUNCTION_NAMES: readonly FunctionName[] = ['webhook-ingest', 'session-processor', 'sync-run', 'sync-now', 'outbox-flusher'];

/** One handler bundle on disk, as Lambda would unpack it: `dir/index.mjs` plus its source map. */
export interface Bundle {
  name: FunctionName;
  /** Absolute path of the index.mjs. */
  file: string;
  /** Packages the bundle imports at run time that Node does not ship (none, when it is sound). */
  externals: string[];
}

export type Bundles = Record<FunctionName, Bundle>;

/** A bundle that would fail in Lambda, named with what is wrong. */
export class BundleError extends Error {
  override readonly name = 'BundleError';
}

/**
 * Where bundles are kept: under the system temp directory, never inside the project, because Node
 * resolves a bare import by walking up to any node_modules, and Lambda's /var/task has none. A
 * bundle that forgot a dependency must fail here as it would there.
 */
export const BUNDLE_CACHE = join(tmpdir(), 'glance-sync-bundles');

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function runtimeExternals(metafile: Metafile): string[] {
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith(BUNDLE_FILE))?.[1];
  const imports = output?.imports ?? [];
  return [...new Set(imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => i.path))].sort();
}

/** The content hash of a build's inputs (paths as esbuild lists them, relative to the project). */
function inputsHash(inputs: string[], optionsKey: string): string | null {
  const hash = createHash('sha256').update(optionsKey);
  for (const input of [...inputs].sort()) {
    try {
      hash.update(input).update('\0').update(readFileSync(join(REPO_ROOT, input))).update('\0');
    } catch {
      return null;
    }
  }
  return hash.digest('hex');
}

interface Manifest {
  inputs: string[];
  hash: string;
}

/**
 * Builds functions/<name>/handler.ts with the stack's esbuild options (infra/bundling.ts). Cached
 * by content: a build whose inputs (sources and node_modules files alike) and options have not
 * changed is reused, so the local run and each test run rebuild only after a change. No network.
 */
export async function bundleFunction(name: FunctionName, options: { externalModules?: readonly string[]; cacheDir?: string } = {}): Promise<Bundle> {
  const cacheDir = options.cacheDir ?? BUNDLE_CACHE;
  mkdirSync(cacheDir, { recursive: true });
  const optionsKey = sha256(JSON.stringify({ esbuildVersion, name, options: esbuildOptions(name, '', options) }));
  const manifestFile = join(cacheDir, `${name}.${optionsKey.slice(0, 16)}.json`);
  const cached = readManifest(manifestFile);
  if (cached && inputsHash(cached.inputs, optionsKey) === cached.hash) {
    const dir = join(cacheDir, `${name}.${cached.hash.slice(0, 16)}`);
    if (existsSync(join(dir, BUNDLE_FILE)) && existsSync(join(dir, 'externals.json'))) {
      return { name, file: join(dir, BUNDLE_FILE), externals: JSON.parse(readFileSync(join(dir, 'externals.json'), 'utf8')) as string[] };
    }
  }

  const staging = mkdtempSync(join(cacheDir, `${name}.building-`));
  const result = await build({ ...esbuildOptions(name, staging, options), metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(result.metafile.inputs);
  const externals = runtimeExternals(result.metafile);
  writeFileSync(join(staging, 'externals.json'), JSON.stringify(externals));
  const hash = inputsHash(inputs, optionsKey) ?? sha256(String(Date.now()));
  const dir = join(cacheDir, `${name}.${hash.slice(0, 16)}`);
  // Another process may have built the same inputs meanwhile: its copy is as good as ours.
  if (existsSync(dir)) rmSync(staging, { recursive: true, force: true });
  else renameSync(staging, dir);
  const partial = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify({ inputs, hash } satisfies Manifest));
  renameSync(partial, manifestFile);
  return { name, file: join(dir, BUNDLE_FILE), externals };
}

function readManifest(file: string): Manifest | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
    return Array.isArray(parsed.inputs) && typeof parsed.hash === 'string' ? { inputs: parsed.inputs, hash: parsed.hash } : null;
  } catch {
    return null;
  }
}

/** Throws BundleError when the bundle imports a package at run time: Lambda has no node_modules for it. */
export function assertSelfContained(bundle: Bundle): void {
  if (bundle.externals.length) {
    throw new BundleError(
      `the ${bundle.name} bundle imports ${bundle.externals.join(', ')} at run time, but Lambda ships no node_modules with it: ` +
        'bundle it (externalModules in infra/bundling.ts)',
    );
  }
}

/** All four handlers, built (or taken from the cache) and checked self-contained. */
export async function buildBundles(options: { cacheDir?: string } = {}): Promise<Bundles> {
  const built = await Promise.all(FUNCTION_NAMES.map((name) => bundleFunction(name, options)));
  for (const bundle of built) assertSelfContained(bundle);
  return Object.fromEntries(built.map((b) => [b.name, b])) as Bundles;
}
