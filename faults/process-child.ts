/**
 * One processor process of the fault campaign: loads the real session-processor bundle (as
 * Lambda's Node.js runtime loads index.mjs) and runs the invocations its parent sends over IPC,
 * one at a time. Its parent SIGKILLs it mid-batch. Started on plain node (no tsx), so written in
 * erasable TypeScript, as local/lambda/worker.ts is.
 *
 * Time: the campaign runs on a virtual clock (leases, pauses, delays). Each invocation names the
 * virtual time it starts at; this process's Date runs from there in real time, so the claims and
 * leases it writes agree with those of the campaign's other processors.
 */
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../local/lambda/context.ts';

interface Invoke {
  type: 'invoke';
  requestId: string;
  payload: string;
  virtualNow: number;
  timeoutMs: number;
}

const RealDate = Date;
let offset = 0;
class VirtualDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...(args as [string]));
  }
  static override now(): number {
    return RealDate.now() + offset;
  }
}
globalThis.Date = VirtualDate as DateConstructor;

const bundleFile = process.env.FAULTS_BUNDLE_FILE ?? '';
const send = (message: unknown) => process.send?.(message);

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
const handler: Promise<Handler> = import(pathToFileURL(bundleFile).href).then((m: { handler?: Handler }) => {
  if (typeof m.handler !== 'function') throw new Error(`${bundleFile} exports no handler`);
  return m.handler;
});
handler.then(
  () => send({ type: 'ready' }),
  (error: Error) => send({ type: 'ready', error: error.message }),
);

process.on('message', (message: Invoke) => {
  if (message.type !== 'invoke') return;
  offset = message.virtualNow - RealDate.now();
  void (async () => {
    try {
      const context = lambdaContext(process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'session-processor', 1024, message.timeoutMs, message.requestId);
      const result = await (await handler)(JSON.parse(message.payload) as unknown, context);
      send({ type: 'result', requestId: message.requestId, payload: JSON.stringify(result ?? null), virtualNow: Date.now() });
    } catch (error) {
      send({ type: 'result', requestId: message.requestId, error: (error as Error).message ?? String(error), virtualNow: Date.now() });
    }
  })();
});
