/** Messages between local/lambda/runtime.ts and its worker threads (types only). */

export interface WorkerSetup {
  bundleFile: string;
  functionName: string;
  memoryMb: number;
}

/** One invocation; `payload` is the event as JSON text, `deadline` epoch milliseconds. */
export interface WorkerInvoke {
  requestId: string;
  payload: string;
  deadline: number;
}

/** Lambda's error object for a failed invocation (Node.js runtime). */
export interface FunctionErrorShape {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type WorkerMessage =
  | { type: 'log'; text: string }
  /** The bundle is loaded (or failed to load): the init phase is over. */
  | { type: 'ready' }
  | { type: 'result'; requestId: string; payload: string }
  | { type: 'result'; requestId: string; error: FunctionErrorShape };
