import type { Context } from 'aws-lambda';

/**
 * What the Lambda runtime hands a handler as its second argument (Node.js runtime, "Lambda
 * context object"): Powertools reads the name, memory and request id from it, the handlers the
 * remaining time. `timeoutMs` counts from now.
 */
export function lambdaContext(functionName: string, memoryMb: number, timeoutMs: number, requestId: string): Context {
  const deadline = Date.now() + timeoutMs;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
