import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LocalLambda } from './runtime.ts';

/** Lambda's limit for a synchronous request payload (Lambda quotas: 6 MB each way). */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** X-Amz-Log-Result carries the last 4 KB of the invocation's log, base64-encoded (Invoke API). */
const LOG_TAIL_BYTES = 4096;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  // Lambda's REST-JSON errors: the error code in x-amzn-ErrorType, the message in the body.
  res
    .writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': crypto.randomUUID() })
    .end(JSON.stringify({ Type: 'User', Message: message }));
}

/**
 * The function a FunctionName names: a bare name, `name:qualifier`, `ACCOUNT:function:name` or a
 * full ARN (Invoke API, FunctionName), with the ARN Lambda's "Function not found" message quotes.
 * Only $LATEST exists locally; `name` is null when the function or version is not one of ours.
 */
export function resolveFunctionName(raw: string, qualifier: string | null, lambda: LocalLambda): { name: string | null; arn: string } {
  const parts = raw.split(':');
  let name = raw;
  let version = qualifier;
  if (raw.startsWith('arn:')) {
    name = parts[6] ?? '';
    version = parts[7] ?? version;
  } else if (parts[1] === 'function') {
    name = parts[2] ?? '';
    version = parts[3] ?? version;
  } else if (parts.length === 2) {
    [name, version] = parts as [string, string];
  }
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const arn = `arn:aws:lambda:${region}:000000000000:function:${name}${version ? `:${version}` : ''}`;
  return { name: lambda.has(name) && (!version || version === '$LATEST') ? name : null, arn };
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_PAYLOAD_BYTES ? null : Buffer.concat(chunks);
}

/**
 * The Lambda Invoke API on loopback (`POST /2015-03-31/functions/{FunctionName}/invocations`),
 * backed by the local run's bundled handlers, so the AWS SDK's LambdaClient works against it
 * unchanged. As the API reference documents: X-Amz-Invocation-Type RequestResponse (200 with the
 * function's result), Event (202, run in the background) or DryRun (204); X-Amz-Log-Type Tail adds
 * X-Amz-Log-Result; a function error is still 200, with X-Amz-Function-Error and Lambda's error
 * object as the payload; an unknown function is 404 ResourceNotFoundException; a body that is not
 * JSON is 400 InvalidRequestContentException; over 6 MB is 413 RequestTooLargeException.
 * Requests are not authenticated (SigV4 is not checked), as with moto_server.
 */
export async function startInvokeServer(lambda: LocalLambda, port = 0): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = INVOKE_PATH.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      sendError(res, 404, 'UnknownOperationException', `the local Lambda endpoint serves only Invoke, not ${req.method} ${url.pathname}`);
      return;
    }
    const fn = resolveFunctionName(decodeURIComponent(match[1]!), url.searchParams.get('Qualifier'), lambda);
    if (!fn.name) {
      sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${fn.arn}`);
      return;
    }
    const body = await readBody(req);
    if (body === null) {
      sendError(res, 413, 'RequestTooLargeException', `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`);
      return;
    }
    const payload = body.length ? body.toString('utf8') : '{}';
    try {
      JSON.parse(payload);
    } catch (error) {
      sendError(res, 400, 'InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
      return;
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'DryRun') {
      res.writeHead(204).end();
      return;
    }
    if (type === 'Event') {
      // Lambda queues the event and answers at once; locally it simply runs in the background.
      void lambda.invoke(fn.name, payload).catch(() => undefined);
      res.writeHead(202, { 'x-amzn-requestid': crypto.randomUUID() }).end();
      return;
    }
    if (type !== 'RequestResponse') {
      sendError(res, 400, 'InvalidParameterValueException', `X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, not ${type}`);
      return;
    }
    const answer = await lambda.invoke(fn.name, payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-requestid': answer.requestId,
      'x-amz-executed-version': '$LATEST',
    };
    if (answer.functionError) headers['x-amz-function-error'] = answer.functionError;
    if (req.headers['x-amz-log-type'] === 'Tail') {
      headers['x-amz-log-result'] = Buffer.from(answer.log).subarray(-LOG_TAIL_BYTES).toString('base64');
    }
    res.writeHead(200, headers).end(answer.payload);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
