/**
 * Debug Mode's per-session decision trace: why a session was recorded or skipped, how it was
 * related, what happened to each guest and to the Chatter post, and which Salesforce calls the
 * batch made. Only product facts: never a credential, token or header.
 */
export interface DebugTrace {
  orgId: string;
  sessionId: string;
  eventId: string;
  at: string;
  recorded: boolean;
  route: string;
  link: string;
  leads: string[];
  /** Values cut or left out to fit the org's fields, and why (absent in traces written before). */
  values?: string[];
  chatter: string;
  outcome: string;
  /** The calls of the whole batch this session was written in, shared with its neighbours. */
  salesforceCalls: string[];
}

export const TRACE_RETENTION_DAYS = 7;

export interface TraceStore {
  put(traces: DebugTrace[]): Promise<void>;
  list(orgId: string, options?: { sessionId?: string; limit?: number }): Promise<DebugTrace[]>;
}
