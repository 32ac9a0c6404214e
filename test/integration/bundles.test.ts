import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { describe, expect, inject, it } from 'vitest';
import { BUNDLE_FILE, ESM_REQUIRE_BANNER } from '../../infra/bundling.ts';
import type { FunctionName } from '../../infra/paths.ts';
import { GlanceSalesforceSyncStack } from '../../infra/stack.ts';
import { assertSelfContained, bundleFunction, FUNCTION_NAMES } from '../../local/lambda/bundles.ts';
import { localFunctionName, startLocalLambda } from '../../local/lambda/runtime.ts';

const bundles = inject('bundles');
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));

describe('the bundles the stack deploys', () => {
  // The one test that runs esbuild through the CDK, as `cdk synth` does; test/integration/infra.test.ts
  // synthesizes without bundling.
  it('are byte for byte what the local run and the tests execute', () => {
    const app = new App({ context: cdkJson.context });
    const stack = new GlanceSalesforceSyncStack(app, 'BundleCheck');
    app.synth();
    const deployed: Array<[FunctionName, string]> = [
      ['webhook-ingest', (stack.functions.webhookIngest.node.findChild('Code') as Asset).assetPath],
      ['session-processor', (stack.functions.sessionProcessor.node.findChild('Code') as Asset).assetPath],
      ['sync-run', (stack.functions.syncRun.node.findChild('Code') as Asset).assetPath],
      ['sync-now', (stack.functions.syncNow.node.findChild('Code') as Asset).assetPath],
      ['outbox-flusher', (stack.functions.outboxFlusher.node.findChild('Code') as Asset).assetPath],
    ];
    expect(deployed.map(([name]) => name).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const [name, assetPath] of deployed) {
      const code = readFileSync(join(app.outdir, assetPath, BUNDLE_FILE), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER), `${name} starts with the require banner`).toBe(true);
      // esbuild leaves an external as a top-level `import … from"pkg"` or a dynamic import("pkg").
      const externalSdk = code.match(/(?:^|[;}])import[^;"'`]*?from\s*["']@aws-sdk\/[^"']+|import\(\s*["']@aws-sdk\/[^"']+/gm);
      expect(externalSdk, `${name} bundles the AWS SDK`).toBeNull();
      expect(code === readFileSync(bundles[name].file, 'utf8'), `${name}: the CDK asset equals the local bundle`).toBe(true);
    }
  });
});

describe('a broken bundle', () => {
  it('with a dependency left external is refused by the build check and fails to load as in Lambda', async () => {
    const broken = await bundleFunction('session-processor', { externalModules: ['jsforce'] });
    expect(broken.externals).toEqual(['jsforce']);
    expect(() => assertSelfContained(broken)).toThrow(/the session-processor bundle imports jsforce at run time, but Lambda ships no node_modules/);
    expect(() => assertSelfContained(bundles['session-processor'])).not.toThrow();

    const logs: string[] = [];
    const lambda = startLocalLambda({ bundles: { ...bundles, 'session-processor': broken }, onLog: (_, text) => logs.push(text) });
    try {
      const answer = await lambda.invoke(localFunctionName('session-processor'), JSON.stringify({ Records: [] }));
      expect(answer.functionError).toBe('Unhandled');
      expect(JSON.parse(answer.payload)).toMatchObject({
        errorType: 'Runtime.ImportModuleError',
        errorMessage: expect.stringContaining("Cannot find package 'jsforce'"),
      });
      expect(logs.join('')).toContain('Runtime.ImportModuleError');
    } finally {
      await lambda.stop();
    }
  });
});
