import type { APIGatewayProxyStructuredResultV2, SQSBatchResponse } from 'aws-lambda';
import type { FunctionName } from '../../infra/paths.ts';
import type { HttpApiHandler } from '../http-api.ts';
import type { SqsHandler } from '../queue-poller.ts';
import { FUNCTION_NAMES } from './bundles.ts';
import { startInvokeServer } from './invoke-server.ts';
import { localFunctionName, startLocalLambda, type LocalLambda, type LocalLambdaOptions } from './runtime.ts';

export { buildBundles, type Bundles } from './bundles.ts';
export { FunctionError, localFunctionName, type LocalLambda } from './runtime.ts';

/** The local stand-in for the Lambda service: bundled handlers behind the Invoke API. */
export interface LocalLambdaService {
  lambda: LocalLambda;
  /** Base URL of the Invoke API, for a LambdaClient's `endpoint`. */
  endpoint: string;
  /** The name each handler is invoked by. */
  functionNames: Record<FunctionName, string>;
  stop(): Promise<void>;
}

export async function startLocalLambdaService(options: LocalLambdaOptions & { port?: number }): Promise<LocalLambdaService> {
  const lambda = startLocalLambda(options);
  const server = await startInvokeServer(lambda, options.port);
  return {
    lambda,
    endpoint: server.url,
    functionNames: Object.fromEntries(FUNCTION_NAMES.map((name) => [name, localFunctionName(name)])) as Record<FunctionName, string>,
    async stop() {
      await server.stop();
      await lambda.stop();
    },
  };
}

/**
 * What an SQS event source mapping invokes: the bundled handler, its batch response as the result;
 * a function error throws, and the poller then returns the whole batch to the queue, as Lambda does.
 */
export function bundledSqsHandler(lambda: LocalLambda, name: 'session-processor' | 'sync-run'): SqsHandler {
  return (event) => lambda.invokeEvent<SQSBatchResponse>(name, event);
}

/** What API Gateway's Lambda proxy integration invokes; a function error throws (API Gateway answers 500). */
export function bundledWebhookHandler(lambda: LocalLambda): HttpApiHandler {
  return (event) => lambda.invokeEvent<APIGatewayProxyStructuredResultV2>('webhook-ingest', event);
}
