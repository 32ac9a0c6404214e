import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './constants.ts';
import { type FunctionName, functionEntry, LOCK_FILE, REPO_ROOT } from './paths.ts';

export interface PipelineFunctionProps {
  readonly name: FunctionName;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
}

// jsforce and some of its dependencies are CommonJS and call require(); an ESM bundle has no
// require of its own, so give it one. The alias keeps the banner from clashing with bundled names.
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __bannerCreateRequire } from 'node:module'; const require = __bannerCreateRequire(import.meta.url);";

/**
 * A Lambda built from functions/<name>/handler.ts with the pipeline's shared settings. Its role
 * carries no managed policy: it can write to its own log group and nothing else until granted.
 */
export class PipelineFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    super(scope, id, {
      description: props.description,
      entry: functionEntry(props.name),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the AWS SDK instead of using the runtime's copy, so the version pinned in
        // package-lock.json (and tested locally) is the one that runs.
        externalModules: [],
        forceDockerBundling: false,
      },
    });

    // No active X-Ray tracing: without the Powertools Tracer instrumenting the SDK clients it shows
    // only the invocation, which the Powertools logs (request id, cold start) and metrics already
    // give; and it would need the one "*" resource grant of the stack.
    (this.node.defaultChild as CfnFunction).tracingConfig = { mode: 'PassThrough' };

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'nodejs22.x is pinned on purpose: the project builds and tests on Node 22 (engines, pinned node package).',
    });
  }
}
