import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from './bundling.ts';
import { commonEnvironment, FUNCTION_SETTINGS } from './function-settings.ts';
import { type FunctionName, functionEntry, LOCK_FILE, REPO_ROOT } from './paths.ts';

export interface PipelineFunctionProps {
  readonly name: FunctionName;
  /** The function's own resources; the common Powertools settings are added. */
  readonly environment: Record<string, string>;
}

/**
 * A Lambda built from functions/<name>/handler.ts with the pipeline's shared settings: size and
 * timeout from infra/function-settings.ts, bundling from infra/bundling.ts. Its role carries no
 * managed policy: it can write to its own log group and nothing else until granted.
 */
export class PipelineFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    const settings = FUNCTION_SETTINGS[props.name];
    super(scope, id, {
      description: settings.description,
      entry: functionEntry(props.name),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: settings.memoryMb,
      timeout: Duration.seconds(settings.timeoutSeconds),
      role,
      logGroup,
      environment: { ...commonEnvironment(props.name), ...props.environment },
      bundling: {
        // OutputFormat is a string enum whose ESM member is 'esm'.
        format: LAMBDA_BUNDLING.format as OutputFormat,
        target: LAMBDA_BUNDLING.target,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        banner: LAMBDA_BUNDLING.banner,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourceMap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        externalModules: [...LAMBDA_BUNDLING.externalModules],
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
