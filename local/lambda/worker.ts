/**
 * One Lambda execution environment of the local run: a worker thread that loads one handler
 * bundle (index.mjs, as Lambda's Node.js runtime does for `index.handler`) and runs one invocation
 * at a time. Started by local/lambda/runtime.ts on plain node (no tsx), so it is written in
 * erasable TypeScript that Node 22.18+ runs as is (the project pins Node 22 through its `node`
 * devDependency).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from './context.ts';
import type { WorkerInvoke, WorkerMessage, WorkerSetup } from './protocol.ts';

const setup = workerData as WorkerSetup;
const port = parentPort!;

// Everything the handler logs goes to the runtime, which shows it and keeps the invocation's
// tail for X-Amz-Log-Result, as Lambda sends function output to CloudWatch Logs.
for (const stream of [process.stdout, process.stderr]) {
  stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    port.postMessage({ type: 'log', text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') } satisfies WorkerMessage);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof stream.write;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** The error object Lambda's Node.js runtime reports for a thrown error. */
function errorShape(error: unknown, errorType?: string) {
  const e = error instanceof Error ? error : new Error(String(error));
  return { errorType: errorType ?? e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n') };
}

async function loadHandler(): Promise<Handler> {
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(setup.bundleFile).href)) as Record<string, unknown>;
  } catch (error) {
    const shape = errorShape(error, 'Runtime.ImportModuleError');
    throw Object.assign(new Error(`Error: ${shape.errorMessage}`), { lambdaErrorType: 'Runtime.ImportModuleError' });
  }
  if (typeof module.handler !== 'function') {
    throw Object.assign(new Error('index.handler is undefined or not exported'), { lambdaErrorType: 'Runtime.HandlerNotFound' });
  }
  return module.handler as Handler;
}

// The init phase, before the first invocation and outside its timeout, as in Lambda.
const handler = loadHandler();
handler.then(
  () => port.postMessage({ type: 'ready' } satisfies WorkerMessage),
  () => port.postMessage({ type: 'ready' } satisfies WorkerMessage),
);

port.on('message', async (message: WorkerInvoke) => {
  const context = lambdaContext(setup.functionName, setup.memoryMb, message.deadline - Date.now(), message.requestId);
  try {
    // A failed init fails each invocation with its error, as Lambda reports it.
    const result = await (await handler)(JSON.parse(message.payload) as unknown, context);
    port.postMessage({ type: 'result', requestId: message.requestId, payload: JSON.stringify(result ?? null) } satisfies WorkerMessage);
  } catch (error) {
    const errorType = (error as { lambdaErrorType?: string }).lambdaErrorType;
    // Lambda logs the error the runtime reports, and so do we.
    const shape = errorShape(error, errorType);
    port.postMessage({ type: 'log', text: `${JSON.stringify({ level: 'ERROR', ...shape })}\n` } satisfies WorkerMessage);
    port.postMessage({ type: 'result', requestId: message.requestId, error: shape } satisfies WorkerMessage);
  }
});
