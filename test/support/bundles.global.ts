import type { TestProject } from 'vitest/node';
import { buildBundles, type Bundles } from '../../local/lambda/bundles.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The four handler bundles, built once per test run with the stack's esbuild options. */
    bundles: Bundles;
  }
}

/**
 * vitest globalSetup: builds the handler bundles once for the whole run (content-cached between
 * runs, no network), so every test file that runs a bundle shares one build.
 */
export default async function setup(project: TestProject): Promise<void> {
  project.provide('bundles', await buildBundles());
}
